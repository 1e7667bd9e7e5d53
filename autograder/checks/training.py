"""Checks of trained-model tasks: the harness trains with the student's layers, called through the runner."""
from __future__ import annotations

from typing import Any

from autograder.checks.common import Failure, NotAttempted, Tally, TaskContext
from autograder.course import training
from autograder.course.tasks import TrainTask
from autograder.diagnosis.diagnose import Diagnosis
from autograder.results import CheckResult, Outcome
from autograder.sandbox import wire
from autograder.sandbox.runner import StudentError


def remote_executor(ctx: TaskContext) -> training.Executor:
    """Run the harness's chains of calls in the student's worker; caches come back as handles, dropped after use."""

    def run(calls: list[training.Call], send: list[tuple[int, tuple[int, ...]]]) -> dict[int, Any]:
        try:
            return ctx.runner.chain([(call.fn, list(call.args)) for call in calls], send)
        except StudentError as error:
            if error.not_implemented:
                raise NotAttempted(f"it needs {error.fn or 'a layer'}, which raises NotImplementedError") from None
            raise
        finally:
            ctx.runner.drop([a for call in calls for a in call.args if isinstance(a, wire.Handle)])

    return run


def grade_training(ctx: TaskContext, task: TrainTask) -> list[CheckResult]:
    missing = [name for name in task.uses if name not in ctx.defined]
    unparsed = [name for name in missing if name in ctx.lost]
    if unparsed:  # layers lost to a syntax error: a failure the student can fix, not a task left undone
        why = ", and ".join(f"{name}, which does not parse ({ctx.lost[name]})" for name in unparsed)
        text = f"Not trained: it needs {why}; fix {'that line' if len(unparsed) == 1 else 'those lines'}"
        return [CheckResult(task.name, check, 0.0, float(ctx.points[check]), Outcome.FAILED, text)
                for check in ctx.assignment.check_names(task)]
    if missing:
        raise NotAttempted(f"it needs {', '.join(missing)}, not found in your submission")
    tally = Tally({"accuracy": ["test accuracy"]}, hidden=not ctx.public,
                  catalogue=ctx.assignment.catalogue)
    try:
        accuracy = task.trainer(remote_executor(ctx), seed=ctx.training_seed)
        problem = None if accuracy >= task.threshold else \
            f"test accuracy {accuracy:.1%}, below the required {task.threshold:.0%}"
        if problem is None:
            tally.note("accuracy", f"test accuracy {accuracy:.1%}")
    except Failure as failure:
        problem = f"training stopped: a layer {tally.describe(failure)}"
    except (ValueError, TypeError, IndexError, KeyError) as error:
        problem = f"training stopped: your layers returned something unusable ({type(error).__name__}: " \
                  f"{tally.scrub(str(error))})"
    tally.record("accuracy", "test accuracy", problem)
    broken = [name for name in task.uses if name in ctx.failing]
    if broken:  # a fact, not a guess: the model is built from layers already shown to be wrong
        verb = "loses" if len(broken) == 1 else "lose"
        tally.known = Diagnosis("built-from-failing-layers", f"it is built from your {', '.join(broken)}, which "
                                f"{verb} points above: fix {'that' if len(broken) == 1 else 'those'} first",
                                confident=False)
    return tally.results(task.name, ctx.points, {
        "accuracy": f"a model built from your {', '.join(task.uses)} reaches at least {task.threshold:.0%} "
                    f"test accuracy with the fixed training budget",
    })
