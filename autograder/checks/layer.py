"""Checks of layers: a forward `(out, cache)` and its backward, fed the student's own cache."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.checks.common import (
    Evidence,
    Tally,
    TaskContext,
    call_each,
    close,
    compare,
    describe,
    drop_handles,
    fresh,
    judge_array,
    judge_unchanged,
    probe_not_attempted,
    returns_nothing,
    tuple_text,
    unpack,
)
from autograder.checks.numeric import numeric_gradients, perturbations, sample_entries
from autograder.course.cases import Case, draw_inputs, draw_upstream, rng_for, shape_of
from autograder.course.tasks import BackwardTask, ForwardTask
from autograder.results import CheckResult
from autograder.sandbox import wire
from autograder.sandbox.runner import StudentError

GRADCHECK_ENTRIES = 24  # nudged entries per input and case; the reference comparison covers every entry


def grade_forward(ctx: TaskContext, task: ForwardTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    input_names = [a.name for a in task.inputs]
    updated = task.updated()
    kept = [i for i in range(len(task.inputs)) if i not in updated]
    answers = ["out"] + [input_names[i] for i in updated]  # an input it updates is an answer too
    tally = Tally({"structure": answers, "values": answers, "inputs_unchanged": [input_names[i] for i in kept]},
                  hidden=not ctx.public, catalogue=ctx.assignment.catalogue)
    cases = ctx.cases(task.name)
    inputs = [draw_inputs(ctx.seed, task.name, case, task.inputs) for case in cases]
    outcomes = call_each(ctx, task.name, inputs, keep=(1,), echo=True)
    for case, args, outcome in zip(cases, inputs, outcomes):
        reference_args = fresh(args)
        expected, _ = reference(*reference_args)
        where = f"case {case.number} ({case.label()})"
        evidence = Evidence(where, dict(zip(input_names, args)),
                            {"out": expected, **{input_names[i]: reference_args[i] for i in updated}},
                            sizes=case.sizes)
        tally.observe(evidence)
        if isinstance(outcome, Exception):
            evidence.error = describe(outcome)
            tally.fail_all(f"{where}: {tally.describe(outcome)}")
            continue
        result, echoed = outcome
        drop_handles(ctx, result)
        parts = unpack(result, 2, "(out, cache)")
        if isinstance(parts, str):
            evidence.error = parts
            tally.fail_all(f"{where}: {parts}", ("structure", "values"))
        else:
            evidence.received = {"out": parts[0]}
            judge_array(ctx, tally, where, "out", parts[0], expected)
        for i in updated:
            after = echoed[i] if i < len(echoed) else None
            evidence.received[input_names[i]] = after
            judge_array(ctx, tally, where, input_names[i], after, reference_args[i])
        evidence.modified = judge_unchanged(tally, where, [input_names[i] for i in kept], [args[i] for i in kept],
                                            [echoed[i] for i in kept if i < len(echoed)])
    what = "out" + "".join(f" and the updated {input_names[i]}" for i in updated)
    return tally.results(task.name, ctx.points, {
        "structure": f"{task.name} returns (out, cache) with out a float64 array of shape {task.output_text()}",
        "values": f"{what} match{'' if updated else 'es'} the reference solution (relative error at most "
                  f"{ctx.tol.values:g})",
        "inputs_unchanged": f"{task.name} leaves its inputs ({', '.join(input_names[i] for i in kept)}) unmodified",
    })


def grade_backward(ctx: TaskContext, task: BackwardTask) -> list[CheckResult]:
    forward = ctx.assignment.task(task.forward)
    ref_forward = getattr(ctx.reference, forward.name)
    ref_backward = getattr(ctx.reference, task.name)
    arrays = forward.arrays()  # a backward returns the gradients of the array inputs, not of conv_param
    grad_names = ["d" + forward.inputs[i].name for i in arrays]
    tally = Tally({"structure": grad_names, "values": grad_names, "gradcheck": grad_names,
                   "inputs_unchanged": [task.upstream]}, hidden=not ctx.public,
                  catalogue=ctx.assignment.catalogue)
    input_names = [a.name for a in forward.inputs]
    seed = ctx.seed
    cases = ctx.cases(task.name)
    inputs = [draw_inputs(seed, task.name, case, forward.inputs) for case in cases]
    upstreams = [draw_upstream(seed, task.name, case, output_shape(forward, ref_forward, case, args))
                 for case, args in zip(cases, inputs)]
    if forward.name not in ctx.defined:  # nothing to call for a cache: say why, not the KeyError it would raise
        probe_not_attempted(ctx, task.name, upstreams[0])
        why = f"does not parse ({ctx.lost[forward.name]})" if forward.name in ctx.lost else "is not in your submission"
        tally.fail_all(f"{task.name} needs the cache of your {forward.name}, which {why}")
        return tally.results(task.name, ctx.points, _backward_checked(ctx, task, forward.name, grad_names))
    # Every case's forward in one request, then every backward on the caches those left in the worker.
    forwards = ctx.runner.call_many(forward.name, inputs, keep=(1,))
    if any(isinstance(outcome, Exception) or returns_nothing(outcome[0]) for outcome in forwards):
        probe_not_attempted(ctx, task.name, upstreams[0])
    if all(_unimplemented(outcome) for outcome in forwards):  # one line, not one per case and check
        for outcome in forwards:
            if not isinstance(outcome, Exception):
                drop_handles(ctx, outcome[0])
        tally.fail_all(f"blocked: implement {forward.name} first ({task.name} is checked on the cache it returns)")
        return tally.results(task.name, ctx.points, _backward_checked(ctx, task, forward.name, grad_names))
    ready = []
    for case, args, dout, outcome in zip(cases, inputs, upstreams, forwards):
        where = f"case {case.number} ({case.label()})"
        if isinstance(outcome, Exception):
            tally.fail_all(f"{where}: {task.name} needs the cache of your {forward.name}, which failed: "
                           f"{tally.describe(outcome)}")
            continue
        parts = unpack(outcome[0], 2, "(out, cache)")
        if isinstance(parts, str) or not isinstance(parts[1], wire.Handle):
            drop_handles(ctx, outcome[0])
            tally.fail_all(f"{where}: your {forward.name} must return (out, cache) for {task.name} to be checked")
            continue
        ready.append((case, where, args, dout, parts[0], parts[1]))
    backwards = call_each(ctx, task.name, [[dout, cache] for *_, dout, _, cache in ready], echo=True)
    ctx.runner.drop([cache for *_, cache in ready])
    numeric_cases = gradcheck_cases(cases)
    for (case, where, args, dout, student_out, _), outcome in zip(ready, backwards):
        ref_out, ref_cache = ref_forward(*fresh(args))
        expected = ref_backward(dout.copy(), ref_cache)
        expected = [expected] if task.single else list(expected)
        evidence = Evidence(where, {**dict(zip(input_names, args)), task.upstream: dout},
                            dict(zip(grad_names, expected)), sizes=case.sizes)
        tally.observe(evidence)
        if isinstance(outcome, Exception):
            evidence.error = describe(outcome)
            tally.fail_all(f"{where}: {tally.describe(outcome)}")
            continue
        result, echoed = outcome
        drop_handles(ctx, result)
        grads = unpack(result, 1 if task.single else len(grad_names), tuple_text(grad_names, task.single))
        if isinstance(grads, str):
            evidence.error = grads
            tally.fail_all(f"{where}: {grads}", ("structure", "values", "gradcheck"))
        else:
            evidence.received = dict(zip(grad_names, grads))
            for name, received, wanted in zip(grad_names, grads, expected):
                judge_array(ctx, tally, where, name, received, wanted)
            if case.number in numeric_cases:
                forward_right = close(student_out, ref_out, ctx.tol.values, ctx.tol.floor)
                queue_gradcheck(ctx, tally, where, forward.name, args, dout, grad_names, grads,
                                None if forward_right else expected, wrt=arrays)
        evidence.modified = judge_unchanged(tally, where, [task.upstream], [dout], echoed[:1])
    run_gradchecks(ctx)
    return tally.results(task.name, ctx.points, _backward_checked(ctx, task, forward.name, grad_names))


def output_shape(forward: ForwardTask, reference: Any, case: Case, args: list[Any]) -> tuple[int, ...]:
    """The shape of the forward's output in a case: from its size letters, or the reference's output."""
    if isinstance(forward.output, str):
        return tuple(np.shape(reference(*fresh(args))[0]))
    return shape_of(forward.output, case.sizes)


def _backward_checked(ctx: TaskContext, task: BackwardTask, forward: str, grad_names: list[str]) -> dict[str, str]:
    """What each check of a backward verifies, in the student's words."""
    return {
        "structure": f"{task.name} returns {tuple_text(grad_names, task.single)}, float64 arrays shaped like "
                     f"the inputs they are gradients of",
        "values": f"the gradients, computed from the cache of your own {forward}, match the reference "
                  f"solution (relative error at most {ctx.tol.values:g})",
        "gradcheck": f"the gradients match the numeric gradient (centered differences) of your own "
                     f"{forward} (relative error at most {ctx.tol.gradcheck:g})",
        "inputs_unchanged": f"{task.name} leaves {task.upstream} unmodified",
    }


