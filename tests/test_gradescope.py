"""The Gradescope autograder zip, end to end: built by `autograder gradescope`, unpacked into a root laid out
like Gradescope's (source/, submission/, results/), installed by its own setup.sh into a fresh venv, and run
by its own run_autograder on the bundled examples and on hostile submissions; every results.json is checked
against tests/gradescope_results.schema.json, written from Gradescope's documented fields.

The venv is made once per session. To stay fast it sees this interpreter's packages (setup.sh still builds
and installs the grader from the zip's source, with the zip's numpy constraint); GRADESCOPE_CLEAN_VENV=1
installs every dependency from PyPI instead, as on Gradescope.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder.batch.gradescope import GradescopeRoot, choose_submission, supervise
from autograder.grading import grade_submission
from tests.conftest import ROOT, reference_source

pytestmark = pytest.mark.slow
EXAMPLES = ROOT / "assignments" / "backprop" / "examples"
SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())
EXPECTED = {"ada.ipynb": 39, "ben.ipynb": 34.6667, "cy.ipynb": 0, "dee.py": 26}  # as `autograder grade` gives


def validate(data: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(data)


@pytest.fixture(scope="session")
def gradescope(tmp_path_factory) -> dict:
    """The zip built by the command, unpacked into ROOT/source, and set up by its setup.sh in ROOT/venv."""
    out = tmp_path_factory.mktemp("zip")
    built = subprocess.run([sys.executable, "-m", "autograder.cli", "gradescope", "-a", "backprop", "--out", str(out)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    archive = out / "gradescope-backprop.zip"
    root = tmp_path_factory.mktemp("autograder")
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir()
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        opened.extractall(root / "source")
        for info in opened.infolist():  # zipfile keeps no modes: set the ones the zip records
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope's image build does
    env = dict(os.environ, AUTOGRADER_GRADESCOPE_ROOT=str(root))
    if os.environ.get("GRADESCOPE_CLEAN_VENV") != "1":
        env["AUTOGRADER_VENV_OPTIONS"] = "--system-site-packages"
    started = time.monotonic()
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=900)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    print(f"setup.sh took {time.monotonic() - started:.1f} s")
    return {"root": root, "names": names, "archive": archive}


def run_autograder(gradescope: dict, files: dict[str, Path | str], **env: str) -> tuple[dict, float]:
    """Put `files` (name -> a file to copy, or text) in ROOT/submission, run ROOT/run_autograder as Gradescope
    does (working folder ROOT), and return results.json, checked against the schema, and the seconds taken."""
    root = gradescope["root"]
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder)
        (root / folder).mkdir()
    for name, content in files.items():
        target = root / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content)
    started = time.monotonic()
    run = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, AUTOGRADER_GRADESCOPE_ROOT=str(root), **env))
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    data = json.loads((root / "results" / "results.json").read_text())
    validate(data)
    return data, elapsed


def test_zip_has_gradescope_files_at_its_root_and_no_example(gradescope):
    """Are setup.sh and run_autograder at the zip's root, executable, with the settings and reference beside
    them, and none of the graded examples (ada's is a solution) or compiled files in it?"""
    names = gradescope["names"]
    assert {"setup.sh", "run_autograder", "grader.toml", "constraints.txt", "reference/backprop.py",
            "assignments/backprop/spec.py", "grader/pyproject.toml"} <= set(names)
    with zipfile.ZipFile(gradescope["archive"]) as opened:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in opened.infolist()}
        assert opened.read("constraints.txt").decode().strip() == "numpy==2.4.*"  # grader.toml: numpy = "2.4"
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert not [n for n in names if "examples/" in n or n.endswith(".pyc") or "__pycache__" in n]


def test_setup_installs_the_grader_from_the_zip_into_its_venv(gradescope):
    """Does the venv run the grader it installed from the zip (not this repository's), with the course's numpy?"""
    python = gradescope["root"] / "venv" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import autograder, numpy; print(autograder.__file__); "
                            "print(numpy.__version__)"], capture_output=True, text=True, cwd="/", check=True)
    package, numpy_version = where.stdout.split()
    assert Path(package).is_relative_to(gradescope["root"] / "venv")
    assert numpy_version.startswith("2.4.")


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_each_example_gets_the_score_autograder_grade_gives(gradescope, example):
    """Does run_autograder grade each bundled example as `autograder grade` does, with hidden tests?"""
    data, elapsed = run_autograder(gradescope, {example: EXAMPLES / example})
    assert data["score"] == EXPECTED[example] and data["max_score"] == 39
    assert len(data["tests"]) == 29 and {t["visibility"] for t in data["tests"]} == {"after_published"}
    assert "ran on hidden cases" in data["output"] and "once grades are published" in data["output"]
    assert data["extra_data"]["isolation"] != "none"
    assert elapsed < 60  # Gradescope's 10 minutes, with room to spare (a hang costs its timeout once)


