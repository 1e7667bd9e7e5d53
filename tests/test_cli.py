"""The command line end to end, in real subprocesses: the contract other tools and later issues rely on."""
from __future__ import annotations

import csv
import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.course.config import load_config
from autograder.course.registry import ASSIGNMENTS
from autograder.results import result_from_dict
from tests.conftest import ROOT, reference_source, write_submission

EXAMPLES = ROOT / "assignments" / "backprop" / "examples"
BACKPROP_MAX = sum(sum(checks.values()) for checks in load_config(ROOT / "grader.toml")
                   .assignments["backprop"].points.values())


def autograder(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    run = autograder("grade", *sorted(str(p) for p in EXAMPLES.iterdir()), "--assignment", "backprop",
                     "--out", str(out))
    assert run.returncode == 0, run.stderr
    return out


def test_results_json_follows_the_gradescope_schema(graded):
    """Does each submission get DIR/<id>/results.json with score, max_score, execution_time and tests[]?"""
    data = json.loads((graded / "ada" / "results.json").read_text())
    assert data["score"] == data["max_score"] == BACKPROP_MAX
    assert isinstance(data["execution_time"], float)
    assert data["tests"] and all(set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
                                 for t in data["tests"])
    assert {t["status"] for t in data["tests"]} == {"passed"}


def test_gradebook_has_a_row_per_submission_and_a_column_per_task(graded):
    rows = list(csv.DictReader((graded / "gradebook.csv").open()))
    assert list(rows[0]) == (["id"] + [task.name for task in ASSIGNMENTS["backprop"].tasks]
                             + ["total", "max", "percent", "status"])
    assert list(rows[0])[1:7] == ["linear_forward", "linear_backward", "relu_forward", "relu_backward",
                                  "softmax_loss", "count_params"]
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {"ada", "ben", "cy", "dee"}
    assert by_id["ada"]["total"] == str(BACKPROP_MAX) and by_id["cy"]["total"] == "0"
    # ben averages db over the batch: only linear_backward loses points
    assert float(by_id["ben"]["linear_backward"]) < 6 and by_id["ben"]["linear_forward"] == "4"
    # dee's linear_forward loops forever: it and the backward that needs its cache lose, the rest is graded
    assert by_id["dee"]["linear_forward"] == "0" and by_id["dee"]["softmax_loss"] == "9"


def test_same_submission_twice_gives_identical_results(tmp_path):
    """Is grading deterministic: byte-identical results.json apart from the measured execution_time?"""
    submission = EXAMPLES / "ben.ipynb"
    texts = []
    for run in ("first", "second"):
        out = tmp_path / run
        assert autograder("grade", str(submission), "-a", "backprop", "--out", str(out)).returncode == 0
        data = json.loads((out / "ben" / "results.json").read_text())
        assert data.pop("execution_time") > 0
        texts.append(json.dumps(data, indent=2))
    assert texts[0] == texts[1]


def test_bad_submissions_are_results_with_reasons_and_exit_zero(tmp_path):
    """Do an empty file, invalid JSON, a binary file and a non-code file each get a reason, not a crash?"""
    (tmp_path / "empty.ipynb").write_text("")
    (tmp_path / "broken.ipynb").write_text("{ not json")
    (tmp_path / "binary.py").write_bytes(b"\x00\x01\x02\xff" * 100)
    (tmp_path / "essay.txt").write_text("I did the homework in my head")
    old = nbformat.v3.new_notebook()  # an nbformat v3 notebook is upgraded and graded
    old.worksheets = [nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(reference_source("backprop"))])]
    (tmp_path / "v3.ipynb").write_text(nbformat.v3.writes_json(old))
    out = tmp_path / "out"
    paths = sorted(str(p) for p in tmp_path.iterdir() if p.is_file())
    run = autograder("grade", *paths, "-a", "backprop", "--out", str(out))
    assert run.returncode == 0, run.stderr
    reasons = {p: json.loads((out / p / "results.json").read_text())["output"] for p in
               ("empty", "broken", "binary", "essay")}
    assert "is empty" in reasons["empty"]
    assert "not a readable notebook" in reasons["broken"]
    assert "binary" in reasons["binary"]
    assert "neither a notebook" in reasons["essay"]
    assert json.loads((out / "v3" / "results.json").read_text())["score"] == BACKPROP_MAX


def test_folder_holding_one_notebook_is_a_submission(tmp_path):
    folder = tmp_path / "student42"
    folder.mkdir()
    write_submission(folder, "homework", reference_source("rnn"), notebook=True)
    out = tmp_path / "out"
    assert autograder("grade", str(folder), "-a", "rnn", "--out", str(out)).returncode == 0
    data = json.loads((out / "student42" / "results.json").read_text())
    assert data["score"] == data["max_score"] > 0


