"""Grade a class: find the submissions, grade them in parallel, resume where a previous run stopped.

Each submission's results.json and then grade.json are written atomically as soon as it is graded, so a run
killed at any moment loses nothing already graded. A rerun with the same --out skips every submission whose
grade.json matches its current bytes and the current grader (code, grader.toml, reference), then rebuilds
the class outputs from the records: the same inputs give the same gradebook, however the work was split.

One design for both executors, this machine's grader processes and a Dask cluster (batch/dask_executor.py):
a grader grades a submission and replies with JSON text (`grade_reply`: the result, or why there is none),
and this process alone turns each reply into the submission's files (`accept_reply`). Resuming, atomic
writes and the gradebook are then the same however the work was spread.

One submission never stops a class: whatever the grader raises on it, or a grader process that dies on it,
makes its row "not graded: internal error" (the traceback in its grade.json), and a rerun grades it again.
SIGINT and SIGTERM stop a run promptly, with what was graded kept and nothing it started left running; a
full disk stops it with one line.
"""
from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing.util
import os
import shutil
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

from autograder.batch.files import (
    code_definitions,
    definitions_in_file,
    make_record,
    write_code,
    write_record,
    write_result,
)
from autograder.batch.gradebook import (
    Graded,
    counted,
    summarize,
    write_canvas,
    write_gradebook,
    write_summary,
)
from autograder.batch.pool import Died, GraderPool, Interrupted, interrupted_by_signals
from autograder.batch.records import filing, refiled, resumable
from autograder.course.config import ConfigError, GraderConfig
from autograder.course.registry import ASSIGNMENTS, assignment_digest
from autograder.grading import grade_with_code, points_for, time_budget
from autograder.intake.archives import scratch_folder
from autograder.intake.discover import expand
from autograder.intake.submission import source_digest, submission_id
from autograder.results import CheckResult, Outcome, SubmissionResult, result_from_dict, result_to_dict
from autograder.sandbox.leftovers import scratch_prefix
from autograder.sandbox.numpy_removals import grader_versions
from autograder.sandbox.workers import forget_inherited_zygote, require_isolation, scratch_base

PACKAGE = Path(__file__).resolve().parents[1]  # the autograder package: its code is in the fingerprint


@dataclass
class BatchReport:
    """What a batch run did: every counted result, and how many were graded now or reused."""

    results: list[SubmissionResult]
    graded: int
    reused: int
    summary: dict[str, Any]


Progress = Callable[[int, int, SubmissionResult], None]  # done, total, the result just finished
Running = Callable[[int, int, list[str]], None]  # done, total, the ids in flight now
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
MAX_TRACEBACK_CHARS = 20_000


class BatchInterrupted(BaseException):
    """SIGINT or SIGTERM stopped the batch; every submission graded before is kept. Like KeyboardInterrupt,
    it is not an Exception."""

    def __init__(self, signum: int, done: int, total: int | None) -> None:
        super().__init__(f"interrupted: {done} of {total} graded; rerun the same command to resume" if total is not None
                         else "interrupted while finding the submissions, before any was graded")
        self.signum, self.done, self.total = signum, done, total

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # what a shell reports for a command ended by that signal: 130, 143


class OutputError(Exception):
    """The results could not be written (a full disk, a folder that is not writable): the batch stops."""

    def __init__(self, error: OSError, done: int | None = None, total: int | None = None) -> None:
        where = f" ({error.filename})" if error.filename else ""
        why = "no space left on device" if error.errno in NO_SPACE else f"cannot write the results: {error.strerror}"
        kept = f"; {done} of {total} graded and kept" if done is not None else ""
        super().__init__(f"stopped: {why}{where}{kept}; fix that and rerun the same command to resume")
        self.error = error


def grade_batch(paths: list[Path], *, assignment: str, out_dir: Path, config: GraderConfig,
                jobs: int | None = None, force: bool = False, progress: Progress | None = None,
                unsafe_no_isolation: bool = False, scheduler: str | None = None,
                running: Running | None = None) -> BatchReport:
    """Grade every submission under `paths` into `out_dir`; see the module docstring for resuming. Where no
    isolation of student code is possible, raises sandbox.NoIsolation unless `unsafe_no_isolation`.

    `scheduler` grades on a Dask cluster instead of `jobs` processes here: a scheduler's address, or local:N
    for a LocalCluster of N processes started for the run; None takes [batch] scheduler, "" grades here. A
    worker that grades with another grader, or cannot run it, stops the run with ClusterError.

    `progress` is called with each submission as it finishes, `running` whenever the ids in flight change.

    SIGINT or SIGTERM stops it promptly with BatchInterrupted (nothing it started is left running, and every
    submission graded so far is kept for the rerun to resume from); a full disk stops it with OutputError.
    """
    points_for(config, ASSIGNMENTS[assignment])  # a bad grader.toml fails before any student code runs
    with scratch_folder() as scratch:  # zips are unpacked here, never beside the submissions; removed at the end
        try:
            with interrupted_by_signals():  # a class zip may take a while to unpack
                submissions = expand([Path(p) for p in paths], scratch, exclude=Path(out_dir))  # --out may be in them
        except Interrupted as interrupt:
            raise BatchInterrupted(interrupt.signum, 0, None) from None
        return _grade_batch(submissions, assignment=assignment, out_dir=Path(out_dir),
                            config=config, jobs=jobs, force=force, progress=progress, running=running,
                            unsafe_no_isolation=unsafe_no_isolation,
                            scheduler=config.batch.scheduler if scheduler is None else scheduler)


