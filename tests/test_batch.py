"""Batch grading: parallel equals serial, a killed run resumes to the same gradebook, no student affects another."""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.batch.run import grade_batch
from autograder.course.config import load_config
from autograder.intake.submission import Cell
from autograder.sandbox.program import plan_program
from autograder.sandbox.runner import StudentRunner
from tests.conftest import MUTANTS, ROOT, reference_source, write_submission


def _class_folder(folder: Path, count: int) -> Path:
    """A realistic class: correct notebooks, buggy ones, a skeleton and a few unreadable files."""
    folder.mkdir(parents=True, exist_ok=True)
    reference = reference_source("backprop")
    mutants = sorted((MUTANTS / "backprop").glob("*__*.py"))
    for i in range(count):
        source = reference if i % 3 == 0 else reference + "\n\n" + mutants[i % len(mutants)].read_text()
        write_submission(folder, f"student{i:03d}", source, notebook=i % 2 == 0)
    (folder / "zz_skeleton.py").write_text((ROOT / "student_template" / "backprop.py").read_text())
    (folder / "zz_empty.ipynb").write_text("")
    (folder / "zz_notes.txt").write_text("not a submission")
    return folder


def _read(path: Path) -> str:
    return path.read_text()


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    return _class_folder(tmp_path_factory.mktemp("class") / "submissions", 10)


def test_parallel_and_serial_runs_give_identical_outputs(klass, config, tmp_path):
    """Do 1 and 2 workers produce byte-identical gradebook, canvas and summary files?"""
    serial = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "serial", config=config, jobs=1)
    parallel = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "parallel", config=config, jobs=2)
    assert serial.graded == parallel.graded == 13
    for name in ("gradebook.csv", "canvas.csv", "summary.json"):
        assert _read(tmp_path / "serial" / name) == _read(tmp_path / "parallel" / name), name
    rows = {row["id"]: row for row in csv.DictReader((tmp_path / "serial" / "gradebook.csv").open())}
    assert rows["student000"]["percent"] == "100" and rows["student000"]["status"] == "graded"
    assert rows["zz_notes"]["status"].startswith("not graded: ") and "neither a notebook" in rows["zz_notes"]["status"]
    assert "is empty" in rows["zz_empty"]["status"]
    summary = json.loads(_read(tmp_path / "serial" / "summary.json"))
    assert summary["not_graded"] == 2 and summary["failures"]["not_graded"] == {"empty file": 1,
                                                                                 "not a notebook or .py": 1}
    assert summary["tasks"]["linear_forward"]["not_attempted"] == 1  # the skeleton


def test_rerun_skips_graded_work_unless_forced_or_changed(klass, config, tmp_path):
    """Does a second run reuse every record, regrade a changed submission, and regrade all with force?"""
    out = tmp_path / "out"
    first = grade_batch([klass], assignment="backprop", out_dir=out, config=config, jobs=2)
    again = grade_batch([klass], assignment="backprop", out_dir=out, config=config, jobs=2)
    assert (again.graded, again.reused) == (0, first.graded)
    changed = klass / "student001.py"
    original = changed.read_text()
    try:
        changed.write_text(reference_source("backprop"))
        after_change = grade_batch([klass], assignment="backprop", out_dir=out, config=config, jobs=2)
        assert after_change.graded == 1
    finally:
        changed.write_text(original)
    forced = grade_batch([klass], assignment="backprop", out_dir=out, config=config, jobs=2, force=True)
    assert forced.graded == first.graded


def test_files_cut_short_by_a_machine_crash_are_regraded(klass, config, tmp_path):
    """Files are not fsynced one by one: after a power cut a results.json may be empty or a grade.json cut
    short. Does a rerun regrade exactly those submissions, and end with the same files?"""
    out = tmp_path / "out"
    grade_batch([klass], assignment="backprop", out_dir=out, config=config, jobs=1)
    before = {p.relative_to(out): _read(p) for p in sorted(out.glob("*/results.json"))}
    folders = sorted(p.parent for p in out.glob("*/grade.json"))
    (folders[0] / "results.json").write_text("")
    (folders[1] / "grade.json").write_text('{"result": {')
    rerun = grade_batch([klass], assignment="backprop", out_dir=out, config=config, jobs=1)
    assert rerun.graded == 2
    after = {p.relative_to(out): _read(p) for p in sorted(out.glob("*/results.json"))}
    assert {k: _strip_time(v) for k, v in after.items()} == {k: _strip_time(v) for k, v in before.items()}


