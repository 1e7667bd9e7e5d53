"""Checks of a loss function `(loss, dscores)`, including numerical stability at large scores."""
from __future__ import annotations

from typing import Callable

import numpy as np

from autograder.cases import STABILITY_SCALE, Case, draw_inputs
from autograder.checks.common import (
    Failure,
    Tally,
    TaskContext,
    call,
    close,
    compare,
    describe,
    judge_array,
    judge_unchanged,
    scalar_problem,
    unpack,
)
from autograder.checks.layer import gradcheck
from autograder.results import CheckResult
from autograder.tasks import LossTask


def grade_loss(ctx: TaskContext, task: LossTask) -> list[CheckResult]:
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
            result, echoed = call(ctx, task.name, [scores, labels], echo=True)
        except Failure as failure:
            tally.fail_all(f"{where}: {describe(failure)}", ("structure", "loss", "gradient", "gradcheck",
                                                              "inputs_unchanged"))
            continue
        parts = unpack(result, 2, "(loss, dscores)")
        if isinstance(parts, str):
            tally.fail_all(f"{where}: {parts}", ("structure", "loss", "gradient", "gradcheck"))
        else:
            loss, dscores = parts
            problem = scalar_problem(loss)
            tally.record("structure", "loss", problem and f"{where}: {problem}")
            judge_array(ctx, tally, where, "loss", loss, np.float64(ref_loss), structure=False, check="loss")
            judge_array(ctx, tally, where, "dscores", dscores, ref_dscores, check="gradient")
            loss_right = close(loss, ref_loss, ctx.tol.values, ctx.tol.floor)
            gradcheck(ctx, tally, where, task.name, [scores, labels], np.ones(()), ["dscores"], [dscores],
                       loss_right, pick=0, wrt=[0])
        judge_unchanged(tally, where, input_names, [scores, labels], echoed)
    if not ctx.public:
        for case in (cases[0], cases[-1]):
            stability_case(ctx, tally, task, reference, case)
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


def stability_case(ctx: TaskContext, tally: Tally, task: LossTask, reference: Callable, case: Case) -> None:
    scores, labels = draw_inputs(ctx.config.grading.seed, task.name + ":stability", case, task.inputs)
    scores = scores * (STABILITY_SCALE / 2.0)
    where = f"large scores, case {case.number} ({case.label()})"
    ref_loss, ref_dscores = reference(scores.copy(), labels.copy())
    try:
        result, _ = call(ctx, task.name, [scores, labels])
    except Failure as failure:
        tally.fail_all(f"{where}: {describe(failure)}", ("stability",))
        return
    parts = unpack(result, 2, "(loss, dscores)")
    if isinstance(parts, str):
        tally.fail_all(f"{where}: {parts}", ("stability",))
        return
    for name, received, wanted in (("loss", parts[0], np.float64(ref_loss)), ("dscores", parts[1], ref_dscores)):
        problem = compare(received, wanted, ctx.tol.values, ctx.tol.floor, name, "the reference")
        tally.record("stability", name, problem and f"{where}: {problem}")