def _grade_batch(submissions: list[Path], *, assignment: str, out_dir: Path, config: GraderConfig,
                 jobs: int | None, force: bool, progress: Progress | None, running: Running | None,
                 unsafe_no_isolation: bool, scheduler: str) -> BatchReport:
    spec = ASSIGNMENTS[assignment]
    _refuse_clashing_ids(submissions)
    fingerprint = grader_fingerprint(config, assignment)
    records: dict[str, dict[str, Any]] = {}

    def finished(sid: str, record: dict[str, Any]) -> None:
        records[sid] = record
        if progress is not None:
            progress(len(records), len(submissions), Graded.from_record(record).result)

    def in_flight(sids: list[str]) -> None:
        if running is not None:
            running(len(records), len(submissions), sids)

    try:
        with interrupted_by_signals():
            todo = []
            for path in submissions:
                sid, digest = submission_id(path), source_digest(path)
                record = None if force else resumable(out_dir / sid / "grade.json", path, fingerprint, digest)
                if record is not None:
                    records[sid] = _refile(record, path, sid, config, out_dir)
                else:
                    todo.append((path, sid, digest))
            reused = len(records)
            grade = partial(grade_reply, assignment=assignment, config=config)
            accept = partial(accept_reply, assignment=assignment, out_dir=out_dir, config=config,
                             fingerprint=fingerprint)
            if todo and scheduler:
                from autograder.batch.dask_executor import grade_on_cluster  # dask is imported only for this

                grade_on_cluster(todo, scheduler, assignment=assignment, config=config, grade=grade, accept=accept,
                                 finished=finished, unsafe_no_isolation=unsafe_no_isolation, in_flight=in_flight)
            elif todo:
                require_isolation(unsafe_no_isolation)
                jobs = min(jobs or os.cpu_count() or 1, len(todo))
                if jobs == 1:
                    for path, sid, digest in todo:
                        in_flight([sid])
                        finished(sid, accept(path, sid, digest, parse_reply(grade(path, sid))))
                else:
                    _grade_in_processes(todo, jobs, grade, accept, finished, in_flight,
                                        grader_deadline(time_budget(config, spec)))

            graded = [Graded.from_record(records[submission_id(path)]) for path in submissions]
            chosen, superseded = counted(graded, config.batch.duplicates)
            summary = summarize(spec, chosen, superseded)
            try:
                write_gradebook(out_dir, spec, chosen, config.batch)
                write_canvas(out_dir, spec, chosen, config.batch)
                write_summary(out_dir, summary)
            except OSError as error:
                raise OutputError(_with_filename(error, out_dir)) from None
    except Interrupted as interrupt:
        _remove_own_scratch()  # of a worker whose closing the interrupt cut short
        # What the rerun will find: some records were written just before the interrupt but not yet reported.
        kept = sum(1 for path in submissions if submission_id(path) in records or resumable(
            out_dir / submission_id(path) / "grade.json", path, fingerprint))
        raise BatchInterrupted(interrupt.signum, kept, len(submissions)) from None
    except OutputError as error:
        raise OutputError(error.error, len(records), len(submissions)) from None
    return BatchReport([g.result for g in chosen], graded=len(todo), reused=reused, summary=summary)


def grader_deadline(budget: float) -> float:
    """Seconds a grader process may spend on one submission before it is killed and the submission gets the row
    "not graded: internal error (... took more than N s)": twice the submission's time budget for student code
    (which the runner enforces) and a minute for the grader's own work, which takes well under a second; only
    a grader bug, or input some part of it handles in more than linear time, comes near it."""
    return 2 * budget + 60.0


