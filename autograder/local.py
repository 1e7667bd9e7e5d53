"""Checks a student runs in their own Jupyter kernel: `check("linear_backward")`.

The very same checks as batch grading (autograder.checks), on the public cases only, with two stand-ins:
`LocalRunner` calls the student's functions in this process instead of a worker, and `RecordedReference`
answers with expected values that `autograder assign` computed from the reference and shipped in
`<assignment>.checks.json`. The reference code itself is never shipped.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import html
import itertools
import json
import signal
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from autograder.checks import TaskContext, grade_task
from autograder.checks.numeric import nudged_inputs, outputs_at
from autograder.course.config import GraderConfig, GradingSettings, LimitSettings, Tolerances
from autograder.course.registry import ASSIGNMENTS
from autograder.course.tasks import Assignment, BackwardTask, ForwardTask, Task, TrainTask
from autograder.kernel_history import kernel_history
from autograder.report.feedback_text import render_html, render_text
from autograder.results import Outcome, SubmissionResult, task_outcome
from autograder.sandbox import wire
from autograder.sandbox.runner import StudentError, StudentTimeout

CACHE_PREFIX = "cache:"


def call_key(name: str, args: tuple) -> str:
    """A digest of a reference call: the function and the exact bytes of its inputs."""
    plain = [CACHE_PREFIX + a.key if isinstance(a, CacheToken) else a for a in args]
    text = json.dumps(wire.encode([name, plain]), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CacheToken:
    """Stands for a reference forward's cache: the backward's expected values are looked up by it."""

    key: str


class RecordedReference:
    """The reference as a table of answers: `getattr(ref, name)(*args)` looks the answer up by its inputs.

    Built with `module` (at `assign` time) it computes and records answers; built from a table (in the
    student's kernel) it only replays them.
    """

    def __init__(self, assignment: Assignment, table: dict[str, Any] | None = None, module: Any = None) -> None:
        self.forwards = {t.name for t in assignment.tasks if isinstance(t, ForwardTask)}
        self.table: dict[str, Any] = {} if table is None else table
        self.module = module
        self.caches: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Callable:
        if name.startswith("_"):
            raise AttributeError(name)

        def answer(*args: Any) -> Any:
            key = call_key(name, args)
            if self.module is not None:
                real_args = [self.caches[a.key] if isinstance(a, CacheToken) else a for a in args]
                result = getattr(self.module, name)(*copy.deepcopy(real_args))
                if name in self.forwards:
                    self.caches[key] = result[1]
                    result = result[0]
                self.table[key] = wire.encode(result)
            elif key not in self.table:
                raise LookupError(f"no expected values for this {name} case: the checks file is out of date "
                                  "(ask for the current one, or run `autograder assign`)")
            value = wire.decode(self.table[key])
            return (value, CacheToken(key)) if name in self.forwards else value

        return answer


class LocalRunner:
    """The runner interface of `autograder.runner.StudentRunner`, calling functions of a namespace directly.

    Values still go through `wire`, so the checks see exactly what they would see from a worker.
    """

    def __init__(self, namespace: dict[str, Any], timeout: float | None = None) -> None:
        self.namespace = namespace
        self.objects: dict[int, Any] = {}
        self.handle_ids = itertools.count(1)  # never reused: a dropped cache's id must not name a new one
        self.timeout = timeout  # seconds per call, as grading gives (call_timeout); None: no limit
        self.given_up: dict[str, str] = {}  # a function that ran out of time is not called again, as in grading

    def defined(self, names: list[str]) -> set[str]:
        return {name for name in names if callable(self.namespace.get(name))}

    def call(self, fn: str, args: list[Any], keep: tuple[int, ...] = (), echo: bool = False) -> tuple[Any, list]:
        real = [self.objects[a.id] if isinstance(a, wire.Handle) else copy.deepcopy(a) for a in args]
        result = self._invoke(fn, real)
        result = wire.keep_as_handles(result, keep, self._store)
        echoed = [None if isinstance(a, wire.Handle) else _plain(r) for a, r in zip(args, real)] if echo else []
        return _plain(result), echoed

    def call_many(self, fn: str, arg_lists: list[list[Any]], keep: tuple[int, ...] = (), echo: bool = False
                  ) -> list[tuple[Any, list] | Exception]:
        outcomes: list[tuple[Any, list] | Exception] = []
        for args in arg_lists:
            try:
                outcomes.append(self.call(fn, args, keep=keep, echo=echo))
            except (StudentError, StudentTimeout) as error:
                outcomes.append(error)
        return outcomes

    def sweep_many(self, fn: str, jobs: list[tuple[list[Any], list[list], int | None]]
                   ) -> list[np.ndarray | Exception]:
        outcomes: list[np.ndarray | Exception] = []
        for args, nudges, pick in jobs:
            try:
                outcomes.append(self._invoke(fn, [list(nudged_inputs(args, nudges)), pick], through=outputs_at,
                                             calls=max(1.0, len(nudges) / 100)))
            except (StudentError, StudentTimeout) as error:
                outcomes.append(error)
        return outcomes

    def chain(self, calls: list[tuple[str, list[Any]]], send: list[tuple[int, tuple[int, ...]]]) -> dict[int, Any]:
        results: list[Any] = []
        for fn, args in calls:
            real = [self.objects[a.id] if isinstance(a, wire.Handle) else a for a in args]
            results.append(self._invoke(fn, [wire.follow(a, results) for a in real]))
        replies = {}
        for index, keep in send:
            replies[index] = _plain(wire.keep_as_handles(results[index], keep, self._store))
        return replies

    def _store(self, obj: Any) -> wire.Handle:
        handle = wire.Handle(next(self.handle_ids), type(obj).__name__)
        self.objects[handle.id] = obj
        return handle

    def drop(self, handles: list[wire.Handle]) -> None:
        for handle in handles:
            self.objects.pop(handle.id, None)

    def _invoke(self, fn: str, args: list[Any], through: Callable[..., Any] | None = None, calls: float = 1.0
                ) -> Any:
        """Call the student's `fn` (or `through(fn, *args)`) within `calls` call timeouts; what it raises becomes
        a StudentError, running out of time a StudentTimeout (and `fn` is not called again)."""
        if fn in self.given_up:
            raise StudentTimeout(self.given_up[fn])
        try:
            with _time_limit(None if self.timeout is None else self.timeout * calls):
                if through is not None:
                    return through(self.namespace[fn], *args)
                return self.namespace[fn](*args)
        except _OutOfTime:
            seconds = self.timeout * calls
            self.given_up[fn] = f"did not finish within {seconds:g} s, so it was not called again"
            raise StudentTimeout(f"did not finish within {seconds:g} s") from None
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)[1:]
            where = f"line {frames[-1].lineno} of {frames[-1].name}" if frames else ""
            raise StudentError(type(exc).__name__, str(exc), where, "".join(traceback.format_list(frames[-4:])),
                               fn=fn)


class _OutOfTime(BaseException):
    """Raised in the student's function when its time is up (BaseException: `except Exception` can't eat it)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """An alarm after `seconds`, in the kernel's main thread (where Jupyter runs cells); elsewhere none."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def out_of_time(signum: int, frame: Any) -> None:
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _plain(value: Any) -> Any:
    return wire.decode(json.loads(json.dumps(wire.encode(value))))


@dataclass
class CheckReport:
    """What `check(...)` returns: plain text in a terminal, HTML in Jupyter."""

    result: SubmissionResult

    @property
    def passed(self) -> bool:
        return all(c.outcome is Outcome.PASSED for c in self.result.checks)

    def __str__(self) -> str:
        return render_text(self.result, verbose=True)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return render_html(self.result)


@dataclass(frozen=True)
class Notice:
    """What `check(...)` returns when there is nothing to check: a message for the student, not a traceback."""

    message: str
    passed: bool = False

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        return f'<p style="color:#9a6700">{html.escape(self.message)}</p>'


class MissingChecks(Notice):
    """The checks file was not found: the one sentence that says where to put it."""


class UnknownTask(Notice):
    """`check("linear_bakward")`: no such task; the message suggests the closest name and lists the tasks."""


def task_functions(task: Task) -> tuple[str, ...]:
    """The student functions a task's checks call: a backward's checks call its forward for the cache."""
    if isinstance(task, TrainTask):
        return task.uses
    return (task.forward, task.name) if isinstance(task, BackwardTask) else (task.name,)


class Checker:
    """`check = Checker(NAME, globals())` in a notebook, then `check(TASK)` in any cell."""

    def __init__(self, assignment: str, namespace: dict[str, Any], checks_file: Path | str | None = None) -> None:
        self.assignment = ASSIGNMENTS[assignment]
        self.namespace = namespace
        path = Path(checks_file) if checks_file else Path(f"{assignment}.checks.json")
        self.missing: str | None = None  # why no check can run: the checks file is not there
        if not path.is_file():
            self.missing = (f"No public checks: put {path.name} next to this notebook (it comes with the notebook; "
                            f"looked in {path.resolve().parent}), then run this cell again.")
            print(self.missing)
            return
        public = load_public_checks(path)
        self.config, self.points, self.reference = public.config, public.points, public.reference

    def __call__(self, task: str | None = None) -> CheckReport | Notice:
        """Run the public checks of one task, or of every task in the assignment's order with no argument, on
        the functions currently defined in the notebook."""
        try:
            specs = list(self.assignment.tasks) if task is None else [self.assignment.task(task)]
        except LookupError as unknown:
            return UnknownTask(str(unknown.args[0]))
        if self.missing:
            return MissingChecks(self.missing)
        names = self.assignment.function_names() if task is None else task_functions(specs[0])
        history = kernel_history(self.namespace, names)  # a def cell that failed leaves an older version behind
        runner = LocalRunner(self.namespace, timeout=self.config.grading.call_timeout)  # as grading times calls
        defined = runner.defined(self.assignment.function_names())
        result = SubmissionResult(id="your notebook", assignment=self.assignment.name, isolation="local",
                                  notes=history.notes)
        failing: set[str] = set()  # as in grading: a trained model names the tasks before it that lost points
        for spec in specs:
            ctx = TaskContext(self.assignment, runner, self.reference, self.config, self.points[spec.name], defined,
                              public=True, failing=frozenset(failing), lost=history.lost)
            checks = grade_task(ctx, spec)
            result.checks.extend(checks)
            if checks and task_outcome(checks) is not Outcome.PASSED:
                failing.add(spec.name)
        return CheckReport(result)

    def trainer(self, task: str) -> Callable[..., float]:
        """The harness that trains the model of a trained-model task (it lives in the assignment's folder):
        `train = check.trainer("two_layer_net")`, then `train({"linear_forward": linear_forward, ...})`."""
        spec = self.assignment.task(task)  # a typo: a LookupError that suggests the closest task
        if not isinstance(spec, TrainTask):
            raise ValueError(f"{task} is not a trained-model task")
        return spec.trainer

    def ready(self, *tasks: str) -> bool:
        """True when every task passes its public checks; otherwise says which to finish first."""
        if self.missing:
            print(self.missing)
            return False
        for task in tasks:  # a typo is said before any check runs
            try:
                self.assignment.task(task)
            except LookupError as unknown:
                print(unknown.args[0])
                return False
        waiting = [task for task in tasks if not self(task).passed]
        if waiting:
            print(f"Finish {', '.join(waiting)} first (check(...) says what is missing); skipping this cell.")
        return not waiting


@dataclass(frozen=True)
class PublicChecks:
    """What the public checks need, read from a `<assignment>.checks.json`: no reference code in it."""

    assignment: str
    config: GraderConfig
    points: dict[str, dict[str, float]]
    reference: RecordedReference


def load_public_checks(path: Path) -> PublicChecks:
    data = json.loads(Path(path).read_text())
    assignment = ASSIGNMENTS[data["assignment"]]
    return PublicChecks(assignment.name, config_from_public(data["settings"]), data["points"],
                        RecordedReference(assignment, table=data["expected"]))


def public_settings(config: GraderConfig) -> dict[str, Any]:
    """The settings the local checks need, with the public seed and case count."""
    return {"seed": config.grading.public_seed, "random_cases": config.grading.public_cases,
            "tolerances": {k: getattr(config.tolerances, k) for k in ("values", "gradcheck", "floor", "step")}}


def config_from_public(settings: dict[str, Any]) -> GraderConfig:
    grading = GradingSettings(seed=settings["seed"], random_cases=settings["random_cases"])
    return GraderConfig(grading=grading, tolerances=Tolerances(**settings["tolerances"]), limits=LimitSettings(),
                        assignments={}, root=Path("."))


def record_public_checks(assignment: Assignment, config: GraderConfig, reference_module: Any,
                         points: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Run the public checks against the reference in this process and keep every expected value they used."""
    settings = public_settings(config)
    public_config = config_from_public(settings)
    recorder = RecordedReference(assignment, module=reference_module)
    namespace = {name: getattr(reference_module, name) for name in dir(reference_module)}
    runner = LocalRunner(namespace)
    for task in assignment.tasks:
        ctx = TaskContext(assignment, runner, recorder, public_config, points[task.name],
                          runner.defined(assignment.function_names()), public=True)
        failed = [r.name for r in grade_task(ctx, task) if r.outcome is not Outcome.PASSED]
        if failed:
            raise RuntimeError(f"the reference fails its own public checks: {failed}")
    return {"assignment": assignment.name, "settings": settings, "points": points,
            "expected": dict(sorted(recorder.table.items()))}
