"""Checks of parameter counting at several layer sizes, with and without biases."""
from __future__ import annotations

import numpy as np

from autograder.cases import draw_layer_dims
from autograder.checks.common import Evidence, Tally, TaskContext, call_each, describe
from autograder.results import CheckResult
from autograder.tasks import CountTask


def grade_count(ctx: TaskContext, task: CountTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    numbers = range(1, ctx.config.grading.random_cases + 3)
    tally = Tally({"with_bias": [f"net {n}" for n in numbers], "without_bias": [f"net {n}" for n in numbers]},
                  hidden=not ctx.public)
    questions = [(number, check, bias, draw_layer_dims(ctx.config.grading.seed, task.name, number))
                 for number in numbers for check, bias in (("with_bias", True), ("without_bias", False))]
    outcomes = call_each(ctx, task.name, [[list(dims), bias] for _, _, bias, dims in questions])
    for (number, check, bias, dims), outcome in zip(questions, outcomes):
        expected = reference(list(dims), bias)
        shown = f"{task.name}({dims}, bias={bias})"
        evidence = Evidence(shown, {"layer_dims": list(dims), "bias": bias}, {"count": expected})
        tally.observe(evidence)
        if isinstance(outcome, Exception):
            problem = evidence.error = f"{shown}: {describe(outcome)}"
        else:
            received = evidence.received["count"] = outcome[0]
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
