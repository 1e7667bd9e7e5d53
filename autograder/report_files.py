"""Write grading results to disk: Gradescope results.json per submission and the class gradebook.csv.

Every file is written to a temporary name and renamed into place, so a reader (or a resumed run) never sees
half a file.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from autograder.results import Outcome, SubmissionResult
from autograder.tasks import Assignment


def gradescope_json(result: SubmissionResult, execution_time: float | None = None) -> dict[str, Any]:
    """The Gradescope autograder results schema: score, max_score, tests[] with per-check feedback."""
    output = [f"Score: {_number(result.score)} / {_number(result.max_score)}"]
    if result.error:
        output.append(f"This submission could not be graded: {result.error}")
    if result.notes:
        output.append("While loading your code:")
        output.extend(f"- {note}" for note in result.notes)
    data: dict[str, Any] = {
        "score": _number(result.score),
        "max_score": _number(result.max_score),
    }
    if execution_time is not None:
        data["execution_time"] = round(execution_time, 3)
    data.update({
        "output": "\n".join(output),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": check.name,
                "number": str(number),
                "score": _number(check.score),
                "max_score": _number(check.max_score),
                "status": "passed" if check.outcome is Outcome.PASSED else "failed",
                "output": check.feedback,
                "tags": [check.task, check.outcome.value],
                "visibility": "visible",
            }
            for number, check in enumerate(result.checks, start=1)
        ],
        "extra_data": {"assignment": result.assignment, "isolation": result.isolation,
                       "outcomes": {task: o.value for task, o in result.task_outcomes().items()}},
    })
    return data


def write_result(out_dir: Path, result: SubmissionResult, execution_time: float | None = None) -> Path:
    """DIR/<id>/results.json, atomically."""
    path = Path(out_dir) / result.id / "results.json"
    write_atomic(path, json.dumps(gradescope_json(result, execution_time), indent=2, sort_keys=False) + "\n")
    return path


def gradebook_rows(assignment: Assignment, results: list[SubmissionResult]) -> list[dict[str, Any]]:
    rows = []
    for result in sorted(results, key=lambda r: r.id):
        scores = result.task_scores()
        row: dict[str, Any] = {"id": result.id}
        row.update({task.name: _number(scores.get(task.name, 0.0)) for task in assignment.tasks})
        row.update(total=_number(result.score), max=_number(result.max_score))
        rows.append(row)
    return rows


def write_gradebook(out_dir: Path, assignment: Assignment, results: list[SubmissionResult]) -> Path:
    """DIR/gradebook.csv: id, one column per task id (points earned), total, max; sorted by id."""
    columns = ["id"] + [task.name for task in assignment.tasks] + ["total", "max"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(gradebook_rows(assignment, results))
    path = Path(out_dir) / "gradebook.csv"
    write_atomic(path, buffer.getvalue())
    return path


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _number(value: float) -> float | int:
    """Whole numbers print as ints, others rounded: the same grade always prints the same way."""
    value = round(float(value), 4)
    return int(value) if value == int(value) else value
