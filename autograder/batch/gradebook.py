"""Class-level outputs built from the per-submission records: gradebook.csv, canvas.csv and summary.json.

Everything here is computed from grade.json records alone, sorted by id, so a serial run, a parallel run
and a resumed run give the same bytes.
"""
from __future__ import annotations

import csv
import io
import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.batch.files import number, write_atomic
from autograder.course.config import BatchSettings
from autograder.course.tasks import Assignment
from autograder.results import Outcome, SubmissionResult, result_from_dict
from autograder.sandbox.program import UNPARSED
from autograder.sandbox.runner import FILLING_MEMORY
from autograder.spreadsheet import spreadsheet_cell

CANVAS_ID_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


@dataclass(frozen=True)
class Graded:
    """One graded submission and whose it is (with what its file name said: late, the LMS's user id, and a
    note when the name could not be read)."""

    student: str
    result: SubmissionResult
    modified: float
    late: bool = False
    lms_user_id: str = ""
    student_note: str = ""

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "Graded":
        return cls(record["student"], result_from_dict(record["result"]), float(record["modified"]),
                   bool(record.get("late", False)), str(record.get("lms_user_id", "")),
                   str(record.get("student_note", "")))


def counted(graded: list[Graded], rule: str) -> tuple[list[Graded], list[Graded]]:
    """One submission per student by the rule ('latest' or 'best'); returns (counted, superseded)."""
    by_student: dict[str, list[Graded]] = {}
    for item in graded:
        by_student.setdefault(item.student, []).append(item)
    chosen, superseded = [], []
    for student in sorted(by_student):
        items = by_student[student]
        if rule == "best":
            key = lambda g: (g.result.error is None, g.result.score, g.modified, g.result.id)  # noqa: E731
        else:
            key = lambda g: (g.modified, g.result.id)  # noqa: E731
        best = max(items, key=key)
        chosen.append(best)
        superseded.extend(sorted((g for g in items if g is not best), key=lambda g: g.result.id))
    return chosen, superseded


def status(result: SubmissionResult, note: str = "") -> str:
    """`graded` or `not graded: <reason>`, then the note on whose it is when its name could not be read."""
    if result.error:
        text = f"not graded: {result.error}"
    else:
        text = "graded WITHOUT ISOLATION (--unsafe-no-isolation)" if result.isolation == "none" else "graded"
    return f"{text}; {note}" if note else text


def is_gradable(result: SubmissionResult) -> bool:
    """Whether the grader could grade it at all: not a refused file, not an internal error. A submission that
    could not be graded has no score to upload (0 would overwrite a grade a TA entered by hand)."""
    return result.error is None


def write_gradebook(out_dir: Path, assignment: Assignment, chosen: list[Graded],
                    settings: BatchSettings | None = None) -> Path:
    """gradebook.csv: id, one column per task (points), total, max, percent, status; one row per student. Under
    [batch] naming = "canvas" a `late` column follows the id ("late" or empty), from the LMS's file name."""
    with_late = settings is not None and settings.naming == "canvas"
    columns = ["id"] + (["late"] if with_late else []) + [task.name for task in assignment.tasks] + [
        "total", "max", "percent", "status"]
    rows = []
    for item in chosen:
        result = item.result
        scores = result.task_scores()
        row: dict[str, Any] = {"id": item.student}
        if with_late:
            row["late"] = "late" if item.late else ""
        row.update({task.name: number(scores.get(task.name, 0.0)) for task in assignment.tasks})
        percent = 100 * result.score / result.max_score if result.max_score else 0.0
        row.update(total=number(result.score), max=number(result.max_score), percent=number(round(percent, 2)),
                   status=status(result, item.student_note))
        rows.append(row)
    return _write_csv(Path(out_dir) / "gradebook.csv", columns, rows)


def write_canvas(out_dir: Path, assignment: Assignment, chosen: list[Graded], settings: BatchSettings) -> Path:
    """canvas.csv in Canvas's gradebook-import layout (Student, ID, SIS User ID, SIS Login ID, Section, then the
    assignment's column), the student id in the configured id column. Under [batch] naming = "canvas" the
    file name's user id is Canvas's own ID and fills that column (the login goes to Student). The score
    of a submission that could not be graded is left blank, which Canvas's import reads as "no change"."""
    title = settings.canvas_assignment or assignment.name
    columns = list(CANVAS_ID_COLUMNS) + [title]
    rows = []
    for item in chosen:
        row = {column: "" for column in columns}
        if settings.naming == "canvas":  # a name Canvas did not make has no ID: the import reports it unmatched
            row.update({"Student": item.student, "ID": item.lms_user_id})
        else:
            row[settings.canvas_id_column] = item.student
        row[title] = number(item.result.score) if is_gradable(item.result) else ""
        rows.append(row)
    return _write_csv(Path(out_dir) / "canvas.csv", columns, rows)


