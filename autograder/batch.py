"""Grade a class: find the submissions, grade them in parallel, resume where a previous run stopped.

Each submission's results.json and then grade.json are written atomically as soon as it is graded, so a run
killed at any moment loses nothing already graded. A rerun with the same --out skips every submission whose
grade.json matches its current bytes and the current grader (code, grader.toml, reference), then rebuilds
the class outputs from the records: the same inputs give the same gradebook, however the work was split.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from autograder.config import ConfigError, GraderConfig
from autograder.discover import expand, student_of
from autograder.gradebook import (
    Graded,
    counted,
    summarize,
    write_canvas,
    write_gradebook,
    write_summary,
)
from autograder.grading import grade_submission, points_for
from autograder.numpy_removals import grader_versions
from autograder.report_files import make_record, text_sha256, write_record, write_result
from autograder.results import SubmissionResult
from autograder.sandbox import forget_inherited_zygote, require_isolation
from autograder.submission import source_digest, submission_id
from autograder.tasks import ASSIGNMENTS

PACKAGE = Path(__file__).resolve().parent


@dataclass
class BatchReport:
    """What a batch run did: every counted result, and how many were graded now or reused."""

    results: list[SubmissionResult]
    graded: int
    reused: int
    summary: dict[str, Any]


Progress = Callable[[int, int, SubmissionResult], None]


def grade_batch(paths: list[Path], *, assignment: str, out_dir: Path, config: GraderConfig,
                jobs: int | None = None, force: bool = False, progress: Progress | None = None,
                unsafe_no_isolation: bool = False) -> BatchReport:
    """Grade every submission under `paths` into `out_dir`; see the module docstring for resuming. Where no
    isolation of student code is possible, raises sandbox.NoIsolation unless `unsafe_no_isolation`."""
    spec = ASSIGNMENTS[assignment]
    points_for(config, spec)  # a bad grader.toml fails before any student code runs
    out_dir = Path(out_dir)
    submissions = expand([Path(p) for p in paths])
    _refuse_clashing_ids(submissions)
    fingerprint = grader_fingerprint(config, assignment)
    records: dict[str, dict[str, Any]] = {}
    todo = []
    for path in submissions:
        sid, digest = submission_id(path), source_digest(path)
        record = _read_record(out_dir / sid / "grade.json")
        if not force and record and record.get("source_sha256") == digest and record.get("fingerprint") == fingerprint:
            records[sid] = record
        else:
            todo.append((path, sid, digest))
    reused = len(records)
    if todo:
        require_isolation(unsafe_no_isolation)

    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(todo) <= 1:
        for done, (path, sid, digest) in enumerate(todo, start=reused + 1):
            records[sid] = json.loads(_grade_one(path, sid, digest, assignment, out_dir, config, fingerprint))
            if progress is not None:
                progress(done, len(submissions), Graded.from_record(records[sid]).result)
    else:
        # Grader processes, not threads: the grader's own Python work (decoding, judging) then runs on every
        # core instead of taking turns on one interpreter lock. Each has its own zygote of workers. Forked,
        # not spawned: they start with numpy and the grader already imported (the pool forks them all before
        # it starts its own thread, and a forked grader drops its parent's zygote).
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=forget_inherited_zygote) as pool:
            futures = {pool.submit(_grade_one, path, sid, digest, assignment, out_dir, config, fingerprint): sid
                       for path, sid, digest in todo}
            for done, future in enumerate(as_completed(futures), start=reused + 1):
                records[futures[future]] = json.loads(future.result())  # JSON text: nothing is unpickled
                if progress is not None:
                    progress(done, len(submissions), Graded.from_record(records[futures[future]]).result)

    graded = [Graded.from_record(records[submission_id(path)]) for path in submissions]
    chosen, superseded = counted(graded, config.batch.duplicates)
    write_gradebook(out_dir, spec, chosen)
    write_canvas(out_dir, spec, chosen, config.batch)
    summary = summarize(spec, chosen, superseded)
    write_summary(out_dir, summary)
    return BatchReport([g.result for g in chosen], graded=len(todo), reused=reused, summary=summary)


def _grade_one(path: Path, sid: str, digest: str, assignment: str, out_dir: Path, config: GraderConfig,
               fingerprint: str) -> str:
    """Grade one submission and write its files; the record as JSON text (it may cross a process boundary)."""
    started = time.monotonic()
    result = grade_submission(path, assignment, config)
    elapsed = time.monotonic() - started
    results_sha256 = write_result(out_dir, result, execution_time=elapsed)
    record = make_record(result, student=student_of(sid, config.batch.student_id), source_sha256=digest,
                         fingerprint=fingerprint, modified=_modified(path), execution_time=elapsed,
                         results_sha256=results_sha256)
    write_record(out_dir, record)
    return json.dumps(record)


def grader_fingerprint(config: GraderConfig, assignment: str) -> str:
    """Changes whenever a regrade could give another result: grader code, settings, points, reference, or the
    Python and NumPy that run the student's code."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        if source.relative_to(PACKAGE).parts[0] == "report":
            continue  # rendering never changes a grade, and `report` rerenders from the records
        digest.update(source.relative_to(PACKAGE).as_posix().encode() + b"\0" + source.read_bytes())
    settings = {"grading": asdict(config.grading), "tolerances": asdict(config.tolerances),
                "limits": asdict(config.limits), "points": config.assignments[assignment].points}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    digest.update(config.assignments[assignment].reference.read_bytes())
    digest.update(json.dumps(grader_versions(), sort_keys=True).encode())
    return digest.hexdigest()


def _refuse_clashing_ids(submissions: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in submissions:
        sid = submission_id(path)
        if sid in seen:
            raise ConfigError(f"two submissions would share the id {sid!r}: {seen[sid]} and {path}; "
                              "rename one or grade them into different --out folders")
        seen[sid] = path


def _read_record(path: Path) -> dict[str, Any] | None:
    """A submission's grade.json, if it and the results.json it vouches for both read back whole."""
    try:
        record = json.loads(path.read_text())
        results = (path.parent / "results.json").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None  # absent, or cut short by a crash of the machine: grade again
    if not isinstance(record, dict) or "result" not in record or record.get("results_sha256") != text_sha256(results):
        return None
    return record


def _modified(path: Path) -> float:
    if path.is_dir():
        return max((p.stat().st_mtime for p in path.rglob("*") if p.is_file()), default=path.stat().st_mtime)
    return path.stat().st_mtime