def _at_entries(received: Any, shape: tuple[int, ...], flat_indices: np.ndarray) -> Any:
    """The sampled entries of a returned gradient; anything of the wrong size is passed on to be reported."""
    if isinstance(received, np.ndarray) and received.size == int(np.prod(shape, dtype=np.int64)):
        return received.reshape(-1)[flat_indices]
    return received


@dataclass
class _Gradcheck:
    """A numeric gradient check waiting for its sweep: what to nudge, and how to judge the outputs."""

    tally: Tally
    where: str
    forward: str
    args: list[np.ndarray]
    pick: int | None
    entries: dict[int, np.ndarray]
    upstream: np.ndarray
    names: list[str]
    grads: list[Any]
    wrt: list[int]


def gradcheck_cases(cases: list[Case]) -> set[int]:
    """The cases that also get a numeric gradient check: the first random one and the N = 1 one.

    The numeric check is about the student's backward agreeing with their own forward; the comparison with
    the reference already covers every case, so two cases give that feedback at half the cost.
    """
    return {cases[0].number, cases[-1].number}


def queue_gradcheck(ctx: TaskContext, tally: Tally, where: str, forward: str, args: list[np.ndarray],
                    upstream: np.ndarray, names: list[str], grads: list[Any], exact: list[np.ndarray] | None,
                    pick: int | None = 0, wrt: list[int] | None = None) -> None:
    """Student backward against the numeric gradient of the student's own forward, weighted by `upstream`.

    Queued, so that all of a task's sweeps go to the worker in one request (`run_gradchecks`). When the
    student's forward is itself wrong, its numeric gradient says nothing about the backward, and a forward bug
    is graded on the forward: the backward is then judged at once against `exact`, the reference's gradient
    (the exact gradient of the right forward), so the check still verifies what it scores.
    """
    if exact is not None:
        tally.note("gradcheck", f"your {forward} is wrong, so these gradients were checked against the exact "
                                f"gradient of the right {forward} instead of the numeric gradient of yours")
        for name, received, want in zip(names, grads, exact):
            problem = compare(received, want, ctx.tol.gradcheck, ctx.tol.floor, name,
                              f"the exact gradient of the right {forward}")
            tally.record("gradcheck", name, problem and f"{where}: {problem}")
        return
    wrt = list(range(len(args))) if wrt is None else wrt
    rng = rng_for(ctx.seed, forward, "gradcheck", where)
    entries = sample_entries([np.shape(a) for a in args], wrt, GRADCHECK_ENTRIES, rng)
    ctx.gradchecks.append(_Gradcheck(tally, where, forward, args, pick, entries, upstream, names, grads, wrt))


