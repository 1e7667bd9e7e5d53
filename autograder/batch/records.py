"""A run's records read back: whether a rerun may keep a submission's grade.json, and whose it is filed as.

A record is kept when it reads back whole (with the results.json it vouches for), graded the same bytes with
the same grader, and is no internal error. What it says about whose it is and when it was handed in changes
no grade, so every run files it again by the [batch] settings and the file's modification time of that run.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder.batch.files import text_sha256
from autograder.batch.gradebook import Graded
from autograder.course.config import BatchSettings
from autograder.intake.discover import identify
from autograder.intake.submission import modified_time, source_digest

FILING_KEYS = ("student", "modified", "late", "lms_user_id", "student_note")


def filing(path: Path, sid: str, settings: BatchSettings) -> dict[str, Any]:
    """Whose the submission at `path` is by `settings` (student, late, the LMS's user id, a note when its name
    could not be read) and its modification time now, as a record holds them: the flags only when set."""
    identity = identify(sid, pattern=settings.student_id, naming=settings.naming)
    fields: dict[str, Any] = {"student": identity.student, "modified": modified_time(path)}
    fields.update({key: value for key, value in (("late", identity.late), ("lms_user_id", identity.lms_user_id),
                                                 ("student_note", identity.note)) if value})
    return fields


def refiled(record: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any] | None:
    """The record filed by `fields` (a `filing`) instead, or None when it already is."""
    if {key: record[key] for key in FILING_KEYS if key in record} == fields:
        return None
    return {**{key: value for key, value in record.items() if key not in FILING_KEYS}, **fields}


def resumable(path: Path, submission: Path, fingerprint: str, digest: str | None = None) -> dict[str, Any] | None:
    """The record at `path` if a rerun may keep it: it reads back whole, it graded these bytes with this
    grader, and it is not an internal error (the grader may have been fixed since, or the failure passed)."""
    record = read_record(path)
    if record is None or "internal_error" in record or record.get("fingerprint") != fingerprint:
        return None
    if record.get("source_sha256") != (digest or source_digest(submission)):
        return None
    return record


def read_record(path: Path) -> dict[str, Any] | None:
    """A submission's grade.json, if it and the results.json it vouches for both read back whole."""
    try:
        record = json.loads(path.read_text())
        results = (path.parent / "results.json").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None  # absent, or cut short by a crash of the machine: grade again
    if not isinstance(record, dict) or "result" not in record or record.get("results_sha256") != text_sha256(results):
        return None
    try:
        Graded.from_record(record)
    except Exception:  # noqa: BLE001 - a record of another shape (edited, or an old format): grade again
        return None
    return record