def test_report_code_is_not_part_of_the_grader_fingerprint(config, tmp_path, monkeypatch):
    """Rendering never changes a grade: does editing a report module keep the fingerprint (no regrade of
    the class), while editing a check changes it?"""
    import shutil

    from autograder.batch import run as batch

    copy = tmp_path / "autograder"
    shutil.copytree(batch.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(batch, "PACKAGE", copy)
    before = batch.grader_fingerprint(config, "backprop")
    with (copy / "report" / "render.py").open("a") as stream:
        stream.write("# a change to the rendering\n")
    assert batch.grader_fingerprint(config, "backprop") == before
    with (copy / "checks" / "layer.py").open("a") as stream:
        stream.write("# a change to the checks\n")
    assert batch.grader_fingerprint(config, "backprop") != before


def test_another_numpy_changes_the_grader_fingerprint(config, monkeypatch):
    """Code that runs under NumPy 1.26 may fail under 2.4: is a class graded again when the NumPy differs?"""
    from autograder.batch import run as batch

    before, installed = batch.grader_fingerprint(config, "backprop"), batch.grader_versions()
    monkeypatch.setattr(batch, "grader_versions", lambda: {**installed, "numpy": "0.0.1"})
    assert batch.grader_fingerprint(config, "backprop") != before


def _strip_time(text: str) -> str:
    return re.sub(r'"execution_time": [\d.]+', "", text)


def test_killed_run_resumes_to_the_same_gradebook(tmp_path):
    """After kill -9 in the middle of a run, does rerunning end with the gradebook of an uninterrupted run?"""
    klass = _class_folder(tmp_path / "submissions", 12)
    command = [sys.executable, "-m", "autograder.cli", "grade", str(klass), "-a", "backprop", "-j", "1"]
    complete = subprocess.run(command + ["--out", str(tmp_path / "complete")], cwd=ROOT, capture_output=True,
                              timeout=300)
    assert complete.returncode == 0, complete.stderr
    out = tmp_path / "killed"
    process = subprocess.Popen(command + ["--out", str(out)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(list(out.glob("*/grade.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = len(list(out.glob("*/grade.json")))
    assert 4 <= done_before < 15, "the run should have been killed part-way"
    assert not (out / "gradebook.csv").exists()
    resumed = subprocess.run(command + ["--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert re.search(rf"(\d+) graded now, {done_before} already graded", resumed.stdout), resumed.stdout
    for name in ("gradebook.csv", "canvas.csv", "summary.json"):
        assert _read(out / name) == _read(tmp_path / "complete" / name), name


def test_no_state_leaks_from_one_student_to_the_next(config, tmp_path):
    """Graded first on the same worker slot, can a submission that patches numpy, sets globals and leaves
    files behind change the grade of the honest submission after it?"""
    folder = tmp_path / "subs"
    folder.mkdir()
    hostile = reference_source("backprop") + '''
import builtins, os, numpy
builtins.linear_forward = lambda x, W, b: (numpy.zeros((1, 1)), None)
numpy.dot = lambda *args, **kwargs: 0.0
numpy.matmul = lambda *args, **kwargs: 0.0
_ = [open(name, "w").write("left behind") for name in ("reference.py", "/tmp/leftover", "backprop.py")]
os.environ["OPENBLAS_NUM_THREADS"] = "64"
def relu_forward(x):
    return numpy.maximum(x, 0), x
'''
    write_submission(folder, "a_hostile", hostile)
    write_submission(folder, "b_honest", reference_source("backprop"), notebook=True)
    report = grade_batch([folder], assignment="backprop", out_dir=tmp_path / "out", config=config, jobs=1)
    honest = next(r for r in report.results if r.id == "b_honest")
    assert honest.score == honest.max_score
    assert not Path("/tmp/leftover").exists()


def test_student_ids_and_the_rule_for_several_submissions(tmp_path):
    """Do two files of one student count once, by the configured pattern and rule (latest, then best)?"""
    folder = tmp_path / "subs"
    folder.mkdir()
    buggy = reference_source("backprop") + "\n\n" + (MUTANTS / "backprop" / "softmax_loss__sign-flip.py").read_text()
    write_submission(folder, "jdoe_attempt1", reference_source("backprop"))
    write_submission(folder, "jdoe_attempt2", buggy)
    write_submission(folder, "asmith_attempt1", reference_source("backprop"))
    os.utime(folder / "jdoe_attempt1.py", (1_700_000_000, 1_700_000_000))
    os.utime(folder / "jdoe_attempt2.py", (1_700_000_100, 1_700_000_100))
    text = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    for rule, expected_total in (("latest", None), ("best", "39")):
        config_path = tmp_path / f"{rule}.toml"
        config_path.write_text(text.replace('student_id = "(?P<id>.+)"', 'student_id = "(?P<id>[a-z]+)_"')
                               .replace('duplicates = "latest"', f'duplicates = "{rule}"')
                               .replace('canvas_id_column = "SIS User ID"', 'canvas_id_column = "SIS Login ID"'))
        out = tmp_path / rule
        report = grade_batch([folder], assignment="backprop", out_dir=out, config=load_config(config_path), jobs=2)
        rows = {row["id"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
        assert sorted(rows) == ["asmith", "jdoe"]
        if rule == "latest":
            assert float(rows["jdoe"]["softmax_loss"]) < 9  # attempt2, the newer file, has the sign bug
            assert report.summary["superseded"] == ["jdoe_attempt1"]
        else:
            assert rows["jdoe"]["total"] == expected_total
        canvas = list(csv.DictReader((out / "canvas.csv").open()))
        assert [row["SIS Login ID"] for row in canvas] == ["asmith", "jdoe"]


def test_progress_bar_draws_on_a_terminal_and_stays_silent_otherwise():
    import io

    from autograder.batch.progress import WIDTH, ProgressBar
    from autograder.results import SubmissionResult

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar(stream)
        for done in (1, 2):
            bar.update(done, 2, SubmissionResult(id=f"s{done}", assignment="backprop"))
        bar.close()
    assert "2/2" in terminal.getvalue() and "#" * WIDTH in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_progress_line_says_the_rate_the_time_left_and_what_is_being_graded():
    """Does the line count only what this run graded in its rate (not the records reused), give the time left
    from it, and name the submissions in flight with how long each has been graded, longest first?"""
    import io

    from autograder.batch.progress import ProgressBar, duration, rate_text
    from autograder.results import SubmissionResult

    assert [duration(s) for s in (0.4, 7, 68, 7300)] == ["0:00", "0:07", "1:08", "2:01:40"]
    assert (rate_text(2.34), rate_text(1 / 15)) == ("2.3/s", "4.0/min")
    now = [0.0]
    bar = ProgressBar(io.StringIO(), clock=lambda: now[0])
    bar.running(10, 100, ["a", "b"])  # 10 reused from an earlier run
    assert bar.line().endswith("10/100  -/s  time left unknown  grading: a 0:00, b 0:00")
    now[0] = 5.0
    bar.update(11, 100, SubmissionResult(id="a", assignment="backprop"))
    bar.running(11, 100, ["b", "c"])
    now[0] = 10.0
    bar.update(12, 100, SubmissionResult(id="b", assignment="backprop"))
    now[0] = 31.0
    assert bar.line().endswith("12/100  3.9/min  22:44 left  grading: c 0:26"), bar.line()
    bar.running(12, 100, ["c", "d", "e", "f", "g", "h"])
    assert bar.line().endswith("grading: c 0:26, d 0:00, e 0:00, f 0:00 (+2)"), bar.line()


def test_progress_is_printed_while_a_submission_hangs(fast_config, tmp_path):
    """Output to a log, not a terminal: is a line printed every few seconds while nothing finishes, naming the
    submission that hangs and how long it has been graded, and nothing written to the terminal's stream?"""
    import io

    from autograder.batch.progress import ProgressBar

    folder = tmp_path / "subs"
    folder.mkdir()
    hangs = (MUTANTS / "backprop" / "linear_forward__hangs.py").read_text()
    write_submission(folder, "a_hangs", reference_source("backprop") + "\n\n" + hangs)
    write_submission(folder, "b_honest", reference_source("backprop"))
    stream, log = io.StringIO(), io.StringIO()
    bar = ProgressBar(stream, log=log, log_seconds=0.5)
    try:
        grade_batch([folder], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=1,
                    progress=bar.update, running=bar.running)
    finally:
        bar.close()
    lines = log.getvalue().splitlines()
    assert any(re.search(r"^\[\.+\] 0/2  -/s  time left unknown  grading: a_hangs 0:0[1-9]$", line)
               for line in lines), lines
    assert stream.getvalue() == ""


def test_workers_started_afresh_grade_the_same_as_forked_ones(tmp_path):
    """With AUTOGRADER_ZYGOTE=0 every worker is a new interpreter: same grades, same isolation."""
    submission = ROOT / "assignments" / "backprop" / "examples" / "ben.ipynb"
    outputs = {}
    for zygote in ("1", "0"):
        out = tmp_path / f"zygote{zygote}"
        run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(submission), "-a", "backprop",
                              "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                             env={**os.environ, "AUTOGRADER_ZYGOTE": zygote})
        assert run.returncode == 0, run.stderr
        data = json.loads((out / "ben" / "results.json").read_text())
        data.pop("execution_time")
        outputs[zygote] = data
    assert outputs["1"] == outputs["0"]


def test_zygote_reports_the_peak_memory_of_its_workers(config, tmp_path):
    from autograder.sandbox.workers import shared_zygote

    grade_batch([ROOT / "assignments" / "backprop" / "examples" / "ada.ipynb"], assignment="backprop",
                out_dir=tmp_path, config=config, jobs=1)
    stats = shared_zygote().stats()
    assert stats["workers"] >= 1 and 10_000 < stats["peak_rss_kb"] < config.limits.memory_mb * 1024


def test_zygote_reports_the_cpu_time_of_its_workers_and_its_own(config, tmp_path):
    """What the benchmark's CPU split reads: a worker that spins for 0.3 s of CPU adds at least that much to
    worker_cpu_s once it is reaped, and the zygote's own time is counted apart."""
    from autograder.sandbox.workers import shared_zygote

    before = shared_zygote().stats()
    spin = ("import time\n\ndef spin():\n    end = time.process_time() + 0.3\n"
            "    while time.process_time() < end:\n        pass\n    return 1.0\n")
    program = plan_program([Cell(1, spin)], ["spin"])
    with StudentRunner(program, config.grading, config.limits.to_limits(), 30) as runner:
        assert runner.call_many("spin", [[]])[0][0] == 1.0
    after = shared_zygote().stats()
    assert after["workers"] == before["workers"] + 1
    assert 0.3 <= after["worker_cpu_s"] - before["worker_cpu_s"] < 5
    assert 0 <= after["zygote_cpu_s"] - before["zygote_cpu_s"] < 0.3


def _zygotes_and_orphan_zombies(marker: str) -> set[int]:
    """Live zygote processes started with `marker` in their environment (so that graders other tests run at
    the same time on this machine do not count), and zombie processes whose parent is pid 1 (an unreaped zygote
    ends like that; a zombie keeps no environment to tell whose it was)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes() if b"--zygote" in cmdline else b""
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if (b"--zygote" in cmdline and marker.encode() in environ) or (state == "Z" and ppid == "1"):
            found.add(int(entry.name))
    return found


def test_parallel_graders_leave_no_zygote_behind(klass, config, tmp_path, monkeypatch):
    """Forked grader processes exit without atexit: are their zygotes still closed and reaped?"""
    marker = f"/nonexistent-zygote-marker-{os.getpid()}"
    monkeypatch.setenv("PATH", os.environ.get("PATH", "") + os.pathsep + marker)  # the graders' zygotes inherit it
    before = _zygotes_and_orphan_zombies(marker)
    grade_batch([klass], assignment="backprop", out_dir=tmp_path / "out", config=config, jobs=2)
    assert _zygotes_and_orphan_zombies(marker) - before == set()  # at once: not left for pid 1 to clean up


def test_an_out_folder_inside_the_submissions_is_not_a_submission(config, tmp_path):
    """--out inside the folder of submissions: is the output folder left out of the next run's class (no student
    named `results`, nothing graded again), of the comparison for shared code, and of deciding whether a folder
    holding one notebook is one submission?"""
    from autograder.similarity.run import similar

    folder = tmp_path / "subs"
    folder.mkdir()
    write_submission(folder, "ana", reference_source("backprop"))
    write_submission(folder, "bo", reference_source("backprop"), notebook=True)
    out = folder / "results"
    first = grade_batch([folder], assignment="backprop", out_dir=out, config=config, jobs=1)
    again = grade_batch([folder], assignment="backprop", out_dir=out, config=config, jobs=1)
    assert (first.graded, again.graded, again.reused) == (2, 0, 2)
    assert sorted(row["id"] for row in csv.DictReader((out / "gradebook.csv").open())) == ["ana", "bo"]
    assert similar([folder], assignment="backprop", config=config, out_dir=out).submissions == 2
    alone = tmp_path / "alone"  # one notebook: a single submission, before and after its results sit beside it
    alone.mkdir()
    write_submission(alone, "hw", reference_source("backprop"), notebook=True)
    for _ in range(2):
        report = grade_batch([alone], assignment="backprop", out_dir=alone / "out", config=config, jobs=1)
        assert [r.id for r in report.results] == ["alone"]


def test_batch_settings_and_modification_times_apply_to_a_resumed_run_without_regrading(tmp_path):
    """[batch] student_id and duplicates, and the files' modification times, change no grade: does a resumed
    run file the kept records by the new pattern and rule and the times the files have now, grading nothing
    again, and do the records (what the reports read) say the same?"""
    folder = tmp_path / "subs"
    folder.mkdir()
    buggy = reference_source("backprop") + "\n\n" + (MUTANTS / "backprop" / "softmax_loss__sign-flip.py").read_text()
    write_submission(folder, "jdoe_attempt1", reference_source("backprop"))
    write_submission(folder, "jdoe_attempt2", buggy)
    write_submission(folder, "asmith_attempt1", reference_source("backprop"))
    os.utime(folder / "jdoe_attempt1.py", (1_700_000_000, 1_700_000_000))
    os.utime(folder / "jdoe_attempt2.py", (1_700_000_100, 1_700_000_100))
    text = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')

    def settings(pattern: str, rule: str):
        path = tmp_path / f"{len(list(tmp_path.glob('*.toml')))}.toml"
        path.write_text(text.replace('student_id = "(?P<id>.+)"', f'student_id = "{pattern}"')
                        .replace('duplicates = "latest"', f'duplicates = "{rule}"'))
        return load_config(path)

    out = tmp_path / "out"

    def grade(pattern: str, rule: str) -> dict[str, dict[str, str]]:
        report = grade_batch([folder], assignment="backprop", out_dir=out, config=settings(pattern, rule), jobs=1)
        assert report.graded == (3 if first else 0), (pattern, rule)
        return {row["id"]: row for row in csv.DictReader((out / "gradebook.csv").open())}

    first = True
    assert sorted(grade("(?P<id>.+)", "latest")) == ["asmith_attempt1", "jdoe_attempt1", "jdoe_attempt2"]
    first = False
    rows = grade("(?P<id>[a-z]+)_", "latest")
    assert sorted(rows) == ["asmith", "jdoe"] and float(rows["jdoe"]["softmax_loss"]) < 9  # attempt2, the newer
    assert json.loads((out / "jdoe_attempt2" / "grade.json").read_text())["student"] == "jdoe"
    assert json.loads((out / "summary.json").read_text())["superseded"] == ["jdoe_attempt1"]
    assert grade("(?P<id>[a-z]+)_", "best")["jdoe"]["total"] == "39"
    os.utime(folder / "jdoe_attempt1.py", (1_700_000_200, 1_700_000_200))  # attempt1 handed in again, unchanged
    assert grade("(?P<id>[a-z]+)_", "latest")["jdoe"]["total"] == "39"
    assert json.loads((out / "jdoe_attempt1" / "grade.json").read_text())["modified"] == 1_700_000_200
