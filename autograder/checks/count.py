"""Checks of parameter counting at several layer sizes, with and without biases."""
from __future__ import annotations

import numpy as np

from autograder.cases import draw_layer_dims
from autograder.checks.common import Failure, Tally, TaskContext, call, describe
from autograder.results import CheckResult
from autograder.tasks import CountTask


def grade_count(ctx: TaskContext, task: CountTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    numbers = range(1, ctx.config.grading.random_cases + 3)
    tally = Tally({"with_bias": [f"net {n}" for n in numbers], "without_bias": [f"net {n}" for n in numbers]})
    for number in numbers:
        dims = draw_layer_dims(ctx.config.grading.seed, task.name, number)
        for check, bias in (("with_bias", True), ("without_bias", False)):
            expected = reference(list(dims), bias)
            shown = f"{task.name}({dims}, bias={bias})"
            try:
                received, _ = call(ctx, task.name, [list(dims), bias])
            except Failure as failure:
                tally.record(check, f"net {number}", f"{shown}: {describe(failure)}")
                continue
            if isinstance(received, (bool, np.bool_)) or not isinstance(received, (int, np.integer)):
                problem = f"{shown} returned {received!r} ({type(received).__name__}); return an int"
            elif int(received) != expected:
                problem = f"{shown} returned {int(received)}, expected {expected}"
            else:
                problem = None
            tally.record(check, f"net {number}", problem)
    return tally.results(task.name, ctx.points, {
        "with_bias": f"{task.name}(layer_dims, bias=True) counts weights and biases, at several layer sizes",
        "without_bias": f"{task.name}(layer_dims, bias=False) counts weights only, at several layer sizes",
    })
