"""Write one submission's grade to disk: Gradescope's results.json, and grade.json for resuming and reports.

Beside them, code.json keeps the submission's top-level functions and classes as written, for the TAs' report
(autograder.report.student_code): the report room reads result files only, never a submission.

Every file is written to a temporary name and renamed into place, so a reader (or a resumed run) never sees
half a file. A submission's two files are not forced to disk one by one (an fsync per file made the disk,
not the grading, set the pace of a batch): instead grade.json records the sha256 of results.json, and a
resumed run regrades any submission whose files do not both read back whole and matching, as after a power
cut. A killed process loses nothing, since what it wrote is in the page cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from autograder.intake.submission import load_submission
from autograder.results import Outcome, SubmissionResult, result_to_dict
from autograder.sandbox.program import Definition, plan_program

MAX_CODE_CHARS = 1_000_000  # of definitions in code.json: what a TA reads on a page, not an archive of the file


def gradescope_json(result: SubmissionResult, execution_time: float | None = None) -> dict[str, Any]:
    """The Gradescope autograder results schema: score, max_score, tests[] with per-check feedback."""
    output = [f"Score: {number(result.score)} / {number(result.max_score)}"]
    if result.error:
        output.append(f"This submission could not be graded: {result.error}")
    if result.notes:
        output.append("While loading your code:")
        output.extend(f"- {note}" for note in result.notes)
    data: dict[str, Any] = {
        "score": number(result.score),
        "max_score": number(result.max_score),
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
                "number": str(index),
                "score": number(check.score),
                "max_score": number(check.max_score),
                "status": "passed" if check.outcome is Outcome.PASSED else "failed",
                "output": check.feedback,
                "tags": [check.task, check.outcome.value] + (
                    [f"misconception:{check.diagnosis.id}"] if check.diagnosis and check.diagnosis.confident else []),
                "visibility": "visible",
            }
            for index, check in enumerate(result.checks, start=1)
        ],
        "extra_data": {"assignment": result.assignment, "isolation": result.isolation, "versions": result.versions,
                       "outcomes": {task: o.value for task, o in result.task_outcomes().items()},
                       "diagnoses": diagnoses(result)},
    })
    if result.isolation == "none":  # graded with --unsafe-no-isolation: the student's code could read everything
        data["extra_data"]["unsafe_no_isolation"] = True
    return data


def diagnoses(result: SubmissionResult) -> list[dict[str, Any]]:
    """One entry per task and diagnosis (a diagnosis shared by several checks of a task is listed once)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for check in result.checks:
        if check.diagnosis is not None:
            entry = seen.setdefault((check.task, check.diagnosis.id), {"task": check.task, **check.diagnosis.to_dict(),
                                                                      "checks": []})
            entry["checks"].append(check.check)
    return list(seen.values())


def write_result(out_dir: Path, result: SubmissionResult, execution_time: float | None = None) -> str:
    """DIR/<id>/results.json, atomically; the sha256 of what was written, for grade.json to vouch for it."""
    text = readable_json(gradescope_json(result, execution_time))
    write_atomic(Path(out_dir) / result.id / "results.json", text, durable=False)
    return text_sha256(text)


def readable_json(data: dict[str, Any]) -> str:
    """`data` as JSON with one top-level key, and one test, per line: as easy to read as an indented file, and
    written by json's C encoder (with any indent json falls back to its pure-Python encoder, which cost about
    3 ms of the 80 a notebook took to grade)."""
    def line(key: str, value: Any) -> str:
        if key == "tests" and isinstance(value, list) and value:
            return f'  {json.dumps(key)}: [\n' + ",\n".join(f"    {json.dumps(test)}" for test in value) + "\n  ]"
        return f"  {json.dumps(key)}: {json.dumps(value)}"

    return "{\n" + ",\n".join(line(key, value) for key, value in data.items()) + "\n}\n"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()  # any text, lone surrogates too


def write_record(out_dir: Path, record: dict[str, Any]) -> Path:
    """DIR/<id>/grade.json, written last: its presence means the submission is completely graded."""
    path = Path(out_dir) / record["result"]["id"] / "grade.json"
    # Read by machines only: compact, since any indent makes json use its slow pure-Python encoder.
    write_atomic(path, json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n", durable=False)
    return path


def make_record(result: SubmissionResult, *, filing: dict[str, Any], source_sha256: str, fingerprint: str,
                execution_time: float, results_sha256: str) -> dict[str, Any]:
    """A grade.json record; `filing` is `records.filing(...)` of the submission."""
    return {"result": result_to_dict(result), **filing, "source_sha256": source_sha256,
            "fingerprint": fingerprint, "execution_time": round(execution_time, 3), "results_sha256": results_sha256}


def code_definitions(definitions: Iterable[Definition]) -> list[dict[str, Any]]:
    """code.json's list: each top-level function and class as written, with its cell and first line in the
    cell's own numbering, the one errors name ("<cell 15>, line 3"), up to MAX_CODE_CHARS in all."""
    kept, total = [], 0
    for definition in definitions:
        total += len(definition.source)
        if total > MAX_CODE_CHARS:
            break
        kept.append({"name": definition.name, "cell": definition.cell, "line": definition.line,
                     "script": definition.script, "source": definition.source})
    return kept


def definitions_in_file(path: Path) -> list[dict[str, Any]] | None:
    """code_definitions of the submission at `path`, read here: for one the grader failed on, which sent none.
    None when it cannot be read."""
    try:
        return code_definitions(plan_program(load_submission(path).cells).definitions)
    except Exception:  # noqa: BLE001 - unreadable (the grade says why) or hostile: no code file, never a failed grade
        return None


def write_code(out_dir: Path, sid: str, definitions: list[dict[str, Any]] | None, digest: str) -> None:
    """DIR/<id>/code.json, atomically: the definitions the grader sent, tied by `digest` (the source_sha256) to
    the grade.json graded from the same bytes; a stale one goes when there are none (an unreadable file)."""
    target = Path(out_dir) / sid / "code.json"
    if definitions is None:
        target.unlink(missing_ok=True)
    else:
        record = {"source_sha256": digest, "definitions": definitions}
        write_atomic(target, json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n", durable=False)


def write_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Replace `path` with `text` in one step; `durable` also forces it to disk before the rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as stream:  # any text
            stream.write(text)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def number(value: float) -> float | int:
    """Whole numbers print as ints, others rounded: the same grade always prints the same way."""
    value = round(float(value), 4)
    return int(value) if value == int(value) else value
