"""Checks of parameter counting at several layer sizes, with and without biases."""
from __future__ import annotations

import numpy as np

from autograder.checks.common import Evidence, Tally, TaskContext, call_each, describe
from autograder.course.cases import draw_layer_dims
from autograder.course.tasks import CountTask
from autograder.results import CheckResult


def grade_count(ctx: TaskContext, task: CountTask) -> list[CheckResult]:
    reference = getattr(ctx.reference, task.name)
    numbers = range(1, ctx.config.grading.random_cases + 3)
    tally = Tally({"with_bias": [f"net {n}" for n in numbers], "without_bias": [f"net {n}" for n in numbers]},
                  hidden=not ctx.public,
                  catalogue=ctx.assignment.catalogue)
    questions = [(number, check, bias, draw_layer_dims(ctx.seed, task.name, number))
                 for number in numbers for check, bias in (("with_bias", True), ("without_bias", False))]
    outcomes = call_each(ctx, task.name, [[list(dims), bias] for _, _, bias, dims in questions])
    for (number, check, bias, dims), outcome in zip(questions, outcomes):
        expected = reference(list(dims), bias)
        full = f"{task.name}({dims}, bias={bias})"
        shown = full if ctx.public else f"{task.name} on {_hidden_net(number, dims)}, bias={bias}"
        evidence = Evidence(full, {"layer_dims": list(dims), "bias": bias}, {"count": expected})
        tally.observe(evidence)
        if isinstance(outcome, Exception):
            evidence.error = describe(outcome)
            problem = f"{shown}: {tally.describe(outcome)}"
        else:
            received = evidence.received["count"] = outcome[0]
            if isinstance(received, (bool, np.bool_)) or not isinstance(received, (int, np.integer)):
                problem = f"{shown} returned a {type(received).__name__}; return an int"
            elif int(received) != expected:
                # Of a hidden net, neither count is shown: with the layer sizes unknown, a student could only
                # copy the expected number, and a stated factor would give it away beside the received one.
                problem = f"{shown} returned {int(received)}, expected {expected}" if ctx.public else \
                    f"{shown}: the count is wrong"
            else:
                problem = None
        tally.record(check, f"net {number}", problem)
    return tally.results(task.name, ctx.points, {
        "with_bias": f"{task.name}(layer_dims, bias=True) counts weights and biases, at several layer sizes",
        "without_bias": f"{task.name}(layer_dims, bias=False) counts weights only, at several layer sizes",
    })


def _hidden_net(number: int, dims: list[int]) -> str:
    """A hidden net by its public shape: which of the named nets, or how many layers."""
    if number == 1:
        return "the 784-H-10 net (H hidden)"
    if number == 2:
        return "the 784-H1-H2-10 net (H1, H2 hidden)"
    return f"hidden net {number} ({len(dims)} layers)"
