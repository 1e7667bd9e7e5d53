"""The checks: call the student's functions through the runner and judge the answers here, in the grader.

Each task's checks are scored by items (one per output, gradient or input): an item passes when it passes in
every case, and a check earns its points times the fraction of items that passed. So a wrong db costs a third
of linear_backward's value points, not all of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable

import numpy as np

from autograder import wire
from autograder.cases import STABILITY_SCALE, Case, draw_cases, draw_inputs, draw_layer_dims, draw_upstream, shape_of
from autograder.config import GraderConfig
from autograder.numeric import numeric_gradients, perturbations, rel_error
from autograder.results import CheckResult, Outcome
from autograder.runner import StudentCrash, StudentError, StudentRunner, StudentTimeout
from autograder.tasks import Assignment, BackwardTask, CountTask, ForwardTask, LossTask, Task

Failure = (StudentError, StudentTimeout, StudentCrash)
MAX_MESSAGES = 3


class NotAttempted(Exception):
    """The task's function raises NotImplementedError (or does not exist)."""


@dataclass
class TaskContext:
    """What one task's checks need: the student (through the runner), the reference and the settings."""

    assignment: Assignment
    runner: StudentRunner
    reference: ModuleType
    config: GraderConfig
    points: dict[str, float]
    defined: set[str]

    @property
    def tol(self) -> Any:
        return self.config.tolerances

    def cases(self, task: str) -> list[Case]:
        return draw_cases(self.config.grading.seed, task, self.assignment.letters, self.config.grading.random_cases)


class Tally:
    """Pass/fail per (check, item) over all cases, with the first messages of each failure."""

    def __init__(self, items: dict[str, list[str]]) -> None:
        self.items = items
        self.failed: dict[str, dict[str, str]] = {check: {} for check in items}
        self.notes: dict[str, list[str]] = {check: [] for check in items}

    def record(self, check: str, item: str, problem: str | None) -> None:
        if problem is not None and item not in self.failed[check]:
            self.failed[check][item] = problem

    def fail_all(self, problem: str, checks: tuple[str, ...] | None = None) -> None:
        for check in checks or tuple(self.items):
            for item in self.items[check]:
                self.record(check, item, problem)

    def note(self, check: str, text: str) -> None:
        if text not in self.notes[check]:
            self.notes[check].append(text)

    def results(self, task: str, points: dict[str, float], passed_text: dict[str, str]) -> list[CheckResult]:
        out = []
        for check, items in self.items.items():
            failed = self.failed[check]
            fraction = (len(items) - len(failed)) / len(items) if items else 1.0
            max_score = float(points[check])
            score = round(max_score * fraction, 6)
            if not failed:
                outcome, text = Outcome.PASSED, passed_text[check]
            else:
                outcome = Outcome.FAILED if fraction == 0 else Outcome.PARTIAL
                messages = list(dict.fromkeys(failed[item] for item in items if item in failed))[:MAX_MESSAGES]
                text = "Checked: " + passed_text[check] + "\n" + "\n".join(f"- {m}" for m in messages)
            if self.notes[check]:
                text += "\n" + "\n".join(f"Note: {n}" for n in self.notes[check])
            out.append(CheckResult(task, check, score, max_score, outcome, text))
        return out


def grade_task(ctx: TaskContext, task: Task) -> list[CheckResult]:
    """All checks of one task; a task whose function is missing or unimplemented is 'not attempted'."""
    grader = {ForwardTask: _grade_forward, BackwardTask: _grade_backward, LossTask: _grade_loss,
              CountTask: _grade_count}[type(task)]
    try:
        if task.name not in ctx.defined:
            raise NotAttempted(f"no function named {task.name} was found in your submission")
        return grader(ctx, task)
    except NotAttempted as why:
        return [CheckResult(task.name, check, 0.0, float(ctx.points[check]), Outcome.NOT_ATTEMPTED,
                            f"Not attempted: {why}") for check in ctx.assignment.check_names(task)]


# ---------------------------------------------------------------------------------------------- forward