def _unimplemented(outcome: tuple[Any, list] | Exception) -> bool:
    """A forward still the skeleton's, with no cache to check a backward on: it raises NotImplementedError or
    returns nothing at all (a `pass` body). One that returns a cache beside a None output still lets its
    backward be called (and that backward is judged on what it does)."""
    if isinstance(outcome, StudentError):
        return outcome.type == "NotImplementedError"
    if isinstance(outcome, Exception):
        return False
    result = outcome[0]
    has_cache = isinstance(result, (tuple, list)) and any(isinstance(part, wire.Handle) for part in result)
    return returns_nothing(result) and not has_cache


def run_gradchecks(ctx: TaskContext) -> None:
    """Send the queued sweeps, one request per forward function, and judge each."""
    queued, ctx.gradchecks = ctx.gradchecks, []
    for forward in dict.fromkeys(job.forward for job in queued):
        jobs = [job for job in queued if job.forward == forward]
        outcomes = ctx.runner.sweep_many(forward, [(job.args, perturbations(job.entries, ctx.tol.step), job.pick)
                                                   for job in jobs])
        for job, outputs in zip(jobs, outcomes):
            _judge_gradcheck(ctx, job, outputs)


def _judge_gradcheck(ctx: TaskContext, job: _Gradcheck, outputs: np.ndarray | Exception) -> None:
    tally, where, forward = job.tally, job.where, job.forward
    if isinstance(outputs, Exception):
        tally.fail_all(f"{where}: calling your {forward} for the numeric gradient {tally.describe(outputs)}",
                       ("gradcheck",))
        return
    if outputs[0].size != job.upstream.size:
        tally.fail_all(f"{where}: your {forward} returns {outputs[0].size} values, expected "
                       f"{job.upstream.size}", ("gradcheck",))
        return
    numeric = numeric_gradients(outputs, job.upstream, job.entries, ctx.tol.step)
    shapes = [np.shape(a) for a in job.args]
    sampled = [_at_entries(received, shapes[arg], job.entries[arg]) for received, arg in zip(job.grads, job.wrt)]
    for name, received, arg in zip(job.names, sampled, job.wrt):
        problem = compare(received, numeric[arg], ctx.tol.gradcheck, ctx.tol.floor, name,
                          "the numeric gradient of your " + forward)
        tally.record("gradcheck", name, problem and f"{where}: {problem}")
