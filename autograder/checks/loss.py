"""Checks of a loss function `(loss, dscores)`, including numerical stability at large scores."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograder.checks.common import (
    Evidence,
    Tally,
    TaskContext,
    call_each,
    close,
    compare,
    describe,
    fresh,
    judge_array,
    judge_unchanged,
    scalar_problem,
    unpack,
)
from autograder.checks.layer import gradcheck_cases, queue_gradcheck, run_gradchecks
from autograder.course.cases import STABILITY_SCALE, Case, draw_inputs
from autograder.course.tasks import LossTask
from autograder.results import CheckResult


def grade_loss(ctx: TaskContext, task: LossTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    input_names = [a.name for a in task.inputs]
    tally = Tally({"structure": ["loss", "dscores"], "loss": ["loss"], "gradient": ["dscores"],
                   "gradcheck": ["dscores"], "stability": ["loss", "dscores"], "inputs_unchanged": input_names},
                  hidden=not ctx.public,
                  catalogue=ctx.assignment.catalogue)
    seed = ctx.seed
    cases = ctx.cases(task.name)
    inputs = [draw_inputs(seed, task.name, case, task.inputs) for case in cases]
    # Large scores locally too (from the public seed, so other values than at grading): a local check that
    # passes must not hide a stability failure that grading would find.
    large = [(case, _large_scores(seed, task, case)) for case in (cases[0], cases[-1])]
    # The ordinary cases and the large-score cases, all in one request.
    outcomes = call_each(ctx, task.name, inputs + [args for _, args in large], echo=True)
    for case, (scores, labels), outcome in zip(cases, inputs, outcomes):
        where = f"case {case.number} ({case.label()})"
        ref_loss, ref_dscores = reference(scores.copy(), labels.copy())
        evidence = Evidence(where, {"scores": scores, "y": labels}, {"loss": np.float64(ref_loss),
                                                                       "dscores": ref_dscores}, sizes=case.sizes)
        tally.observe(evidence)
        if isinstance(outcome, Exception):
            evidence.error = describe(outcome)
            tally.fail_all(f"{where}: {tally.describe(outcome)}", ("structure", "loss", "gradient", "gradcheck",
                                                              "inputs_unchanged"))
            continue
        result, echoed = outcome
        parts = unpack(result, 2, "(loss, dscores)")
        if isinstance(parts, str):
            evidence.error = parts
            tally.fail_all(f"{where}: {parts}", ("structure", "loss", "gradient", "gradcheck"))
        else:
            loss, dscores = parts
            evidence.received = {"loss": loss, "dscores": dscores}
            problem = scalar_problem(loss)
            tally.record("structure", "loss", problem and f"{where}: {problem}")
            judge_array(ctx, tally, where, "loss", loss, np.float64(ref_loss), structure=False, check="loss")
            judge_array(ctx, tally, where, "dscores", dscores, ref_dscores, check="gradient")
            if case.number in gradcheck_cases(cases):
                loss_right = close(loss, ref_loss, ctx.tol.values, ctx.tol.floor)
                queue_gradcheck(ctx, tally, where, task.name, [scores, labels], np.ones(()), ["dscores"], [dscores],
                                None if loss_right else [ref_dscores], pick=0, wrt=[0])
        evidence.modified = judge_unchanged(tally, where, input_names, [scores, labels], echoed)
    for (case, args), outcome in zip(large, outcomes[len(inputs):]):
        _judge_stability(ctx, tally, reference, case, args, outcome)
    run_gradchecks(ctx)
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


def _large_scores(seed: int, task: LossTask, case: Case) -> list[np.ndarray]:
    scores, labels = draw_inputs(seed, task.name + ":stability", case, task.inputs)
    return [scores * (STABILITY_SCALE / 2.0), labels]


def _judge_stability(ctx: TaskContext, tally: Tally, reference: Callable, case: Case, args: list[np.ndarray],
                     outcome: tuple[Any, list] | Exception) -> None:
    where = f"large scores, case {case.number} ({case.label()})"
    if isinstance(outcome, Exception):
        tally.fail_all(f"{where}: {tally.describe(outcome)}", ("stability",))
        return
    parts = unpack(outcome[0], 2, "(loss, dscores)")
    if isinstance(parts, str):
        tally.fail_all(f"{where}: {parts}", ("stability",))
        return
    ref_loss, ref_dscores = reference(*fresh(args))
    tally.observe(Evidence(where, {"scores": args[0], "y": args[1]}, {"loss": np.float64(ref_loss),
                                                                     "dscores": ref_dscores},
                           {"loss": parts[0], "dscores": parts[1]}, stability=True, sizes=case.sizes))
    for name, received, wanted in (("loss", parts[0], np.float64(ref_loss)), ("dscores", parts[1], ref_dscores)):
        problem = compare(received, wanted, ctx.tol.values, ctx.tol.floor, name, "the reference")
        tally.record("stability", name, problem and f"{where}: {problem}")
