"""Grades as data: one `CheckResult` per check, gathered in a `SubmissionResult`. Rendering lives elsewhere."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from autograder.diagnosis.diagnose import Diagnosis


class Outcome(str, Enum):
    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"
    ERROR = "error"  # the submission could not be graded at all


@dataclass(frozen=True)
class CheckResult:
    """One graded check of one task; `feedback` is written for the student."""

    task: str
    check: str
    score: float
    max_score: float
    outcome: Outcome
    feedback: str
    diagnosis: Diagnosis | None = None  # the likely misconception behind a failure (or what is known of it)
    evidence: tuple[dict[str, Any], ...] = ()  # per wrong item: where, shapes and a map of the error
    # For instructors only (grade.json and the TA report, never results.json or a student's report): the full
    # text of failures that `feedback` shows scrubbed, exception messages of hidden cases.
    withheld: tuple[str, ...] = ()
    # What the points are split over (outputs, gradients, inputs or cases: each earns max_score / len(items) when
    # right in every case) and which were wrong; () for a check that never ran. Not recorded in grade.json: the
    # otter mode's cases read them in the kernel, one case per item.
    items: tuple[str, ...] = field(default=(), compare=False)
    failed_items: tuple[str, ...] = field(default=(), compare=False)

    @property
    def name(self) -> str:
        return f"{self.task} / {self.check}"


@dataclass
class SubmissionResult:
    """Everything graded about one submission, in the assignment's task order."""

    id: str
    assignment: str
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # load problems: cells that failed, statements skipped
    error: str | None = None  # set when nothing could be graded (not a notebook, empty file, ...)
    isolation: str = "none"
    timeouts: int = 0  # calls into student code that ran out of time (a function that hangs is not called again)
    versions: dict[str, str] = field(default_factory=dict)  # the Python and NumPy that graded it ({} in older records)

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 6)

    def task_scores(self) -> dict[str, float]:
        scores: dict[str, float] = {}
        for check in self.checks:
            scores[check.task] = round(scores.get(check.task, 0.0) + check.score, 6)
        return scores

    def task_outcomes(self) -> dict[str, Outcome]:
        """Per task: not attempted, passed (full marks), failed (nothing) or partial."""
        outcomes: dict[str, list[CheckResult]] = {}
        for check in self.checks:
            outcomes.setdefault(check.task, []).append(check)
        return {task: task_outcome(checks) for task, checks in outcomes.items()}


def task_outcome(checks: list[CheckResult]) -> Outcome:
    """The outcome of one task from its checks: not attempted, passed (full marks), failed (nothing) or partial."""
    if all(c.outcome is Outcome.NOT_ATTEMPTED for c in checks):
        return Outcome.NOT_ATTEMPTED
    if all(c.score >= c.max_score for c in checks):
        return Outcome.PASSED
    if sum(c.score for c in checks) == 0:
        return Outcome.FAILED
    return Outcome.PARTIAL


def result_to_dict(result: SubmissionResult) -> dict:
    """Plain data for grade.json; `result_from_dict` gives the same result back."""
    return {
        "id": result.id,
        "assignment": result.assignment,
        "error": result.error,
        "isolation": result.isolation,
        "timeouts": result.timeouts,
        "versions": dict(result.versions),
        "notes": list(result.notes),
        "checks": [{"task": c.task, "check": c.check, "score": c.score, "max_score": c.max_score,
                    "outcome": c.outcome.value, "feedback": c.feedback,
                    "diagnosis": c.diagnosis.to_dict() if c.diagnosis else None, "evidence": list(c.evidence),
                    **({"withheld": list(c.withheld)} if c.withheld else {})}
                   for c in result.checks],
    }


def result_from_dict(data: dict) -> SubmissionResult:
    checks = [CheckResult(c["task"], c["check"], float(c["score"]), float(c["max_score"]), Outcome(c["outcome"]),
                          c["feedback"], Diagnosis.from_dict(c["diagnosis"]) if c.get("diagnosis") else None,
                          tuple(c.get("evidence") or ()), tuple(c.get("withheld") or ())) for c in data["checks"]]
    return SubmissionResult(id=data["id"], assignment=data["assignment"], checks=checks, notes=list(data["notes"]),
                            error=data["error"], isolation=data["isolation"],
                            timeouts=int(data.get("timeouts", 0)), versions=dict(data.get("versions") or {}))