def test_source_is_readable_by_root_only_and_student_code_cannot_read_the_reference(gradescope):
    """Is ROOT/source (grader.toml, reference) closed to other users, and does a linear_forward that answers
    with the reference, read from ROOT/source, get nothing?"""
    thief = reference_source("backprop").replace(
        "def linear_forward(", f"def linear_forward(x, W, b):\n    namespace = {{}}\n"
        f"    exec(open({str(gradescope['root'] / 'source' / 'reference' / 'backprop.py')!r}).read(), namespace)\n"
        "    return namespace['linear_forward'](x, W, b)\n\n\ndef _unused(", 1)
    data, _ = run_autograder(gradescope, {"backprop.py": thief})
    assert stat.S_IMODE(os.stat(gradescope["root"] / "source").st_mode) == 0o700
    forward = [t for t in data["tests"] if t["name"].startswith("linear_forward /")]
    assert forward and all(t["score"] == 0 for t in forward), forward
    assert data["score"] == 26  # as dee, whose linear_forward hangs: its backward and the trained net lose too


def test_a_folder_with_helper_files_is_one_submission(gradescope):
    """Is a notebook with a helper .py beside it graded as one submission, and of several .py files, NAME.py?"""
    data, _ = run_autograder(gradescope, {"ada.ipynb": EXAMPLES / "ada.ipynb", "helpers.py": "X = 1\n",
                                          "data/notes.txt": "mine\n"})
    assert data["score"] == 39
    data, _ = run_autograder(gradescope, {"backprop.py": reference_source("backprop"), "helpers.py": "X = 1\n"})
    assert data["score"] == 39
    data, _ = run_autograder(gradescope, {})
    assert data["score"] == 0 and "could not be graded" in data["output"]


def test_a_submission_that_kills_what_it_can_still_gets_results(gradescope):
    """Does code that kills every process it may signal, its parent, its group, then exits, still give a
    results.json of the grader, with the score `autograder grade` gives?"""
    hostile = reference_source("backprop") + (
        "\nimport os, signal\nfor target in (os.getppid(), 0, -1):\n    try:\n        os.kill(target, signal.SIGKILL)\n"
        "    except OSError:\n        pass\nos._exit(3)\n")
    data, _ = run_autograder(gradescope, {"backprop.py": hostile})
    assert "not_graded" not in data["extra_data"]
    scratch = gradescope["root"].parent / "hostile-kill"
    scratch.mkdir(exist_ok=True)
    (scratch / "backprop.py").write_text(hostile)
    from autograder.course.config import load_config

    expected = grade_submission(scratch / "backprop.py", "backprop", load_config(ROOT / "grader.toml"))
    assert data["score"] == round(expected.score, 4)


def test_a_grading_past_the_deadline_is_killed_and_says_why(gradescope):
    """Does a grading still running at the deadline (dee's hang costs 5 s; the deadline here is 2 s) end with
    score 0 and the reason, in time?"""
    data, elapsed = run_autograder(gradescope, {"dee.py": EXAMPLES / "dee.py"}, AUTOGRADER_GRADESCOPE_DEADLINE="2")
    assert data["score"] == 0 and data["tests"] == []
    assert "longer than the 2 s the autograder allows" in data["output"]
    assert elapsed < 2 + 10


def test_a_grader_that_dies_leaves_a_results_json_with_the_reason(tmp_path):
    """Does the runner write score 0 and why when the grading process is killed before writing anything?"""
    paths = GradescopeRoot(tmp_path)
    (tmp_path / "source").mkdir()
    supervise(paths, [sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"], deadline=30)
    data = json.loads(paths.results.read_text())
    validate(data)
    assert data["score"] == 0 and "killed by signal SIGKILL" in data["output"]


def test_choosing_the_submission_in_an_upload(tmp_path):
    """Of an upload: one notebook (helpers beside it) is the folder; of several notebooks, NAME.ipynb."""
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "helpers.py").write_text("")
    assert choose_submission(tmp_path, "backprop") == tmp_path
    (tmp_path / "backprop.ipynb").write_text("{}")
    assert choose_submission(tmp_path, "backprop") == tmp_path / "backprop.ipynb"
    (tmp_path / "backprop.ipynb").unlink()
    (tmp_path / "b.ipynb").write_text("{}")
    assert choose_submission(tmp_path, "backprop") == tmp_path  # two notebooks, neither named: loading says so


def test_the_schema_refuses_what_gradescope_does_not_document():
    """Does the committed schema catch a misspelt field and a visibility Gradescope does not know?"""
    validate({"score": 1, "tests": [{"name": "a", "score": 1, "visibility": "after_published"}]})
    for bad in ({"score": 1, "visibilty": "hidden"}, {"score": 1, "tests": [{"score": 1, "visibility": "later"}]},
                {"tests": [{"name": "no score"}]}):
        with pytest.raises(jsonschema.ValidationError):
            validate(bad)