def _grade_in_processes(todo: list[tuple[Path, str, str]], jobs: int, grade: Callable[[Path, str], str],
                        accept: Callable[[Path, str, str, dict[str, Any]], dict[str, Any]],
                        finished: Callable[[str, dict[str, Any]], None],
                        in_flight: Callable[[list[str]], None], job_seconds: float) -> None:
    """Grade in `jobs` grader processes; a process that dies, or takes more than `job_seconds` on a submission
    (then it is killed), costs only that submission (its row says so), and an interrupt or a failed write ends
    them all before this returns."""
    # Grader processes, not threads: the grader's own Python work (decoding, judging) then runs on every core
    # instead of taking turns on one interpreter lock. Each has its own zygote of workers. Forked, not
    # spawned: they start with numpy and the grader already imported (and a forked grader drops its parent's
    # zygote).
    pool = GraderPool(jobs, partial(_reply_of, grade), _start_grader_process, job_seconds=job_seconds)
    stopped = True
    try:
        for (path, sid, digest), reply in pool.run(todo, sent=lambda jobs: in_flight([job[1] for job in jobs])):
            message = {"internal_error": reply.describe()} if isinstance(reply, Died) else parse_reply(reply)
            finished(sid, accept(path, sid, digest, message))
        stopped = False
    finally:
        pool.close(interrupted=stopped)


def _start_grader_process() -> None:
    """In a new grader process: a zygote of its own when one is needed, and on the way out (SIGTERM included),
    after that zygote is closed, any scratch folder an interrupted grading left."""
    forget_inherited_zygote()
    multiprocessing.util.Finalize(None, _remove_own_scratch, exitpriority=5)  # the zygote's closing is 10: first


def _remove_own_scratch() -> None:
    """Remove the workers' scratch folders this process made (they are named after it)."""
    for folder in Path(scratch_base() or tempfile.gettempdir()).glob(f"{scratch_prefix()}*"):
        shutil.rmtree(folder, ignore_errors=True)


def _reply_of(grade: Callable[[Path, str], str], job: tuple[Path, str, str]) -> bytes:
    """In a grader process: a job's reply as bytes (JSON text: nothing a grader process sends is unpickled)."""
    return grade(job[0], job[1]).encode()


def grade_reply(path: Path, sid: str, *, assignment: str, config: GraderConfig) -> str:
    """In a grader (a process here, or a Dask worker): grade one submission, writing nothing; the reply as JSON
    text, {"result": ..., "elapsed": seconds} or why there is no result.

    Whatever the grader raises while grading becomes {"internal_error": why, "trace": ...}, this submission's
    "not graded: internal error" row. A full disk becomes {"output_error": ...}: it would fail every
    submission after this one too, so the run stops.
    """
    started = time.monotonic()
    try:
        result, definitions = grade_with_code(path, assignment, config)
    except Exception as error:  # noqa: BLE001 - a bug of the grader must cost this submission only
        if isinstance(error, OSError) and error.errno in NO_SPACE:
            return json.dumps({"output_error": {"errno": error.errno, "strerror": error.strerror,
                                                "filename": str(error.filename or "")}})
        return json.dumps({"internal_error": f"the grader raised {type(error).__name__}",
                           "trace": traceback.format_exc()})
    code = None if definitions is None else code_definitions(definitions)
    return json.dumps({"result": result_to_dict(result), "elapsed": time.monotonic() - started, "code": code})


def parse_reply(reply: bytes | str) -> dict[str, Any]:
    """A grader's reply as a dict; one that is not a JSON object is an internal error of its submission."""
    try:
        message = json.loads(reply)
    except ValueError:
        message = None
    return message if isinstance(message, dict) else {"internal_error": "the grader's reply could not be read"}


def accept_reply(path: Path, sid: str, digest: str, message: dict[str, Any], *, assignment: str, out_dir: Path,
                 config: GraderConfig, fingerprint: str) -> dict[str, Any]:
    """Here alone: a grader's reply made into the submission's results.json and grade.json; the record.

    A reply without a readable result of this submission is its internal error; {"output_error": ...} raises
    OutputError.
    """
    if "output_error" in message:
        failure = message["output_error"]
        raise OutputError(OSError(failure["errno"], failure["strerror"], failure["filename"] or None))
    try:
        if "internal_error" not in message:
            result, elapsed = result_from_dict(message["result"]), float(message["elapsed"])
            if result.id != sid or result.assignment != assignment:  # it would be filed under another id
                raise ValueError(f"a result of {result.assignment}/{result.id}")
            code = message.get("code")
            return _write_one(path, sid, digest, result, elapsed, out_dir=out_dir, config=config,
                              fingerprint=fingerprint, code=code if isinstance(code, list) else None)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        message = {"internal_error": "the grader's reply could not be read",
                   "trace": f"{type(error).__name__}: {error}"}
    return _write_internal_error(path, sid, digest, str(message["internal_error"]), message.get("trace"),
                                 assignment=assignment, out_dir=out_dir, config=config, fingerprint=fingerprint)