def test_check_prints_feedback_a_student_can_read():
    """Does `check` name the failing task, the failing gradient and its shapes in plain words? It exits 1, as a
    check failed, so that it can gate a CI job; --exit-zero keeps 0; a submission that passes exits 0."""
    run = autograder("check", str(EXAMPLES / "ben.ipynb"), "-a", "backprop")
    assert run.returncode == 1, run.stderr
    assert autograder("check", str(EXAMPLES / "ben.ipynb"), "-a", "backprop", "--exit-zero").returncode == 0
    assert autograder("check", str(EXAMPLES / "ada.ipynb"), "-a", "backprop").returncode == 0
    assert "[PART] linear_backward" in run.stdout
    assert "db differs from the reference" in run.stdout
    assert "[PASS] softmax_loss" in run.stdout


def test_grade_files_record_the_python_and_numpy_that_graded(graded):
    """Do results.json (under extra_data) and grade.json name the Python and NumPy the student's code ran on?"""
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    assert json.loads((graded / "ben" / "results.json").read_text())["extra_data"]["versions"] == versions
    record = json.loads((graded / "ben" / "grade.json").read_text())
    assert record["result"]["versions"] == versions
    del record["result"]["versions"]  # a record written before versions were recorded still reads
    assert result_from_dict(record["result"]).versions == {}


def test_grade_ends_by_comparing_the_class_for_shared_code(graded):
    """Does grade compare the class it graded (ada, ben and dee are all made from the reference; cy hands in the
    untouched skeleton, which shares nothing) and does the class summary link to the flagged pairs?"""
    rows = list(csv.DictReader((graded / "similarity.csv").open()))
    assert {(r["a"], r["b"]) for r in rows if r["flagged"] == "yes"} == {("ada", "ben"), ("ada", "dee"), ("ben", "dee")}
    assert "cy" not in {r["a"] for r in rows} | {r["b"] for r in rows}
    summary = (graded / "summary.html").read_text()
    assert '<a href="similarity.html#pair-1">ada and ben share' in summary
    page = re.sub(r"<[^>]+>", "", (graded / "similarity.html").read_text())  # the names link to the feedback
    assert re.search(r"ada and ben share \d+% of their code beyond the skeleton", page)


def _config_stating_numpy(tmp_path: Path, release: str) -> Path:
    text = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    text, count = re.subn(r'^numpy = "[^"]*"', f'numpy = "{release}"', text, flags=re.M)
    assert count == 1
    path = tmp_path / f"grader-{release}.toml"
    path.write_text(text)
    return path


def test_another_numpy_than_the_course_states_is_warned_once_per_run(tmp_path):
    """grader.toml says 1.25 (no NumPy 2 is): `grade` over two submissions in two jobs, and `check`, each print
    one warning naming both releases; with the installed major.minor stated, no warning."""
    other = _config_stating_numpy(tmp_path, "1.25")
    run = autograder("grade", str(EXAMPLES / "ada.ipynb"), str(EXAMPLES / "ben.ipynb"), "-a", "backprop",
                     "--out", str(tmp_path / "o"), "-j", "2", "--no-report", "--config", str(other))
    assert run.returncode == 0, run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning: ") and "NumPy" in line]
    assert len(warnings) == 1, run.stderr
    assert "NumPy 1.25" in warnings[0] and f"NumPy {np.__version__}" in warnings[0]
    checked = autograder("check", str(EXAMPLES / "ada.ipynb"), "-a", "backprop", "--config", str(other))
    assert checked.returncode == 0 and checked.stderr.count("warning: ") == 1, checked.stderr
    same = _config_stating_numpy(tmp_path, ".".join(np.__version__.split(".")[:2]))
    quiet = autograder("check", str(EXAMPLES / "ada.ipynb"), "-a", "backprop", "--config", str(same))
    assert quiet.returncode == 0 and "NumPy" not in quiet.stderr, quiet.stderr


def test_bad_config_is_a_grader_error_with_nonzero_exit(tmp_path):
    (tmp_path / "grader.toml").write_text("[grading]\nsed = 1\n")
    run = autograder("grade", str(EXAMPLES / "ada.ipynb"), "-a", "backprop", "--out", str(tmp_path / "o"),
                     "--config", str(tmp_path / "grader.toml"))
    assert run.returncode != 0 and "grading.sed" in run.stderr


def test_version_is_the_package_version() -> None:
    """`autograder --version` says the version pyproject.toml builds, with no installed distribution to ask (a
    release's wheel is named autograder-NAME)."""
    import tomllib

    import autograder

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert autograder.__version__ == project["version"]
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "--version"], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert run.returncode == 0 and run.stdout.strip() == f"autograder, version {project['version']}"


