"""Hostile batches: one submission (or the machine) must never stop a class, forge a score or outlive the command.

- a grader-side exception, or a grader process that dies, costs only that submission ("not graded: internal
  error", the traceback in its grade.json), in the serial and in the parallel path, on a rerun and with --force;
- a symbolic link in a submission (to the reference, to a huge file) is never followed, and no file or folder
  is read past its cap, even a sparse 4 GB file, a FIFO, or a file that grows while it is read;
- Ctrl-C and SIGTERM stop a real `autograder grade` promptly, with one line, the shell's exit code, what was
  graded kept, and no process of the run left alive; a full disk stops it with one line and no traceback.

Everything is bounded: the large files are sparse (no disk used), every subprocess has a timeout, and a test
that kills processes kills only those carrying its own marker (a PATH entry that the run's zygotes and workers
inherit), or the process group it started.
"""
from __future__ import annotations

import csv
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from autograder.batch import run as batch
from autograder.batch.run import grade_batch
from autograder.course.config import GraderConfig
from autograder.intake.submission import (
    MAX_FOLDER_ENTRIES,
    MAX_SOURCE_BYTES,
    SubmissionError,
    load_submission,
    read_bounded,
    source_digest,
)
from tests.conftest import ROOT, reference_source, write_submission

REFERENCE = ROOT / "reference" / "backprop.py"
IS_ROOT = os.geteuid() == 0


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader((out / "gradebook.csv").open())}


