"""Checks of back-of-the-envelope questions: the student's function against the reference at random values."""
from __future__ import annotations

import numpy as np

from autograder.checks.common import (
    Evidence,
    Tally,
    TaskContext,
    call_each,
    compare,
    describe,
    fresh,
    judge_unchanged,
    unpack,
)
from autograder.course.cases import draw_inputs
from autograder.course.tasks import Arg, QuestionTask
from autograder.results import CheckResult


def grade_question(ctx: TaskContext, task: QuestionTask) -> list[CheckResult]:
    """One item per case, so an answer that is right only for some parameters earns partial credit."""
    reference = getattr(ctx.reference, task.name)
    cases = ctx.cases(task.name)
    arrays = [spec.name for spec in task.inputs if isinstance(spec, Arg)] if task.inputs_unchanged else []
    items = {"values": [f"case {case.number}" for case in cases]}
    if task.inputs_unchanged:
        items["inputs_unchanged"] = arrays
    tally = Tally(items, hidden=not ctx.public, catalogue=ctx.assignment.catalogue)
    inputs = [draw_inputs(ctx.seed, task.name, case, task.inputs, task.requires) for case in cases]
    outcomes = call_each(ctx, task.name, inputs, echo=task.inputs_unchanged)
    for case, args, outcome in zip(cases, inputs, outcomes):
        expected = reference(*fresh(args))
        full = f"{task.name}({_show_args(task, args)})"
        # A hidden case is named by its number only: its parameter values are the question (hidden inputs).
        shown = full if ctx.public else f"{task.name}, hidden case {case.number}"
        tally.observe(_evidence(task, full, args, expected, outcome))
        problem = f"{shown}: {tally.describe(outcome)}" if isinstance(outcome, Exception) else \
            _problem(ctx, shown, outcome[0], expected)
        tally.record("values", f"case {case.number}", problem)
        if task.inputs_unchanged and not isinstance(outcome, Exception):
            sent = [a for spec, a in zip(task.inputs, args) if isinstance(spec, Arg)]
            echoed = [a for spec, a in zip(task.inputs, outcome[1]) if isinstance(spec, Arg)]
            judge_unchanged(tally, shown, arrays, sent, echoed)
    passed = {"values": f"{task.name} gives the right answer at several random parameter values "
                        f"(relative error at most {ctx.tol.values:g})"}
    if task.inputs_unchanged:
        passed["inputs_unchanged"] = f"{task.name} leaves its inputs ({', '.join(arrays)}) unmodified"
    return tally.results(task.name, ctx.points, passed)


def _problem(ctx: TaskContext, shown: str, received: object, expected: object) -> str | None:
    if isinstance(expected, tuple):
        parts = unpack(received, len(expected), f"of {len(expected)} arrays")
        if isinstance(parts, str):
            return f"{shown} {parts}"
        for index, (got, want) in enumerate(zip(parts, expected)):
            if isinstance(got, np.ndarray) and got.shape != np.shape(want):
                return f"{shown}: output {index} has shape {got.shape}, expected {want.shape}"
            problem = compare(got, want, ctx.tol.values, ctx.tol.floor, f"output {index}", "the reference")
            if problem:
                return f"{shown}: {problem}"
        return None
    if isinstance(received, (bool, np.bool_)) or not isinstance(received, (int, float, np.integer, np.floating)):
        return f"{shown} returned {type(received).__name__}, expected a number"
    problem = compare(received, np.float64(expected), ctx.tol.values, ctx.tol.floor, "the answer", "the reference")
    return f"{shown}: {problem}" if problem else None


def _evidence(task: QuestionTask, shown: str, args: list, expected: object, outcome: object) -> Evidence:
    """Answers as items: "answer" for a number, "output 0", "output 1", ... for a tuple of arrays."""
    names = [f"output {i}" for i in range(len(expected))] if isinstance(expected, tuple) else ["answer"]
    wanted = list(expected) if isinstance(expected, tuple) else [expected]
    evidence = Evidence(shown, {spec.name: a for spec, a in zip(task.inputs, args)}, dict(zip(names, wanted)))
    if isinstance(outcome, Exception):
        evidence.error = describe(outcome)
        return evidence
    parts = unpack(outcome[0], len(names), "") if isinstance(expected, tuple) else [outcome[0]]
    if isinstance(parts, str):
        evidence.error = parts
    else:
        evidence.received = dict(zip(names, parts))
    return evidence


def _show_args(task: QuestionTask, args: list) -> str:
    """Scalars are shown (they are the question); arrays only by shape."""
    return ", ".join(f"{spec.name}=<array {a.shape}>" if isinstance(spec, Arg) else f"{spec.name}={a}"
                     if isinstance(a, dict) else f"{spec.name}={a:g}" for spec, a in zip(task.inputs, args))