def _grade_forward(ctx: TaskContext, task: ForwardTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    input_names = [a.name for a in task.inputs]
    tally = Tally({"structure": ["out"], "values": ["out"], "inputs_unchanged": input_names})
    for case in ctx.cases(task.name):
        args = draw_inputs(ctx.config.grading.seed, task.name, case, task.inputs)
        expected, _ = reference(*[a.copy() for a in args])
        where = f"case {case.number} ({case.label()})"
        try:
            result, echoed = _call(ctx, task.name, args, keep=(1,), echo=True)
        except Failure as failure:
            tally.fail_all(f"{where}: {_describe(failure)}")
            continue
        _drop_handles(ctx, result)
        parts = _unpack(result, 2, "(out, cache)")
        if isinstance(parts, str):
            tally.fail_all(f"{where}: {parts}", ("structure", "values"))
        else:
            _judge_array(ctx, tally, where, "out", parts[0], expected)
        _judge_unchanged(tally, where, input_names, args, echoed)
    return tally.results(task.name, ctx.points, {
        "structure": f"{task.name} returns (out, cache) with out a float64 array of shape "
                     f"({', '.join(task.output)})",
        "values": f"out matches the reference solution (relative error at most {ctx.tol.values:g})",
        "inputs_unchanged": f"{task.name} leaves its inputs ({', '.join(input_names)}) unmodified",
    })


# --------------------------------------------------------------------------------------------- backward


def _grade_backward(ctx: TaskContext, task: BackwardTask) -> list[CheckResult]:
    forward = ctx.assignment.task(task.forward)
    ref_forward = getattr(ctx.reference, forward.name)
    ref_backward = getattr(ctx.reference, task.name)
    grad_names = ["d" + a.name for a in forward.inputs]
    tally = Tally({"structure": grad_names, "values": grad_names, "gradcheck": grad_names,
                   "inputs_unchanged": [task.upstream]})
    seed = ctx.config.grading.seed
    for case in ctx.cases(task.name):
        args = draw_inputs(seed, task.name, case, forward.inputs)
        dout = draw_upstream(seed, task.name, case, shape_of(forward.output, case.sizes))
        ref_out, ref_cache = ref_forward(*[a.copy() for a in args])
        expected = ref_backward(dout.copy(), ref_cache)
        expected = [expected] if task.single else list(expected)
        where = f"case {case.number} ({case.label()})"
        try:
            forward_result, _ = ctx.runner.call(forward.name, args, keep=(1,))
        except Failure as failure:
            _probe_not_attempted(ctx, task.name, dout)
            tally.fail_all(f"{where}: {task.name} needs the cache of your {forward.name}, which failed: "
                           f"{_describe(failure)}")
            continue
        forward_parts = _unpack(forward_result, 2, "(out, cache)")
        if isinstance(forward_parts, str) or not isinstance(forward_parts[1], wire.Handle):
            _drop_handles(ctx, forward_result)
            tally.fail_all(f"{where}: your {forward.name} must return (out, cache) for {task.name} to be checked")
            continue
        cache = forward_parts[1]
        try:
            result, echoed = _call(ctx, task.name, [dout, cache], echo=True)
        except Failure as failure:
            tally.fail_all(f"{where}: {_describe(failure)}")
            continue
        finally:
            ctx.runner.drop([cache])
        _drop_handles(ctx, result)
        grads = _unpack(result, 1 if task.single else len(grad_names), _tuple_text(grad_names, task.single))
        if isinstance(grads, str):
            tally.fail_all(f"{where}: {grads}", ("structure", "values", "gradcheck"))
        else:
            for name, received, wanted in zip(grad_names, grads, expected):
                _judge_array(ctx, tally, where, name, received, wanted)
            forward_right = _close(forward_parts[0], ref_out, ctx.tol.values, ctx.tol.floor)
            _gradcheck(ctx, tally, where, forward.name, args, dout, grad_names, grads, forward_right)
        _judge_unchanged(tally, where, [task.upstream], [dout], echoed[:1])
    return tally.results(task.name, ctx.points, {
        "structure": f"{task.name} returns {_tuple_text(grad_names, task.single)}, float64 arrays shaped like "
                     f"the inputs they are gradients of",
        "values": f"the gradients, computed from the cache of your own {forward.name}, match the reference "
                  f"solution (relative error at most {ctx.tol.values:g})",
        "gradcheck": f"the gradients match the numeric gradient (centered differences) of your own "
                     f"{forward.name} (relative error at most {ctx.tol.gradcheck:g})",
        "inputs_unchanged": f"{task.name} leaves {task.upstream} unmodified",
    })


def _gradcheck(ctx: TaskContext, tally: Tally, where: str, forward: str, args: list[np.ndarray],
               upstream: np.ndarray, names: list[str], grads: list[Any], scored: bool, pick: int | None = 0,
               wrt: list[int] | None = None) -> None:
    """Student backward against the numeric gradient of the student's own forward, weighted by `upstream`.

    When the student's forward is itself wrong, a mismatch is reported but not scored: the backward was
    already judged against the reference, and a forward bug is graded on the forward.
    """
    wrt = list(range(len(args))) if wrt is None else wrt
    shapes = [a.shape for a in args]
    try:
        outputs = ctx.runner.sweep(forward, args, pick, perturbations(shapes, wrt, ctx.tol.step))
    except Failure as failure:
        tally.fail_all(f"{where}: calling your {forward} for the numeric gradient {_describe(failure)}",
                       ("gradcheck",))
        return
    if outputs[0].size != upstream.size:
        if scored:
            tally.fail_all(f"{where}: your {forward} returns {outputs[0].size} values, expected {upstream.size}",
                           ("gradcheck",))
        else:
            tally.note("gradcheck", f"not scored here: your {forward} returns {outputs[0].size} values, "
                                    f"expected {upstream.size}")
        return
    numeric = numeric_gradients(outputs, upstream, shapes, wrt, ctx.tol.step)
    if not scored and all(_close(r, w, ctx.tol.gradcheck, ctx.tol.floor) for r, w in zip(grads, numeric)):
        tally.note("gradcheck", f"your backward is consistent with your own {forward}, which is wrong: "
                                f"fix the forward first")
    for name, received, wanted in zip(names, grads, numeric):
        problem = _compare(received, wanted, ctx.tol.gradcheck, ctx.tol.floor, name,
                           "the numeric gradient of your " + forward)
        if problem and not scored:
            tally.note("gradcheck", f"{name} does not match the numeric gradient of your {forward}, but your "
                                    f"{forward} is itself wrong, so this is not scored here")
            problem = None
        tally.record("gradcheck", name, problem and f"{where}: {problem}")


# ------------------------------------------------------------------------------------------------- loss


def _grade_loss(ctx: TaskContext, task: LossTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    input_names = [a.name for a in task.inputs]
    tally = Tally({"structure": ["loss", "dscores"], "loss": ["loss"], "gradient": ["dscores"],
                   "gradcheck": ["dscores"], "stability": ["loss", "dscores"], "inputs_unchanged": input_names})
    seed = ctx.config.grading.seed
    cases = ctx.cases(task.name)
    for case in cases:
        scores, labels = draw_inputs(seed, task.name, case, task.inputs)
        where = f"case {case.number} ({case.label()})"
        ref_loss, ref_dscores = reference(scores.copy(), labels.copy())
        try:
            result, echoed = _call(ctx, task.name, [scores, labels], echo=True)
        except Failure as failure:
            tally.fail_all(f"{where}: {_describe(failure)}", ("structure", "loss", "gradient", "gradcheck",
                                                              "inputs_unchanged"))
            continue
        parts = _unpack(result, 2, "(loss, dscores)")
        if isinstance(parts, str):
            tally.fail_all(f"{where}: {parts}", ("structure", "loss", "gradient", "gradcheck"))
        else:
            loss, dscores = parts
            problem = _scalar_problem(loss)
            tally.record("structure", "loss", problem and f"{where}: {problem}")
            _judge_array(ctx, tally, where, "loss", loss, np.float64(ref_loss), structure=False, check="loss")
            _judge_array(ctx, tally, where, "dscores", dscores, ref_dscores, check="gradient")
            loss_right = _close(loss, ref_loss, ctx.tol.values, ctx.tol.floor)
            _gradcheck(ctx, tally, where, task.name, [scores, labels], np.ones(()), ["dscores"], [dscores],
                       loss_right, pick=0, wrt=[0])
        _judge_unchanged(tally, where, input_names, [scores, labels], echoed)
    for case in (cases[0], cases[-1]):
        _stability_case(ctx, tally, task, reference, case)
    return tally.results(task.name, ctx.points, {
        "structure": f"{task.name} returns (loss, dscores): loss a float, dscores a float64 array of shape (N, C)",
        "loss": f"loss is the mean cross-entropy of the reference (relative error at most {ctx.tol.values:g})",
        "gradient": f"dscores matches the reference (relative error at most {ctx.tol.values:g})",
        "gradcheck": f"dscores matches the numeric gradient of your own loss (relative error at most "
                     f"{ctx.tol.gradcheck:g})",
        "stability": f"with scores around ±{STABILITY_SCALE:g} the loss and dscores are finite and correct "
                     "(subtract the row maximum before exponentiating)",
        "inputs_unchanged": f"{task.name} leaves scores and y unmodified",
    })


def _stability_case(ctx: TaskContext, tally: Tally, task: LossTask, reference: Callable, case: Case) -> None:
    scores, labels = draw_inputs(ctx.config.grading.seed, task.name + ":stability", case, task.inputs)
    scores = scores * (STABILITY_SCALE / 2.0)
    where = f"large scores, case {case.number} ({case.label()})"
    ref_loss, ref_dscores = reference(scores.copy(), labels.copy())
    try:
        result, _ = _call(ctx, task.name, [scores, labels])
    except Failure as failure:
        tally.fail_all(f"{where}: {_describe(failure)}", ("stability",))
        return
    parts = _unpack(result, 2, "(loss, dscores)")
    if isinstance(parts, str):
        tally.fail_all(f"{where}: {parts}", ("stability",))
        return
    for name, received, wanted in (("loss", parts[0], np.float64(ref_loss)), ("dscores", parts[1], ref_dscores)):
        problem = _compare(received, wanted, ctx.tol.values, ctx.tol.floor, name, "the reference")
        tally.record("stability", name, problem and f"{where}: {problem}")


# ------------------------------------------------------------------------------------------------ count


def _grade_count(ctx: TaskContext, task: CountTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    numbers = range(1, ctx.config.grading.random_cases + 3)
    tally = Tally({"with_bias": [f"net {n}" for n in numbers], "without_bias": [f"net {n}" for n in numbers]})
    for number in numbers:
        dims = draw_layer_dims(ctx.config.grading.seed, task.name, number)
        for check, bias in (("with_bias", True), ("without_bias", False)):
            expected = reference(list(dims), bias)
            call = f"{task.name}({dims}, bias={bias})"
            try:
                received, _ = _call(ctx, task.name, [list(dims), bias])
            except Failure as failure:
                tally.record(check, f"net {number}", f"{call}: {_describe(failure)}")
                continue
            if isinstance(received, (bool, np.bool_)) or not isinstance(received, (int, np.integer)):
                problem = f"{call} returned {received!r} ({type(received).__name__}); return an int"
            elif int(received) != expected:
                problem = f"{call} returned {int(received)}, expected {expected}"
            else:
                problem = None
            tally.record(check, f"net {number}", problem)
    return tally.results(task.name, ctx.points, {
        "with_bias": f"{task.name}(layer_dims, bias=True) counts weights and biases, at several layer sizes",
        "without_bias": f"{task.name}(layer_dims, bias=False) counts weights only, at several layer sizes",
    })


# ---------------------------------------------------------------------------------------------- helpers


def _call(ctx: TaskContext, fn: str, args: list[Any], keep: tuple[int, ...] = (), echo: bool = False
          ) -> tuple[Any, list]:
    try:
        return ctx.runner.call(fn, args, keep=keep, echo=echo)
    except StudentError as error:
        if error.not_implemented:
            raise NotAttempted(f"{fn} raises NotImplementedError({error.message!r})") from None
        raise


def _probe_not_attempted(ctx: TaskContext, fn: str, upstream: np.ndarray) -> None:
    """A backward that can't get a cache is still 'not attempted' if it raises NotImplementedError right away."""
    try:
        _call(ctx, fn, [upstream, None])
    except Failure:
        pass


def _drop_handles(ctx: TaskContext, result: Any) -> None:
    if isinstance(result, (tuple, list)):
        ctx.runner.drop([part for part in result if isinstance(part, wire.Handle)])


def _describe(failure: Exception) -> str:
    if isinstance(failure, StudentError):
        return f"raised {failure.summary()}"
    if isinstance(failure, StudentTimeout):
        return f"timed out: {failure}"
    return f"crashed: {failure}"


def _tuple_text(names: list[str], single: bool) -> str:
    return names[0] if single else "(" + ", ".join(names) + ")"


def _unpack(result: Any, count: int, spec: str) -> list | str:
    """The parts of a returned tuple, or what is wrong with its structure."""
    if count == 1:
        return [result]
    if not isinstance(result, (tuple, list)):
        return f"returned {_kind(result)}, expected a tuple {spec}"
    if len(result) != count:
        return f"returned a tuple of {len(result)} items, expected {count}: {spec}"
    return list(result)


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (wire.Handle, wire.Opaque)):
        return f"a {value.type_name}"
    return f"a {type(value).__name__}"


def _array_problem(value: Any, shape: tuple[int, ...]) -> str | None:
    if not isinstance(value, np.ndarray):
        return f"is {_kind(value)}, expected a float64 array of shape {shape}"
    if value.dtype != np.float64:
        return f"has dtype {value.dtype}, expected float64"
    if value.shape != shape:
        return f"has shape {value.shape}, expected {shape}"
    return None


def _scalar_problem(value: Any) -> str | None:
    """A float64 number: a Python float, a numpy float64 or a 0-d float64 array."""
    if isinstance(value, float) or (isinstance(value, np.ndarray) and value.shape == () and
                                    value.dtype == np.float64):
        return None
    return f"loss is {_kind(value)}, expected a float64 number"


def _compare(received: Any, expected: np.ndarray, tol: float, floor: float, name: str, against: str
             ) -> str | None:
    """None when close; otherwise what differs. Values are compared even when only the shape is wrong."""
    expected = np.asarray(expected, dtype=np.float64)
    if isinstance(received, (float, int, np.number)) and not isinstance(received, bool):
        received = np.asarray(received)
    if not isinstance(received, np.ndarray) or received.dtype.kind not in "biuf":
        return f"{name} is {_kind(received)}, so its values cannot be compared"
    if received.size != expected.size:
        return f"{name} has {received.size} entries, expected {expected.size} (shape {expected.shape})"
    error = rel_error(received.reshape(expected.shape), expected, floor)
    if error <= tol:
        return None
    if not np.all(np.isfinite(received)):
        return f"{name} contains nan or inf"
    return f"{name} differs from {against}: relative error {error:.2g}"


def _close(received: Any, expected: Any, tol: float, floor: float) -> bool:
    return _compare(received, expected, tol, floor, "", "") is None


def _judge_array(ctx: TaskContext, tally: Tally, where: str, name: str, received: Any, expected: np.ndarray,
                 structure: bool = True, check: str = "values") -> None:
    if structure:
        problem = _array_problem(received, np.shape(expected))
        tally.record("structure", name, problem and f"{where}: {name} {problem}")
    problem = _compare(received, expected, ctx.tol.values, ctx.tol.floor, name, "the reference")
    tally.record(check, name, problem and f"{where}: {problem}")


def _judge_unchanged(tally: Tally, where: str, names: list[str], sent: list[Any], echoed: list[Any]) -> None:
    for name, before, after in zip(names, sent, echoed):
        same = isinstance(after, np.ndarray) and after.shape == before.shape and \
            np.array_equal(after, before, equal_nan=True)
        tally.record("inputs_unchanged", name, None if same else
                     f"{where}: {name} was modified in place; work on a copy (or out-of-place operations)")