def _honest_class(folder: Path, count: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        write_submission(folder, f"honest{i}", reference_source("backprop"), notebook=i % 2 == 0)
    return folder


# ------------------------------------------------------------------------------ 1. one submission, one row


def _failing_for(sid: str, failure):
    """grade_with_code, except that for `sid` the grader itself fails (`failure` is called instead)."""
    real = batch.grade_with_code

    def grade(path, assignment, config, *args, **kwargs):
        if Path(path).stem == sid or Path(path).name == sid:
            failure()
        return real(path, assignment, config, *args, **kwargs)

    return grade


def _raise_value_error() -> None:
    raise ValueError("could not convert string to float: 'zero point five'")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_grader_exception_costs_only_its_submission(tmp_path: Path, fast_config: GraderConfig,
                                                      monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """Does an exception of the grader on one submission give that row 'internal error' (the traceback in its
    grade.json) while the others are graded, and do a rerun and --force end the same way, never aborting?"""
    klass = _honest_class(tmp_path / "class")
    write_submission(klass, "poison", reference_source("backprop"))
    monkeypatch.setattr(batch, "grade_with_code", _failing_for("poison", _raise_value_error))
    out = tmp_path / "out"
    for run in ("first", "rerun", "force"):
        report = grade_batch([klass], assignment="backprop", out_dir=out, config=fast_config, jobs=jobs,
                             force=run == "force")
        rows = _rows(out)
        assert rows["poison"]["status"].startswith("not graded: internal error (the grader raised ValueError")
        assert rows["poison"]["total"] == "0" and rows["poison"]["max"] == "39"
        assert all(rows[f"honest{i}"]["percent"] == "100" for i in range(3)), run
        record = json.loads((out / "poison" / "grade.json").read_text())
        assert "Traceback" in record["internal_error"] and "zero point five" in record["internal_error"]
        student_view = (out / "poison" / "results.json").read_text()
        assert "Traceback" not in student_view and "internal error" in student_view
        # the grader sent no code: the TAs' page still shows what the student wrote, read from the file here
        code = json.loads((out / "poison" / "code.json").read_text())
        assert "linear_forward" in [d["name"] for d in code["definitions"]]
        assert report.summary["failures"]["not_graded"] == {"internal error": 1}
        # an internal error is graded again on every run (the grader may have been fixed); the rest is reused
        assert report.graded == (4 if run != "rerun" else 1), run


def test_a_grader_process_that_dies_costs_only_its_submission(tmp_path: Path, fast_config: GraderConfig,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A grader process killed while grading one submission (as the OOM killer would): is only that row lost,
    and is the process replaced so that the rest is graded?"""
    klass = _honest_class(tmp_path / "class", count=4)
    write_submission(klass, "fatal", reference_source("backprop"))
    # Runs in a grader process this test's batch forked: it kills itself and nothing else.
    monkeypatch.setattr(batch, "grade_with_code",
                        _failing_for("fatal", lambda: os.kill(os.getpid(), signal.SIGKILL)))
    report = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=2)
    rows = _rows(tmp_path / "out")
    assert rows["fatal"]["status"] == ("not graded: internal error (the grader process grading it died from "
                                       "SIGKILL); rerun to grade it again")
    assert all(rows[f"honest{i}"]["percent"] == "100" for i in range(4))
    assert report.graded == 5


def _stuck() -> None:
    """A grader stuck on one submission (as the magics' pattern once was, for hours, on a line of a megabyte of
    spaces); bounded, so that a broken deadline fails the test rather than holding the machine."""
    time.sleep(120)


def test_a_grader_process_stuck_on_a_submission_is_killed_at_its_deadline(tmp_path: Path,
                                                                          fast_config: GraderConfig,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The grader's own work is bounded too: a grader process that spends more than its deadline on one
    submission (a grader bug, or input it handles in more than linear time) is killed and replaced; that row
    says why and the rest of the class is graded."""
    klass = _honest_class(tmp_path / "class", count=3)
    write_submission(klass, "stuck", reference_source("backprop"))
    monkeypatch.setattr(batch, "grade_with_code", _failing_for("stuck", _stuck))
    monkeypatch.setattr(batch, "grader_deadline", lambda budget: 3.0)
    started = time.monotonic()
    report = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=2)
    assert time.monotonic() - started < 60
    rows = _rows(tmp_path / "out")
    assert rows["stuck"]["status"] == ("not graded: internal error (the grader process grading it was stopped: "
                                       "it took more than 3 s); rerun to grade it again")
    assert all(rows[f"honest{i}"]["percent"] == "100" for i in range(3))
    assert report.graded == 4


def test_a_record_of_another_shape_is_graded_again(tmp_path: Path, fast_config: GraderConfig) -> None:
    """A grade.json that reads back whole but is not a record (edited by hand, an old format) is graded again
    instead of stopping the rerun."""
    klass = _honest_class(tmp_path / "class", count=2)
    out = tmp_path / "out"
    grade_batch([klass], assignment="backprop", out_dir=out, config=fast_config, jobs=1)
    record = json.loads((out / "honest1" / "grade.json").read_text())
    record["result"] = {"id": "honest1"}  # no checks
    (out / "honest1" / "grade.json").write_text(json.dumps(record))
    again = grade_batch([klass], assignment="backprop", out_dir=out, config=fast_config, jobs=1)
    assert (again.graded, again.reused) == (1, 1)
    assert _rows(out)["honest1"]["percent"] == "100"


# ---------------------------------------------------------------------------------- 4. symlinks and sizes


def test_symlinks_are_never_followed(tmp_path: Path, fast_config: GraderConfig) -> None:
    """A link to the reference, as a submission, inside a submission folder, beside a real file, to a folder, or
    given on the command line: is each refused with the reason, and does the honest student still score?"""
    klass = _honest_class(tmp_path / "class", count=1)
    (klass / "linked.py").symlink_to(REFERENCE)
    (klass / "inside").mkdir()
    (klass / "inside" / "backprop.py").symlink_to(REFERENCE)
    (klass / "beside").mkdir()
    (klass / "beside" / "hw.py").write_text(reference_source("backprop"))
    (klass / "beside" / "data").symlink_to(REFERENCE.parent, target_is_directory=True)
    (klass / "folderlink").symlink_to(REFERENCE.parent, target_is_directory=True)
    given = tmp_path / "given.py"
    given.symlink_to(REFERENCE)
    report = grade_batch([klass, given], assignment="backprop", out_dir=tmp_path / "out", config=fast_config,
                         jobs=1)
    rows = _rows(tmp_path / "out")
    assert rows["honest0"]["percent"] == "100"
    for sid in ("linked", "inside", "beside", "folderlink", "given"):
        assert rows[sid]["total"] == "0", sid
        assert "symbolic link" in rows[sid]["status"] and "does not follow" in rows[sid]["status"], rows[sid]
    assert "(backprop.py)" in rows["inside"]["status"] and "(data)" in rows["beside"]["status"]
    assert report.summary["failures"]["not_graded"] == {"symbolic link": 5}
    assert "backprop" not in rows and "rnn" not in rows  # the linked folder was not taken as a collection


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_huge_files_are_refused_unread(tmp_path: Path, fast_config: GraderConfig) -> None:
    """A sparse 4 GB .py, a link to it, a folder holding it, and a FIFO: refused with the reason, quickly,
    and without the grader's memory growing (nothing past the cap is read, digesting included)."""
    klass = _honest_class(tmp_path / "class", count=1)
    huge = klass / "huge.py"
    with huge.open("wb") as stream:
        stream.truncate(4 << 30)  # sparse: no disk used
    (klass / "tolarge.py").symlink_to(huge)
    (klass / "bigfolder").mkdir()
    with (klass / "bigfolder" / "hw.py").open("wb") as stream:
        stream.truncate(MAX_SOURCE_BYTES + 1)
    os.mkfifo(klass / "fifo.py")
    before = _max_rss_mb()
    started = time.monotonic()
    for path in sorted(klass.iterdir()):
        source_digest(path)  # bounded too: it runs on every submission before anything is graded
    grade_batch([klass], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=1)
    assert time.monotonic() - started < 60
    assert _max_rss_mb() - before < 200, "the grader read a huge file into memory"
    rows = _rows(tmp_path / "out")
    assert rows["honest0"]["percent"] == "100"
    assert f"huge.py is {4 << 30} bytes, more than the {MAX_SOURCE_BYTES} allowed" in rows["huge"]["status"]
    assert "symbolic link" in rows["tolarge"]["status"]
    assert "more than the" in rows["bigfolder"]["status"]
    assert "fifo.py is not a regular file" in rows["fifo"]["status"]


def test_reading_stops_at_the_cap_even_if_the_file_grows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """A file whose size grows after it was checked (fstat says small, the bytes go on): at most cap + 1 bytes
    are read, and it is refused."""
    path = tmp_path / "growing.py"
    with path.open("wb") as stream:
        stream.truncate(3 * MAX_SOURCE_BYTES)
    real_fstat = os.fstat

    def small_fstat(fd: int) -> os.stat_result:
        info = list(real_fstat(fd))
        info[6] = 10  # st_size, as it was before the file grew
        return os.stat_result(info)

    reads: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        chunk = real_read(fd, n)
        reads.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "fstat", small_fstat)
    monkeypatch.setattr(os, "read", counting_read)
    with pytest.raises(SubmissionError, match="more than the"):
        read_bounded(path)
    assert sum(reads) == MAX_SOURCE_BYTES + 1


def test_folders_are_capped_by_entries(tmp_path: Path) -> None:
    """A folder of many small files is refused by its entry count before any is read."""
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "hw.py").write_text(reference_source("backprop"))
    for i in range(MAX_FOLDER_ENTRIES):
        (folder / f"f{i}.txt").touch()
    with pytest.raises(SubmissionError, match=f"more than the {MAX_FOLDER_ENTRIES} files and folders allowed"):
        load_submission(folder)
    assert source_digest(folder)  # never raises


