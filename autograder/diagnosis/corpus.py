"""Grade a labelled corpus of variant solutions and measure detection, false fails and diagnosis accuracy.

A corpus folder holds one folder per assignment; each file is one or more functions that replace the
reference's (appended to it, as a submission), with `task:` and `misconception:` lines in its docstring
(`task: none` marks a correct variant in another style). tests/mutants/ is the project's corpus; an
instructor can keep one for their own catalogue of misconceptions.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.course.config import GraderConfig
from autograder.course.registry import ASSIGNMENTS
from autograder.grading import grade_submission
from autograder.results import SubmissionResult


@dataclass(frozen=True)
class Verdict:
    """How one corpus variant was graded."""

    path: Path
    task: str
    label: str
    lost: frozenset[str]  # tasks that lost points
    named: frozenset[str]  # confident diagnoses on the labelled task

    @property
    def correct_variant(self) -> bool:
        return self.task == "none"

    @property
    def detected(self) -> bool:
        return self.task in self.lost

    @property
    def diagnosed(self) -> bool:
        return self.named == {self.label}


def labels(path: Path) -> tuple[str, str]:
    text = path.read_text()
    return tuple(re.search(rf"^{key}: (\S+)", text, re.M).group(1) for key in ("task", "misconception"))


def grade_variant(path: Path, config: GraderConfig, folder: Path, references: Path) -> Verdict:
    assignment = path.parent.name
    task, label = labels(path)
    reference = (references / f"{assignment}.py").read_text()
    submission = folder / f"{assignment}__{path.stem}.py"
    submission.write_text(reference + "\n\n" + path.read_text())
    result = grade_submission(submission, assignment, config)
    return Verdict(path, task, label, frozenset(lost_tasks(result)),
                   frozenset(c.diagnosis.id for c in result.checks
                             if c.task == task and c.diagnosis is not None and c.diagnosis.confident))


def lost_tasks(result: SubmissionResult) -> set[str]:
    return {c.task for c in result.checks if c.score < c.max_score - 1e-9}


def measure(config: GraderConfig, corpus: Path, references: Path) -> list[Verdict]:
    with tempfile.TemporaryDirectory() as tmp:
        return [grade_variant(path, config, Path(tmp), references)
                for name in sorted(ASSIGNMENTS) for path in sorted((corpus / name).glob("*.py"))]


def figures(verdicts: list[Verdict]) -> dict[str, tuple[int, int]]:
    buggy = [v for v in verdicts if not v.correct_variant]
    correct = [v for v in verdicts if v.correct_variant]
    return {"detection": (sum(v.detected for v in buggy), len(buggy)),
            "false fails": (sum(bool(v.lost) for v in correct), len(correct)),
            "diagnosis": (sum(v.diagnosed for v in buggy), len(buggy))}
