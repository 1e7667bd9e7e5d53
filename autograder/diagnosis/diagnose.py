"""Name the bug: test hypotheses about a failed task against the evidence the checks already gathered.

The checks record, per case, the inputs they sent, the reference's answer and the student's answer
(`Evidence`). A misconception (see `misconceptions`) is a claim about what the student's code computes
instead, for example "db = dout.mean(axis=0)". It is named only when the student's answers agree with that
claim in every case where it makes a prediction, and the claim differs from the right answer in at least
one: several sizes (N = 1 among them) keep a factor of N from hiding. When nothing fits, the diagnosis says
only what the evidence shows (shapes, a constant factor, which time steps are wrong), marked not confident.

Everything here runs in the grader on arrays that were decoded from the worker: no student code is called.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

MATCH_TOL = 1e-6
MAP_SIZE = 16  # the error map of a wrong array is at most this many cells a side


@dataclass
class Evidence:
    """One case of one task: what was sent, what the reference answered and what the student answered."""

    where: str
    inputs: dict[str, Any]
    expected: dict[str, Any]
    received: dict[str, Any] = field(default_factory=dict)  # empty when the call failed
    error: str | None = None  # the failure, when the student's call raised, hung or returned a bad structure
    modified: list[str] = field(default_factory=list)  # inputs the student's call changed in place
    stability: bool = False  # a large-input case, run to test numerical stability
    sizes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnosis:
    """The likely misconception behind a failed check, or (not confident) what is known about the failure."""

    id: str
    title: str
    hint: str = ""
    section: str = ""
    confident: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "hint": self.hint, "section": self.section,
                "confident": self.confident}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Diagnosis":
        return cls(str(data["id"]), str(data["title"]), str(data.get("hint", "")), str(data.get("section", "")),
                   bool(data.get("confident", True)))

    def text(self) -> str:
        """The lines a student reads under a failed check."""
        if not self.confident:
            return f"What the evidence shows: {self.title}"
        where = f" (see \"{self.section}\")" if self.section else ""
        return f"Likely misconception: {self.title}. {self.hint}{where}".rstrip()


# A hypothesis's test: None when the evidence does not support it, else the items it explains (EVERY: all).
Fits = Callable[[list[Evidence]], "frozenset[str] | None"]
EVERY = frozenset({"*"})


@dataclass(frozen=True)
class Misconception:
    """A hypothesis: `fits` says whether the evidence supports it."""

    id: str
    title: str
    hint: str
    section: str
    fits: Fits
    about: str = "values"  # "values": explains wrong answers; "inputs": explains inputs changed in place

    def diagnosis(self) -> Diagnosis:
        return Diagnosis(self.id, self.title, self.hint, self.section)


def predicts(model: Callable[[Evidence], dict[str, Any] | None]) -> Fits:
    """A hypothesis given as a model of the buggy code: the items it changes, computed from the inputs.

    It fits when every prediction matches the student's answer (shape included) and at least one prediction
    differs from the right answer; a case where the model returns None, or the student's call failed, is
    no evidence either way. It explains the items it predicts wrong somewhere.
    """

    def fits(evidence: list[Evidence]) -> frozenset[str] | None:
        explained: set[str] = set()
        for case in evidence:
            if case.error is not None or case.stability:
                continue
            with np.errstate(all="ignore"):
                predicted = model(case)
            if predicted is None:
                continue
            for item, value in predicted.items():
                if item not in case.received or not same(case.received[item], value):
                    return None
                if not same(value, case.expected[item]):
                    explained.add(item)
        return frozenset(explained) or None

    return fits


def same(received: Any, expected: Any, tol: float = MATCH_TOL) -> bool:
    """Equal shapes and values within `tol` (relative, with a floor for entries near zero); NaN matches NaN."""
    if isinstance(received, (bool, np.bool_)) or isinstance(expected, (bool, np.bool_)):
        return False
    try:
        a = np.asarray(received, dtype=np.float64)
        b = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if a.shape != b.shape:
        return False
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(np.isnan(a), np.isnan(b)) or not np.array_equal(a[~finite & ~np.isnan(a)],
                                                                          b[~finite & ~np.isnan(b)]):
        return False
    a, b = a[finite], b[finite]
    return bool(np.all(np.abs(a - b) <= tol * np.maximum(1e-8, np.abs(a) + np.abs(b))))


def diagnose(catalogue: list[Misconception], evidence: list[Evidence], failed_items: set[str],
             about: str = "values") -> Diagnosis | None:
    """The best-supported misconception of `catalogue`, else what is known, else None.

    Best supported: the first that fits and explains every wrong item. One that explains only some of them
    is named with the others listed as wrong for another reason, so the student is never told that one
    slip accounts for everything when it does not.
    """
    partial: tuple[Misconception, frozenset[str]] | None = None
    for misconception in catalogue:
        if misconception.about != about:
            continue
        explained = misconception.fits(evidence)
        if explained is None:
            continue
        if explained == EVERY or failed_items <= explained:
            return misconception.diagnosis()
        if partial is None:
            partial = (misconception, explained)
    if partial is not None:
        misconception, explained = partial
        others = describe_failure(evidence, failed_items - explained) or ", ".join(sorted(failed_items - explained))
        named = misconception.diagnosis()
        return Diagnosis(named.id, f"{named.title}; besides that, {others}", named.hint, named.section)
    if about != "values" or not failed_items:
        return None
    facts = describe_failure(evidence, failed_items)
    return Diagnosis("unexplained", facts, confident=False) if facts else None


def describe_failure(evidence: list[Evidence], failed_items: set[str]) -> str:
    """Plain facts about the wrong items, from the first case each is wrong in; no guess about the cause."""
    facts = []
    for item in sorted(failed_items):
        cases = [case for case in evidence
                 if case.error is None and item in case.received and item in case.expected and not case.stability]
        factor = _common_factor([(case.received[item], case.expected[item]) for case in cases])
        if factor is not None:
            facts.append(f"{item} is the right answer times {factor:.4g} in every case (a constant factor)")
            continue
        for case in cases:
            fact = _item_fact(item, case.received[item], case.expected[item], case.sizes)
            if fact:
                facts.append(fact)
                break
    return "; ".join(facts)


def _common_factor(pairs: list[tuple[Any, Any]]) -> float | None:
    """The k with received == k * expected in every pair, when there is one (not 0 or 1) and it is shown by at
    least two numbers: any single number is some multiple of any other, so one number proves nothing."""
    try:
        got = [np.asarray(r, dtype=np.float64) for r, _ in pairs]
        want = [np.asarray(e, dtype=np.float64) for _, e in pairs]
    except (TypeError, ValueError):
        return None
    if not pairs or any(g.shape != w.shape for g, w in zip(got, want)):
        return None
    got_all = np.concatenate([g.ravel() for g in got])
    want_all = np.concatenate([w.ravel() for w in want])
    if np.count_nonzero(want_all) < 2 or not np.all(np.isfinite(got_all)) or not np.all(np.isfinite(want_all)):
        return None
    scale = float(np.vdot(got_all, want_all) / np.vdot(want_all, want_all))
    if scale == 0.0 or same(scale, 1.0) or not same(got_all, scale * want_all, 1e-5):
        return None
    return scale


def _item_fact(item: str, received: Any, expected: Any, sizes: dict[str, int]) -> str | None:
    try:
        got = np.asarray(received, dtype=np.float64)
        want = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if got.shape != want.shape:
        if got.size == want.size and got.ndim == 2 and got.shape == want.shape[::-1]:
            return f"{item} has the shape of the transpose of the right answer, {want.shape}"
        return f"{item} has shape {got.shape}, expected {want.shape}"
    if same(got, want):
        return None
    if not np.all(np.isfinite(got)):
        return f"{item} contains nan or inf"
    if got.ndim == 0:
        return f"{item} is wrong"
    wrong = ~np.isclose(got, want, rtol=1e-5, atol=1e-8)
    if got.ndim == 3 and "T" in sizes and got.shape[1] == sizes["T"] > 1:
        steps = [t for t in range(got.shape[1]) if wrong[:, t].any()]
        return f"{item} is wrong at {_steps_text(steps, got.shape[1])}"
    return f"{item} is wrong in {int(wrong.sum())} of {wrong.size} entries"


def _steps_text(steps: list[int], total: int) -> str:
    if steps == list(range(len(steps))) and len(steps) < total:
        return f"the earliest time steps only (t = 0..{len(steps) - 1} of 0..{total - 1}); the later ones are right"
    if steps == list(range(total - len(steps), total)) and len(steps) < total:
        return f"the latest time steps only (t = {total - len(steps)}..{total - 1}); the earlier ones are right"
    if len(steps) == total:
        return "every time step"
    return "time steps " + ", ".join(map(str, steps)) + f" of 0..{total - 1}"


def error_map(received: Any, expected: Any) -> list[list[float | None]] | None:
    """|received - expected| per entry, as at most MAP_SIZE x MAP_SIZE cells (each the largest error it covers),
    for a picture of where an array is wrong (None marks nan or inf); None when the shapes differ.

    3-D arrays (batch, time, features) are folded over the batch, so rows are time steps."""
    try:
        got = np.asarray(received, dtype=np.float64)
        want = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if got.shape != want.shape or got.size == 0 or got.ndim > 3:
        return None
    with np.errstate(all="ignore"):
        diff = np.abs(got - want)
    if diff.ndim == 3:
        diff = diff.max(axis=0)
    diff = diff.reshape(1, -1) if diff.ndim < 2 else diff
    rows = np.array_split(np.arange(diff.shape[0]), min(MAP_SIZE, diff.shape[0]))
    cols = np.array_split(np.arange(diff.shape[1]), min(MAP_SIZE, diff.shape[1]))
    with np.errstate(invalid="ignore"):
        return [[_rounded(diff[np.ix_(r, c)].max()) for c in cols] for r in rows]


def _rounded(value: float) -> float | None:
    return float(f"{value:.3g}") if np.isfinite(value) else None