def test_a_folder_whose_files_together_exceed_the_cap_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "heavy"
    folder.mkdir()
    (folder / "hw.py").write_text(reference_source("backprop"))
    for i in range(12):
        with (folder / f"data{i}.npy").open("wb") as stream:
            stream.truncate(MAX_SOURCE_BYTES)  # sparse
    with pytest.raises(SubmissionError, match="bytes allowed"):
        load_submission(folder)


# --------------------------------------------------------------------------------------- 9. faults


HOGS = {
    # Reserves 900 MiB (address space, counted by the memory limit, at once), then runs out of the 1 s: on a
    # fast machine a hog like this reaches the limit first and raises MemoryError, on a slow one the clock stops
    # it first; both are memory failures in the summary.
    "hog_out_of_time": """
import time

def linear_forward(x, W, b):
    hoard = np.empty(900 << 17)
    time.sleep(30)
""",
    "hog_out_of_memory": """
def linear_forward(x, W, b):
    return np.ones(1 << 40), None
""",
    "hang": """
import time

def linear_forward(x, W, b):
    time.sleep(30)
""",
}


def test_a_memory_hog_is_a_memory_failure_whichever_limit_stops_it(tmp_path: Path, fast_config: GraderConfig
                                                                   ) -> None:
    """A call that runs out of time while holding a large share of its memory limit is counted as memory, as a
    MemoryError is, and a plain hang as a timeout: summary.json does not depend on which limit came first (the
    machine's speed at the time), and the serial and parallel runs agree byte for byte."""
    klass = tmp_path / "class"
    klass.mkdir()
    for name, hostile in HOGS.items():
        write_submission(klass, name, reference_source("backprop") + "\n\n" + hostile)
    summaries = []
    for jobs in (1, 3):
        out = tmp_path / f"out{jobs}"
        report = grade_batch([klass], assignment="backprop", out_dir=out, config=fast_config, jobs=jobs)
        assert report.summary["failures"]["runtime"] == {"memory": 2, "timeout": 1}
        summaries.append((out / "summary.json").read_text())
        feedback = "\n".join(c.feedback for c in next(r for r in report.results if r.id == "hog_out_of_time").checks)
        assert "did not finish within 1 s while filling its memory (more than 25% of its" in feedback
    assert summaries[0] == summaries[1]