def test_a_partial_config_layers_over_the_project_and_mismatched_points_are_warned(tmp_path):
    """`--config` with a file that changes one thing grades as the project's grader.toml with that change
    (issue 16); `check` warns when the shipped checks file's points are not grader.toml's; `assign` warns about
    an [assignments.x] with no such assignment instead of ignoring it."""
    partial = tmp_path / "partial.toml"
    partial.write_text("[assignments.backprop.points]\nlinear_forward = { values = 5 }\n")
    run = autograder("grade", str(EXAMPLES / "ada.ipynb"), "-a", "backprop", "--out", str(tmp_path / "o"),
                     "--no-report", "-j", "1", "--config", str(partial))
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "o" / "ada" / "results.json").read_text())["max_score"] == BACKPROP_MAX + 3
    checked = autograder("check", str(EXAMPLES / "ada.ipynb"), "-a", "backprop", "--config", str(partial))
    assert "are not grader.toml's (linear_forward.values: 2 vs 5)" in checked.stderr, checked.stderr
    assert "warning" not in autograder("check", str(EXAMPLES / "ada.ipynb"), "-a", "backprop").stderr
    typo = tmp_path / "typo.toml"
    typo.write_text('[assignments.backprob]\nreference = "x.py"\n')
    assigned = autograder("assign", "-a", "backprop", "--out", str(tmp_path / "student"), "--config", str(typo))
    assert assigned.returncode == 0, assigned.stderr
    assert "[assignments.backprob], but no assignment 'backprob' was found" in assigned.stderr


def test_reports_follow_the_last_run_and_prune_removes_the_folders_of_removed_submissions(tmp_path):
    """A submission removed from the class since the last run leaves its DIR/<id>/ behind: do `grade` and
    `report` leave it out of the reports and say so in one warning, does `report --prune` remove it (and only
    it), and is a folder written after summary.json (a run that did not finish) still reported?"""
    klass = tmp_path / "class"
    klass.mkdir()
    for name in ("ada", "ben", "cy"):
        (klass / f"{name}.ipynb").write_bytes((EXAMPLES / f"{name}.ipynb").read_bytes())
    out = tmp_path / "out"
    assert autograder("grade", str(klass), "-a", "backprop", "--out", str(out), "-j", "1").returncode == 0
    (klass / "cy.ipynb").unlink()
    again = autograder("grade", str(klass), "-a", "backprop", "--out", str(out), "-j", "1")
    assert again.returncode == 0, again.stderr
    warning = (f"warning: 1 folder in {out} is from submissions no longer graded, left out of the reports: cy; "
               f"`autograder report {out} --prune` removes them")
    assert warning in again.stderr.splitlines(), again.stderr
    assert re.search(r"Students<b>2</b>", (out / "summary.html").read_text())
    assert "2 feedback reports" in again.stdout
    reported = autograder("report", str(out))
    assert reported.returncode == 0 and reported.stderr.strip() == warning, reported.stderr
    unfinished = out / "dee"  # graded by a run stopped before it wrote summary.json: newer than it, so reported
    unfinished.mkdir()
    (unfinished / "grade.json").write_text((out / "ben" / "grade.json").read_text().replace('"ben"', '"dee"'))
    pruned = autograder("report", str(out), "--prune")
    assert pruned.returncode == 0 and pruned.stderr == "", pruned.stderr
    assert "removed 1 folder of submissions no longer graded: cy" in pruned.stdout
    assert not (out / "cy").exists() and (out / "ada" / "feedback.html").exists()
    assert (out / "dee" / "feedback.html").exists()
    assert re.search(r"Students<b>3</b>", (out / "summary.html").read_text())


def test_a_class_of_another_assignment_is_named_in_one_warning(tmp_path):
    """rnn submissions graded with -a backprop score 0 with 'not attempted' on every task: does grade say, once,
    that they define none of backprop's functions and look like rnn; and does a class of untouched skeletons
    (whose functions exist, raising NotImplementedError) get no such warning?"""
    klass = tmp_path / "rnn"
    klass.mkdir()
    for i in range(3):
        write_submission(klass, f"s{i}", reference_source("rnn"), notebook=i == 0)
    run = autograder("grade", str(klass), "-a", "backprop", "--out", str(tmp_path / "o"), "-j", "1", "--no-report")
    assert run.returncode == 0, run.stderr
    hints = [line for line in run.stderr.splitlines() if "define none of" in line]
    assert hints == ["warning: 3 of 3 submissions define none of backprop's functions; they look like rnn (-a rnn)"]
    skeletons = tmp_path / "skeletons"
    skeletons.mkdir()
    for i in range(2):
        (skeletons / f"k{i}.py").write_text((ROOT / "student_template" / "backprop.py").read_text())
    quiet = autograder("grade", str(skeletons), "-a", "backprop", "--out", str(tmp_path / "k"), "-j", "1",
                       "--no-report")
    assert quiet.returncode == 0 and "define none of" not in quiet.stderr, quiet.stderr
