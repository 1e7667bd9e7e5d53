"""Misconception models any assignment's catalogue can reuse, and how a task's catalogue is found.

Each entry models what the mistaken code computes, from the inputs of a case (or states a test on the
evidence), so it is confirmed or ruled out by the student's own answers. An assignment's catalogue (in its
folder, assignments/<name>/misconceptions.py) lists its entries per task, ordered: the first entry that fits
is named. The models here are the slips any layer can have: a factor of N, a transpose, a sign, an argument
changed in place, a matrix product that does not line up, a NumPy name that was removed.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from autograder.diagnosis.diagnose import EVERY, Evidence, Fits, Misconception, predicts, same
from autograder.sandbox.numpy_removals import removal_in

Model = Callable[[Evidence], "dict[str, Any] | None"]


def any_of(*models: Model) -> Fits:
    """Fits when one of several ways of writing the same mistake fits."""
    tests = [predicts(model) for model in models]
    return lambda evidence: next((found for found in (test(evidence) for test in tests) if found), None)


def holds(test: Callable[[list[Evidence]], bool]) -> Fits:
    """A hypothesis stated as a test on the whole evidence; when it holds it explains every wrong item."""
    return lambda evidence: EVERY if test(evidence) else None


def batch_size(case: Evidence) -> int:
    """N, the length of the case's first input."""
    first = next(iter(case.inputs.values()))
    return int(np.shape(first)[0])


# Generic slips in a gradient: each names the item it is about, so the feedback can say which one.

def all_averaged(items: list[str], section: str) -> Misconception:
    return Misconception(
        "every-gradient-divided-by-N", "every gradient is divided by the batch size",
        "The 1/N of the mean is already inside dout (the loss's gradient): a layer's backward sums over the "
        "batch and divides by nothing.", section,
        predicts(lambda c: {item: np.asarray(c.expected[item]) / batch_size(c) for item in items}))


def missing_transpose(section: str) -> Misconception:
    return Misconception(
        "missing-transpose", "a matrix product in the backward pass has shapes that do not line up, "
        "most often because a transpose is missing", "Match dimensions: each gradient has the shape of what it "
        "is the gradient of, and the product that gives that shape uses the transpose of the forward pass's "
        "matrix (check too that the cache is unpacked in the order the forward packed it).", section,
        holds(_missing_transpose))


def averaged(item: str, section: str) -> Misconception:
    return Misconception(
        f"{item}-averaged-not-summed", f"{item} is averaged over the batch instead of summed",
        f"Each example adds its own contribution to {item}: sum over the batch axis, do not take the mean "
        "(any 1/N belongs in the loss, not in every layer).", section,
        predicts(lambda c: {item: c.expected[item] / batch_size(c)}))


def transposed(item: str, section: str) -> Misconception:
    return Misconception(
        f"{item}-transposed", f"{item} is the transpose of the right gradient",
        f"A gradient has the shape of what it is the gradient of: {item} must be shaped like "
        f"{item[1:]}. Match dimensions to decide the order of the product.", section,
        predicts(lambda c: {item: np.asarray(c.expected[item]).T} if np.ndim(c.expected[item]) == 2 else None))


def sign_flipped(items: list[str], section: str) -> Misconception:
    return Misconception(
        "sign-flip", "the gradient has the wrong sign",
        "The gradient points uphill: the update subtracts it. Recheck the sign of each local derivative.",
        section, predicts(lambda c: {item: -np.asarray(c.expected[item], dtype=np.float64) for item in items}))


def in_place(upstream: str | None, section: str) -> list[Misconception]:
    """Changing an argument in place: the caller's array (often still needed) is silently altered."""
    hint = ("Work on a copy (x.copy()) or use out-of-place operations such as np.maximum(x, 0); "
            "`a *= ...` and `a[mask] = 0` change the caller's array.")
    found = []
    if upstream is not None:
        found.append(Misconception("mutates-dout-in-place", f"{upstream} is modified in place", hint, section,
                                   holds(lambda ev: any(upstream in c.modified for c in ev)), about="inputs"))
    found.append(Misconception("mutates-input-in-place", "an input is modified in place", hint, section,
                               holds(lambda ev: any(set(c.modified) - {upstream} for c in ev)), about="inputs"))
    return found


def _missing_transpose(evidence: list[Evidence]) -> bool:
    """Every call failed on a matrix product whose shapes do not line up: an operand lacks its .T."""
    failed = [c.error for c in evidence if c.error is not None]
    return bool(failed) and len(failed) == len(evidence) and all(
        "ValueError" in e and ("matmul" in e or "not aligned" in e) for e in failed)


def _removed_numpy_name(evidence: list[Evidence]) -> bool:
    """Some call failed on a name NumPy removed, every failed call failed on one, and every other case is right."""
    failed = [case.error for case in evidence if case.error is not None]
    return bool(failed) and all(removal_in(error) for error in failed) and all(
        same(case.received[item], case.expected[item])
        for case in evidence if case.error is None for item in case.expected if item in case.received)


# Any task can meet it: code written against NumPy 1.x, graded under NumPy 2.
REMOVED_NUMPY_NAME = Misconception(
    "removed-numpy-name", "the code uses a NumPy name or keyword that newer NumPy releases removed",
    "The error above names what was removed and what to write instead. Code written for NumPy 1.x (much course "
    "material and many answers online) can fail like this under NumPy 2.", "", holds(_removed_numpy_name))


def catalogue_for(catalogue: Mapping[str, Sequence[Misconception]], task: str) -> list[Misconception]:
    """The task's own entries in an assignment's `catalogue`, then those any task can meet."""
    return list(catalogue.get(task, ())) + [REMOVED_NUMPY_NAME]