def _marked_env(marker: str) -> dict[str, str]:
    """The environment of a run whose every process (grader, pool, zygotes, workers) carries `marker`: workers
    get a clean environment, but PATH is passed on to them."""
    return dict(os.environ, PATH=f"/nonexistent/{marker}:{os.environ.get('PATH', '/usr/bin:/bin')}")


def _marked_processes(marker: str) -> list[tuple[int, str]]:
    """(pid, state) of every process, zombies aside, whose environment holds `marker`."""
    found = []
    needle = f"/nonexistent/{marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append((int(entry.name), state))
    return found


def _kill_marked(marker: str) -> None:
    for pid, _ in _marked_processes(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _class_of(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = reference_source("backprop")
    for i in range(count):
        write_submission(folder, f"s{i:03d}", source, notebook=i % 2 == 0)
    return folder


@pytest.mark.parametrize("how,jobs", [("SIGINT", 2), ("SIGTERM", 2), ("SIGTERM", 1), ("SIGINT", 1)])
def test_interrupt_stops_promptly_and_keeps_what_was_graded(tmp_path: Path, how: str, jobs: int) -> None:
    """Ctrl-C (SIGINT to the process group) or SIGTERM (to the main pid only) in the middle of a batch: does
    `autograder grade` exit within seconds, with the shell's code for that signal and one line saying how far
    it got, keep every finished record for the rerun, and leave no process of the run alive?"""
    klass = _class_of(tmp_path / "class", 16)
    out = tmp_path / "out"
    marker = f"autograder-test-{uuid.uuid4().hex}"
    command = [sys.executable, "-m", "autograder.cli", "grade", str(klass), "-a", "backprop", "-j", str(jobs),
               "--out", str(out), "--no-report"]
    process = subprocess.Popen(command, cwd=ROOT, env=_marked_env(marker), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/grade.json"))) < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be interrupted"
        graders = {process.pid} | {pid for pid, _ in _marked_processes(marker)}  # scratch folders name their maker
        signum = getattr(signal, how)
        stopped_at = time.monotonic()
        if how == "SIGINT":
            os.killpg(process.pid, signum)  # what a terminal's Ctrl-C does: the whole foreground group
        else:
            process.send_signal(signum)  # what `kill PID` does: the main process only
        stdout, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - stopped_at
        assert elapsed < 10, f"took {elapsed:.1f} s to stop"
        assert process.returncode == 128 + signum, (process.returncode, stderr)
        kept = len(list(out.glob("*/grade.json")))
        assert 3 <= kept < 16, "the run should have been stopped part-way"
        assert stderr.strip() == f"interrupted: {kept} of 16 graded; rerun the same command to resume", stderr
        assert not (out / "gradebook.csv").exists()
        deadline = time.monotonic() + 5
        while _marked_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _marked_processes(marker) == [], "processes of the interrupted run are still alive"
        leftover = [p for pid in graders for p in Path("/dev/shm").glob(f"autograder-worker-{pid}-*")]
        assert not leftover, "scratch folders of the interrupted run were left behind"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _kill_marked(marker)
    if (how, jobs) == ("SIGINT", 2):  # the rerun grades the rest only, and the class ends graded in full
        resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr
        assert re.search(rf"\({16 - kept} graded now, {kept} already graded", resumed.stdout), resumed.stdout
        assert all(row["percent"] == "100" for row in _rows(out).values())


def test_kill_9_of_the_batch_takes_its_grader_processes_along(tmp_path: Path) -> None:
    """SIGKILL to the main pid (no handler can run): do its grader processes, their zygotes and workers still
    end at once (parent-death signals), instead of waiting for work for ever?"""
    klass = _class_of(tmp_path / "class", 12)
    out = tmp_path / "out"
    marker = f"autograder-test-{uuid.uuid4().hex}"
    process = subprocess.Popen([sys.executable, "-m", "autograder.cli", "grade", str(klass), "-a", "backprop",
                                "-j", "2", "--out", str(out), "--no-report"], cwd=ROOT, env=_marked_env(marker),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(list(out.glob("*/grade.json"))) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _marked_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _marked_processes(marker) == [], "processes of the killed run are still alive"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _kill_marked(marker)


STARTING_SIGNALLED = """
import multiprocessing.util, os, signal, sys
from autograder.batch.pool import GraderPool, interrupted_by_signals

class Hook:
    pass

hook = Hook()  # in each forked grader process, before its first line of our code: Ctrl-C, as a terminal sends it
multiprocessing.util.register_after_fork(hook, lambda _: os.kill(os.getpid(), signal.SIGINT))
with interrupted_by_signals():
    pool = GraderPool(2, lambda job: b"graded %d" % job, lambda: None)
    try:
        print(sorted(reply for _, reply in pool.run([1, 2, 3])))
    finally:
        pool.close()
"""


def test_a_signal_while_a_grader_process_starts_leaves_no_traceback() -> None:
    """Ctrl-C reaches the whole process group, a grader process just forked included, before it has set its own
    handlers: is it ignored there (no 'Process autograder-grader: Traceback', no job lost), as it is later?"""
    run = subprocess.run([sys.executable, "-c", STARTING_SIGNALLED], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[b'graded 1', b'graded 2', b'graded 3']" and run.stderr == "", run.stderr


COMPARING_SIGNALLED = """
import os, signal, sys, time
import autograder.similarity.run as similarity

def interrupted(*args, **kwargs):  # the signal comes while the class is compared, after grading
    os.kill(os.getpid(), getattr(signal, sys.argv[1]))
    time.sleep(5)

similarity.similar = interrupted
from autograder.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_an_interrupt_after_grading_is_one_line_too(tmp_path: Path, how: str) -> None:
    """Ctrl-C or SIGTERM once the class is graded, while it is compared for shared code: one line saying the
    grades are kept and the shell's exit code, not click's 'Aborted!' with exit 1 (nor a silent death)?"""
    klass = _honest_class(tmp_path / "class", count=2)
    run = subprocess.run([sys.executable, "-c", COMPARING_SIGNALLED, how, "grade", str(klass), "-a", "backprop",
                          "-j", "1", "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 128 + getattr(signal, how), (run.returncode, run.stderr)
    assert run.stderr.splitlines() == [
        "interrupted while comparing the submissions for shared code; every grade is kept: rerun the same command "
        "to compare them and write the reports (nothing is graded again)"], run.stderr
    assert (tmp_path / "out" / "gradebook.csv").exists() and not (tmp_path / "out" / "summary.html").exists()


def _left_of_run(marker: str, out: Path) -> list[str]:
    """Processes of a run still there: the grader's (its command line names its --out) and the sandbox's
    (zygotes and workers, `autograder.sandbox.worker`, with the run's marker), alive or orphaned zombies."""
    import psutil

    left = []
    for process in psutil.process_iter(["pid", "ppid", "cmdline", "status"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            ours = str(out) in cmdline or ("autograder.sandbox.worker" in cmdline
                                          and f"/nonexistent/{marker}" in process.environ().get("PATH", ""))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if ours and (process.info["status"] != psutil.STATUS_ZOMBIE or process.info["ppid"] == 1):
            left.append(f"{process.info['pid']} {process.info['status']} {cmdline}")
    return left


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT", "SIGTERM"])
def test_a_run_stopped_while_a_submission_hangs_leaves_nothing_running(tmp_path: Path, how: str) -> None:
    """A real `autograder grade -j 2` whose first submission hangs (a while loop that never ends), stopped once
    grading has begun: by kill -9, do its grader processes, zygotes and workers all go within 10 s; by Ctrl-C or
    SIGTERM, too, and is stderr the one line saying how far it got?"""
    klass = _class_of(tmp_path / "class", 6)
    hangs = (ROOT / "tests" / "mutants" / "backprop" / "linear_forward__hangs.py").read_text()
    write_submission(klass, "a_hangs", reference_source("backprop") + "\n\n" + hangs)
    out = tmp_path / "out"
    marker = f"autograder-test-{uuid.uuid4().hex}"
    process = subprocess.Popen([sys.executable, "-m", "autograder.cli", "grade", str(klass), "-a", "backprop", "-j",
                                "2", "--out", str(out)], cwd=ROOT, env=_marked_env(marker), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*/grade.json")) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be stopped"
        if how == "SIGINT":
            os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole foreground group
        else:
            process.send_signal(getattr(signal, how))
        _, stderr = process.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while (left := _left_of_run(marker, out)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == [], "processes of the stopped run are still there"
        if how != "SIGKILL":
            assert process.returncode == 128 + getattr(signal, how), (process.returncode, stderr)
            kept = len(list(out.glob("*/grade.json")))
            assert stderr.splitlines() == [f"interrupted: {kept} of 7 graded; rerun the same command to resume"], stderr
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        _kill_marked(marker)


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 96 KiB tmpfs (as root), unmounted afterwards whatever happens; skipped where it cannot be mounted."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if not IS_ROOT:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k,mode=0755", "tmpfs", str(mount_point)],
                             capture_output=True, timeout=30)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_full_disk_stops_with_one_line(tmp_path: Path, tiny_disk: Path, jobs: int) -> None:
    """Results written to a disk that fills up: does the run stop at once with one line naming the problem,
    no traceback, and the records that did fit kept?"""
    klass = _class_of(tmp_path / "class", 10)
    marker = f"autograder-test-{uuid.uuid4().hex}"
    out = tiny_disk / "out"
    try:
        run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(klass), "-a", "backprop", "-j",
                              str(jobs), "--out", str(out)], cwd=ROOT, env=_marked_env(marker),
                             capture_output=True, text=True, timeout=300)
    finally:
        _kill_marked(marker)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: stopped: no space left on device ("), run.stderr
    kept = len(list(out.glob("*/grade.json")))
    assert re.search(rf"; {kept} of 10 graded and kept; ", lines[0]), (lines[0], kept)
    assert 1 <= kept < 10
    assert _marked_processes(marker) == []


def test_a_full_disk_while_writing_the_class_outputs(tmp_path: Path, fast_config: GraderConfig,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC from the class outputs (after every record is written) is an OutputError with its one line too."""
    import errno

    klass = _honest_class(tmp_path / "class", count=1)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "gradebook.csv"))

    monkeypatch.setattr(batch, "write_gradebook", full)
    with pytest.raises(batch.OutputError, match=r"^stopped: no space left on device \(.*gradebook.csv\); "
                                                r"1 of 1 graded and kept; "):
        grade_batch([klass], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=1)
