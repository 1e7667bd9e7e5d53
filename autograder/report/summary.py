"""What the class summary shows, computed from the loaded results: pass rates, misconceptions, errors, timings.

Only counted submissions (one per student, as in gradebook.csv) enter the statistics. Everything is sorted
with explicit keys, so the same results always give the same rows in the same order.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.gradebook import error_kind, runtime_failure
from autograder.report.load import ResultsFolder, Submission
from autograder.results import Outcome
from autograder.sandbox.program import UNPARSED

SLOWEST = 10  # rows in the table of slowest submissions
SIMILAR_SHOWN = 10  # flagged pairs listed in the summary; similarity.html shows them all


@dataclass(frozen=True)
class TaskRate:
    task: str
    max_score: float
    mean: float
    full_marks: int
    partial: int
    failed: int
    not_attempted: int
    graded: int

    @property
    def rate(self) -> float:
        return 100 * self.full_marks / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class CheckRate:
    task: str
    check: str
    max_score: float
    passed: int
    attempted: int  # graded submissions that attempted the task: 'not attempted' is not a failure of the check
    graded: int

    @property
    def rate(self) -> float:
        return 100 * self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class Misconception:
    """A confident diagnosis and the counted submissions that show it (each once, however many checks)."""

    id: str
    title: str
    hint: str
    section: str
    submissions: tuple[str, ...]


@dataclass(frozen=True)
class Trouble:
    """A submission that could not be graded, or whose code timed out, ran out of memory, crashed or did not parse."""

    submission: str
    kind: str
    detail: str


@dataclass(frozen=True)
class SimilarPair:
    """A pair that `autograder similar` flagged: it shares `percent` (rounded down) of its code beyond the
    skeleton; `number` is its place on similarity.html."""

    number: int
    a: str
    b: str
    percent: int


@dataclass(frozen=True)
class SimilarityView:
    """What DIR/similarity.json says, for the summary's section that links to similarity.html."""

    threshold: int  # percent
    compared: int
    flagged: int
    top: tuple[SimilarPair, ...]


@dataclass(frozen=True)
class ClassSummary:
    assignment: str
    students: int
    submissions: int
    graded: int
    not_graded: int
    max_score: float | None
    mean: float | None
    median: float | None
    percents: tuple[float, ...]  # one per graded counted submission, for the histogram
    tasks: tuple[TaskRate, ...]
    checks: tuple[CheckRate, ...]
    misconceptions: tuple[Misconception, ...]
    troubles: tuple[Trouble, ...]
    syntax_errors: int  # graded counted submissions with lines that do not parse (a Python 2 file, a typo)
    slowest: tuple[Submission, ...]
    everyone: tuple[Submission, ...]
    unreadable: tuple[tuple[str, str], ...]
    similarity: SimilarityView | None = None  # when `autograder similar` (or `grade`) compared the class


def summarize_class(folder: ResultsFolder) -> ClassSummary:
    """The class summary of a results folder."""
    counted = folder.counted
    graded = [s for s in counted if s.result.error is None]
    totals = [s.result.score for s in graded]
    timed = [s for s in counted if s.execution_time is not None]
    return ClassSummary(
        assignment=folder.assignment, students=len(counted), submissions=len(folder.submissions),
        graded=len(graded), not_graded=len(counted) - len(graded),
        max_score=graded[0].result.max_score if graded else None,
        mean=statistics.fmean(totals) if totals else None,
        median=statistics.median(totals) if totals else None,
        percents=tuple(s.percent for s in graded), tasks=tuple(task_rates(graded)),
        checks=tuple(check_rates(graded)), misconceptions=tuple(misconceptions(counted)),
        troubles=tuple(t for s in counted for t in troubles(s)),
        syntax_errors=sum(any(UNPARSED in note for note in s.result.notes) for s in graded),
        slowest=tuple(sorted(timed, key=lambda s: (-s.execution_time, s.id))[:SLOWEST]),
        everyone=folder.submissions, unreadable=folder.unreadable, similarity=similarity_view(folder.path))


