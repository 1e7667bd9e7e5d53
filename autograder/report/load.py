"""Read a results folder (DIR/<id>/grade.json and DIR/summary.json) into the data the reports show.

Records written before checks recorded a `diagnosis` and `evidence` still load: both are optional. A record
that cannot be read is listed in `ResultsFolder.unreadable` instead of stopping the reports of everyone else.

The reports follow the last run: summary.json lists its submissions, and a folder it does not list, older than
it, is of a submission no longer graded (removed from the class since); it is left out and named in
`ResultsFolder.stale`. A folder newer than summary.json is of a run that did not finish, and is read.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.diagnosis.diagnose import Diagnosis
from autograder.results import CheckResult, SubmissionResult, result_from_dict


@dataclass(frozen=True)
class Evidence:
    """One wrong output of one case: its shapes and, for a wrong array, |received - expected| per entry."""

    item: str
    where: str
    message: str
    received_shape: tuple[int, ...] | None
    expected_shape: tuple[int, ...] | None
    abs_error: tuple[tuple[float | None, ...], ...] | None  # rows x columns (at most 16 x 16); None: not a number
    hidden: bool


@dataclass(frozen=True)
class Check:
    """One graded check with what the report adds to it."""

    result: CheckResult
    diagnosis: Diagnosis | None
    evidence: tuple[Evidence, ...]

    @property
    def lost_points(self) -> bool:
        return self.result.score < self.result.max_score

    @property
    def checked(self) -> str:
        """What was checked, in plain words: the feedback's first line without its 'Checked: ' label."""
        first = self.result.feedback.split("\n", 1)[0]
        return first.removeprefix("Checked: ")

    @property
    def problems(self) -> list[str]:
        """The feedback's '- ...' lines: what went wrong, one line per case."""
        return [line[2:] for line in self.result.feedback.split("\n")[1:] if line.startswith("- ")]

    @property
    def notes(self) -> list[str]:
        return [line[6:] for line in self.result.feedback.split("\n")[1:] if line.startswith("Note: ")]


@dataclass(frozen=True)
class Submission:
    """One grade.json: the result, its checks with diagnoses and evidence, and the record around it."""

    result: SubmissionResult
    checks: tuple[Check, ...]
    student: str
    execution_time: float | None
    source_sha256: str
    fingerprint: str
    superseded: bool

    @property
    def id(self) -> str:
        return self.result.id

    @property
    def percent(self) -> float:
        return 100 * self.result.score / self.result.max_score if self.result.max_score else 0.0


@dataclass(frozen=True)
class ResultsFolder:
    """Every submission of DIR, sorted by id, and the records that could not be read (path, reason)."""

    path: Path
    assignment: str
    submissions: tuple[Submission, ...]
    unreadable: tuple[tuple[str, str], ...]
    stale: tuple[str, ...] = ()  # folders of submissions the last run no longer graded, left out

    @property
    def counted(self) -> list[Submission]:
        """One submission per student, as in gradebook.csv: the others are superseded."""
        return [s for s in self.submissions if not s.superseded]


def load_folder(out_dir: Path) -> ResultsFolder:
    """The grade.json records under `out_dir` of the last run, with superseded ones marked from summary.json when
    it exists; see the module docstring for the folders left out."""
    out_dir = Path(out_dir)
    superseded: set[str] = set()
    graded: set[str] | None = None  # None: every folder (no summary.json, or one written before it listed them)
    summary_path = out_dir / "summary.json"
    if summary_path.exists():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            superseded = set(summary.get("superseded", []))
            if isinstance(summary.get("submission_ids"), list):
                graded = {str(sid) for sid in summary["submission_ids"]}
        except (OSError, ValueError, AttributeError):
            superseded = set()
    submissions, unreadable, stale = [], [], []
    for path in sorted(out_dir.glob("*/grade.json")):
        if graded is not None and path.parent.name not in graded and _older(path, summary_path):
            stale.append(path.parent.name)
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            submissions.append(submission_from_record(record, superseded=record["result"]["id"] in superseded))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            unreadable.append((path.relative_to(out_dir).as_posix(), f"{type(exc).__name__}: {exc}"))
    submissions.sort(key=lambda s: s.id)
    assignments = sorted({s.result.assignment for s in submissions})
    return ResultsFolder(out_dir, ", ".join(assignments), tuple(submissions), tuple(unreadable), tuple(stale))


def _older(path: Path, than: Path) -> bool:
    try:
        return path.stat().st_mtime_ns <= than.stat().st_mtime_ns
    except OSError:
        return False


def submission_from_record(record: dict[str, Any], *, superseded: bool = False) -> Submission:
    """One grade.json record; raises KeyError, TypeError or ValueError when it is not one."""
    result = result_from_dict(record["result"])
    checks = tuple(Check(check, _diagnosis(raw.get("diagnosis")), _evidence(raw.get("evidence")))
                   for check, raw in zip(result.checks, record["result"]["checks"]))
    time = record.get("execution_time")
    return Submission(result=result, checks=checks, student=str(record.get("student", result.id)),
                      execution_time=float(time) if isinstance(time, (int, float)) else None,
                      source_sha256=str(record.get("source_sha256", "")),
                      fingerprint=str(record.get("fingerprint", "")), superseded=superseded)


def _diagnosis(raw: Any) -> Diagnosis | None:
    """Leniently: anything short of a title is no diagnosis, and only an explicit `confident: true` counts."""
    if not isinstance(raw, dict) or not raw.get("title"):
        return None
    return Diagnosis(id=str(raw.get("id", "")), title=str(raw["title"]), hint=str(raw.get("hint") or ""),
                     section=str(raw.get("section") or ""), confident=raw.get("confident") is True)


def _evidence(raw: Any) -> tuple[Evidence, ...]:
    if not isinstance(raw, list):
        return ()
    items = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        # Anything not marked visible counts as hidden: a malformed flag must never leak a hidden case.
        items.append(Evidence(item=str(entry.get("item", "")), where=str(entry.get("where") or ""),
                              message=str(entry.get("message") or ""),
                              received_shape=_shape(entry.get("received_shape")),
                              expected_shape=_shape(entry.get("expected_shape")),
                              abs_error=_grid(entry.get("abs_error")), hidden=entry.get("hidden") is not False))
    return tuple(items)


def _shape(raw: Any) -> tuple[int, ...] | None:
    if not isinstance(raw, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in raw):
        return None
    return tuple(raw)


def _grid(raw: Any) -> tuple[tuple[float | None, ...], ...] | None:
    """A 2-D list of numbers (a 1-D one is one row); NaN, infinities and non-numbers become None."""
    if not isinstance(raw, list) or not raw:
        return None
    rows = raw if all(isinstance(row, list) for row in raw) else [raw]
    if not all(rows) or len({len(row) for row in rows}) != 1:
        return None
    return tuple(tuple(float(v) if _finite(v) else None for v in row) for row in rows)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