def summarize(assignment: Assignment, chosen: list[Graded], superseded: list[Graded]) -> dict[str, Any]:
    """Counts, mean and median per task, and what went wrong how often: deterministic, no timings."""
    results = [item.result for item in chosen]
    graded = [r for r in results if r.error is None]
    tasks = {}
    # Once per record, not once per task and record: each walks all of a record's checks.
    per_record = [(r.task_scores(), r.task_outcomes()) for r in graded]
    for task in assignment.tasks:
        scores = [task_scores.get(task.name, 0.0) for task_scores, _ in per_record]
        maximum = sum(c.max_score for c in (graded[0].checks if graded else []) if c.task == task.name)
        outcomes = [task_outcomes.get(task.name) for _, task_outcomes in per_record]
        tasks[task.name] = {
            "max": number(maximum),
            "mean": number(round(statistics.fmean(scores), 4)) if scores else None,
            "median": number(statistics.median(scores)) if scores else None,
            "full_marks": outcomes.count(Outcome.PASSED),
            "not_attempted": outcomes.count(Outcome.NOT_ATTEMPTED),
        }
    failing_checks: dict[str, int] = {}
    runtime: dict[str, int] = {}
    for result in graded:
        for check in result.checks:
            if check.score < check.max_score and check.outcome is not Outcome.NOT_ATTEMPTED:
                failing_checks[check.name] = failing_checks.get(check.name, 0) + 1
        for kind in sorted({kind for c in result.checks if (kind := runtime_failure(c.feedback))}):
            runtime[kind] = runtime.get(kind, 0) + 1
        if any(UNPARSED in note for note in result.notes):  # graded, but lines of it did not parse
            runtime["syntax error"] = runtime.get("syntax error", 0) + 1
    not_graded: dict[str, int] = {}
    for result in results:
        if result.error:
            kind = error_kind(result.error)
            not_graded[kind] = not_graded.get(kind, 0) + 1
    totals = [r.score for r in graded]
    # Only when it happened, so that a summary of isolated grading stays as it always was.
    unisolated = {"unsafe_no_isolation": [r.id for r in graded if r.isolation == "none"]} if any(
        r.isolation == "none" for r in graded) else {}
    return {
        **unisolated,
        "assignment": assignment.name,
        "students": len(chosen),
        "submissions": len(chosen) + len(superseded),
        "graded": len(graded),
        "not_graded": len(results) - len(graded),
        "superseded": [item.result.id for item in superseded],
        # Every submission of this run: a folder of DIR not listed is of one no longer graded (reports skip it).
        "submission_ids": sorted(item.result.id for item in chosen + superseded),
        "score": {
            "max": number(graded[0].max_score) if graded else None,
            "mean": number(round(statistics.fmean(totals), 4)) if totals else None,
            "median": number(statistics.median(totals)) if totals else None,
        },
        "tasks": tasks,
        "failures": {
            "not_graded": dict(sorted(not_graded.items())),
            "runtime": dict(sorted(runtime.items())),
            "checks": dict(sorted(failing_checks.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
    }


def write_summary(out_dir: Path, summary: dict[str, Any]) -> Path:
    path = Path(out_dir) / "summary.json"
    write_atomic(path, json.dumps(summary, indent=2) + "\n")
    return path


def runtime_failure(feedback: str) -> str | None:
    """How student code failed to run, read from a check's feedback: timeout, memory or crash. A call that ran
    out of time while filling its memory is a memory failure: which limit stops it first depends on the
    machine's speed at the time, and the summary must not."""
    if FILLING_MEMORY in feedback:
        return "memory"
    if "timed out" in feedback:
        return "timeout"
    if "MemoryError" in feedback or "memory" in feedback:
        return "memory"
    if "crashed" in feedback or "the worker died" in feedback or "worker exited" in feedback:
        return "crash"
    return None


def error_kind(error: str) -> str:
    """A submission that could not be graded, by kind (the file name left out so that kinds can be counted)."""
    for phrase, kind in (("internal error", "internal error"), ("not a readable zip", "not a readable zip"),
                         ("zip bomb", "zip bomb"), ("leads outside the archive", "unsafe zip"),
                         ("absolute name", "unsafe zip"), ("one level deep", "nested zip"),
                         ("symbolic link", "symbolic link"),
                         ("is empty", "empty file"), ("not a readable notebook", "not a readable notebook"),
                         ("binary", "binary file"), ("not UTF-8", "not UTF-8 text"),
                         ("neither a notebook", "not a notebook or .py"), ("must hold exactly one", "folder"),
                         ("bytes, more than", "too large"), ("allowed", "too large"),
                         ("not a regular file", "not a regular file"), ("cannot read", "unreadable")):
        if phrase in error:
            return kind
    return "other"


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({column: spreadsheet_cell(value) for column, value in row.items()} for row in rows)
    write_atomic(path, buffer.getvalue())
    return path