def similarity_view(out_dir: Path) -> SimilarityView | None:
    """The flagged pairs of DIR/similarity.json (read as data, leniently: a damaged file shows no section)."""
    try:
        data = json.loads((Path(out_dir) / "similarity.json").read_text(encoding="utf-8"))
        pairs = [SimilarPair(number, str(p["a"]), str(p["b"]), int(100 * float(p["score"]) + 1e-9))
                 for number, p in enumerate(data["flagged"], start=1)]
        return SimilarityView(round(100 * float(data["threshold"])), int(data["pairs_compared"]), len(pairs),
                              tuple(pairs[:SIMILAR_SHOWN]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def task_order(graded: list[Submission]) -> list[str]:
    """Tasks in the order the grader checks them (every graded record lists all checks in that order)."""
    order: dict[str, None] = {}
    for submission in graded:
        for check in submission.result.checks:
            order.setdefault(check.task, None)
    return list(order)


def task_rates(graded: list[Submission]) -> list[TaskRate]:
    rows = []
    per_submission = [(s.result.task_scores(), s.result.task_outcomes()) for s in graded]  # once each, not per task
    for task in task_order(graded):
        outcomes = [task_outcomes.get(task) for _, task_outcomes in per_submission]
        scores = [task_scores.get(task, 0.0) for task_scores, _ in per_submission]
        maximum = max(sum(c.max_score for c in s.result.checks if c.task == task) for s in graded)
        rows.append(TaskRate(task, maximum, statistics.fmean(scores), outcomes.count(Outcome.PASSED),
                             outcomes.count(Outcome.PARTIAL), outcomes.count(Outcome.FAILED),
                             outcomes.count(Outcome.NOT_ATTEMPTED), len(graded)))
    return rows


def check_rates(graded: list[Submission]) -> list[CheckRate]:
    found: dict[tuple[str, str], list] = {}
    for submission in graded:
        for check in submission.result.checks:
            found.setdefault((check.task, check.check), []).append(check)
    return [CheckRate(task, name, max(c.max_score for c in checks), sum(c.score >= c.max_score for c in checks),
                      sum(c.outcome is not Outcome.NOT_ATTEMPTED for c in checks), len(graded))
            for (task, name), checks in found.items()]


def misconceptions(counted: list[Submission]) -> list[Misconception]:
    """Confident diagnoses only, most frequent first: a symptom the grader is unsure of names no misconception."""
    seen: dict[str, tuple] = {}
    who: dict[str, set[str]] = {}
    for submission in counted:
        for check in submission.checks:
            diagnosis = check.diagnosis
            if diagnosis is None or not diagnosis.confident or not diagnosis.id:
                continue
            seen.setdefault(diagnosis.id, (diagnosis.title, diagnosis.hint, diagnosis.section))
            who.setdefault(diagnosis.id, set()).add(submission.id)
    rows = [Misconception(slug, *seen[slug], tuple(sorted(ids))) for slug, ids in who.items()]
    return sorted(rows, key=lambda m: (-len(m.submissions), m.id))


def troubles(submission: Submission) -> list[Trouble]:
    """Why a submission could not be graded, or how its code failed to run or load, one row per kind."""
    result = submission.result
    if result.error:
        return [Trouble(submission.id, error_kind(result.error), result.error)]
    found: list[Trouble] = []
    unparsed = [note for note in result.notes if UNPARSED in note]
    if unparsed:  # one row, however many lines: the first, how many more, and the tasks they cost
        lost = list(dict.fromkeys(c.task for c in result.checks if UNPARSED in c.feedback))
        found.append(Trouble(submission.id, "syntax error", unparsed[0]
                             + (f"; and {len(unparsed) - 1} more" if len(unparsed) > 1 else "")
                             + (f"; not graded: {', '.join(lost)}" if lost else "")))
    for note in result.notes:
        if UNPARSED not in note and "skipped" in note:
            found.append(Trouble(submission.id, "load problem", note))
    tasks_by_kind: dict[str, list[str]] = {}
    for check in result.checks:
        kind = runtime_failure(check.feedback)
        if kind and check.task not in tasks_by_kind.setdefault(kind, []):
            tasks_by_kind[kind].append(check.task)
    for kind in sorted(tasks_by_kind):
        found.append(Trouble(submission.id, kind, "in " + ", ".join(tasks_by_kind[kind])))
    return found