def _write_internal_error(path: Path, sid: str, digest: str, why: str, trace: str | None, *, assignment: str,
                          out_dir: Path, config: GraderConfig, fingerprint: str) -> dict[str, Any]:
    """The files of a submission the grader failed on: every check 0, "internal error" and why; the traceback,
    when there is one, in grade.json only (it is the grader's, not for the student)."""
    spec = ASSIGNMENTS[assignment]
    points = points_for(config, spec)
    error = f"internal error ({why}); rerun to grade it again"
    result = SubmissionResult(id=sid, assignment=assignment, versions=grader_versions(), error=error)
    result.checks = [CheckResult(task.name, check, 0.0, float(points[task.name][check]), Outcome.ERROR,
                                 f"Not graded: {error}") for task in spec.tasks for check in spec.check_names(task)]
    extra = {"internal_error": str(trace or why)[-MAX_TRACEBACK_CHARS:]}
    return _write_one(path, sid, digest, result, 0.0, out_dir=out_dir, config=config, fingerprint=fingerprint,
                      code=definitions_in_file(path), extra=extra)


def _write_one(path: Path, sid: str, digest: str, result: SubmissionResult, elapsed: float, *, out_dir: Path,
               config: GraderConfig, fingerprint: str, code: list[dict[str, Any]] | None,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        results_sha256 = write_result(out_dir, result, execution_time=elapsed)
        record = make_record(result, filing=filing(path, sid, config.batch), source_sha256=digest,
                             fingerprint=fingerprint, execution_time=elapsed, results_sha256=results_sha256)
        record.update(extra or {})
        write_code(out_dir, sid, code, digest)  # before grade.json, which is written last
        write_record(out_dir, record)
    except OSError as error:
        raise OutputError(_with_filename(error, out_dir / sid)) from None
    return record


def _refile(record: dict[str, Any], path: Path, sid: str, config: GraderConfig, out_dir: Path) -> dict[str, Any]:
    """A kept record, filed by this run's [batch] student_id or naming and the file's modification time now (no
    grade depends on them: a change regrades nothing); its grade.json is rewritten when they changed, so that
    the reports say what the gradebook says."""
    changed = refiled(record, filing(path, sid, config.batch))
    if changed is None:
        return record
    try:
        write_record(out_dir, changed)
    except OSError as error:
        raise OutputError(_with_filename(error, out_dir / sid)) from None
    return changed


def _with_filename(error: OSError, where: Path) -> OSError:
    """The error, naming `where` if it names no file (a write that fails names none)."""
    return error if error.filename else OSError(error.errno, error.strerror, str(where))


def grader_fingerprint(config: GraderConfig, assignment: str, code: Any = None) -> str:
    """Changes whenever a regrade could give another result: grader code, settings, points, reference, the
    assignment's folder (its spec, models and trainer), or the Python and NumPy that run the student's code.
    `code`: a `code_digest()` made earlier, to start from."""
    digest = (code or code_digest()).copy()
    digest.update(json.dumps(grader_settings(config, assignment), sort_keys=True).encode())
    digest.update(config.assignments[assignment].reference.read_bytes())
    digest.update(assignment_digest(assignment).encode())
    digest.update(json.dumps(grader_versions(), sort_keys=True).encode())
    return digest.hexdigest()


def code_digest() -> Any:
    """A sha256 fed with the grader's code, the first part of the fingerprint (a Dask worker makes it once)."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        if source.relative_to(PACKAGE).parts[0] == "report":
            continue  # rendering never changes a grade, and `report` rerenders from the records
        digest.update(source.relative_to(PACKAGE).as_posix().encode() + b"\0" + source.read_bytes())
    return digest


def grader_settings(config: GraderConfig, assignment: str) -> dict[str, Any]:
    """The settings in the fingerprint, as plain data."""
    # The secret itself is no part of a record (feedback.html shows the fingerprint): a short hash of it is.
    grading = dict(asdict(config.grading), secret=secret_tag(config.grading.secret))
    # Not [batch]: how file names are read, and which of a student's submissions counts, change no grade (every
    # run files the records again by them, without regrading).
    return {"grading": grading, "tolerances": asdict(config.tolerances), "limits": asdict(config.limits),
            "points": config.assignments[assignment].points}


def secret_tag(secret: str) -> str:
    """A short hash of [grading] secret, "" for none: enough to tell secrets apart, too little to recover one."""
    return hashlib.sha256(b"autograder secret tag\0" + secret.encode("utf-8")).hexdigest()[:12] if secret else ""


def _refuse_clashing_ids(submissions: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in submissions:
        sid = submission_id(path)
        if sid in seen:
            raise ConfigError(f"two submissions would share the id {sid!r}: {seen[sid]} and {path}; "
                              "rename one or grade them into different --out folders")
        seen[sid] = path
