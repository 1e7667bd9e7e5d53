"""Checks of trained-model tasks: the harness trains with the student's layers, called through the runner."""
from __future__ import annotations

from typing import Any

from autograder import training, wire
from autograder.checks.common import Failure, NotAttempted, Tally, TaskContext, describe
from autograder.results import CheckResult
from autograder.runner import StudentError
from autograder.tasks import ForwardTask, TrainTask


class RemoteLayer:
    """A student's function as the training code sees it: caches stay on the student's side as handles."""

    def __init__(self, ctx: TaskContext, name: str) -> None:
        self.ctx, self.name = ctx, name
        task = next((t for t in ctx.assignment.tasks if t.name == name), None)
        self.keep = (1,) if isinstance(task, ForwardTask) else ()

    def __call__(self, *args: Any) -> Any:
        try:
            result, _ = self.ctx.runner.call(self.name, list(args), keep=self.keep)
        except StudentError as error:
            if error.not_implemented:
                raise NotAttempted(f"it needs {self.name}, which raises NotImplementedError") from None
            raise
        finally:
            self.ctx.runner.drop([a for a in args if isinstance(a, wire.Handle)])
        return result


def grade_training(ctx: TaskContext, task: TrainTask) -> list[CheckResult]:
    missing = [name for name in task.uses if name not in ctx.defined]
    if missing:
        raise NotAttempted(f"it needs {', '.join(missing)}, not found in your submission")
    tally = Tally({"accuracy": ["test accuracy"]})
    trainer = getattr(training, task.trainer)
    try:
        accuracy = trainer({name: RemoteLayer(ctx, name) for name in task.uses}, seed=ctx.config.grading.seed)
        problem = None if accuracy >= task.threshold else \
            f"test accuracy {accuracy:.1%}, below the required {task.threshold:.0%}"
        if problem is None:
            tally.note("accuracy", f"test accuracy {accuracy:.1%}")
    except Failure as failure:
        problem = f"training stopped: a layer {describe(failure)}"
    except (ValueError, TypeError, IndexError, KeyError) as error:
        problem = f"training stopped: your layers returned something unusable ({type(error).__name__}: {error})"
    tally.record("accuracy", "test accuracy", problem)
    return tally.results(task.name, ctx.points, {
        "accuracy": f"a model built from your {', '.join(task.uses)} reaches at least {task.threshold:.0%} "
                    f"test accuracy with the fixed training budget",
    })
