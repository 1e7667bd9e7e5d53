"""Our homework inside an otter course (issue 14, part 1): `autograder otter` writes an otter assignment whose test
cases run our checks in the student's kernel, graded here by the real otter-grader 7.0.0 (conftest's
`otter_python`, a venv under ~/.cache that sees this interpreter's packages).

Does `otter run` give every bundled example the points per task `autograder grade` gives? Does a student's
`grader.check(...)` show our feedback, misconception included? Is every hidden case, and the reference, kept out of
the student's folder? Are the zip's scripts those the real `otter generate` writes?
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.release import find_leaks
from autograder.batch.run import grade_batch
from autograder.course.cases import hidden_seed
from autograder.course.config import GraderConfig, load_config
from autograder.course.registry import ASSIGNMENTS
from tests.conftest import ROOT

SECRET = "otter-mode-secret-9f3c"  # the hidden cases are drawn with it; it must never leave the course
EXECUTE = """
import sys
import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=300,
               resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(notebook, path)
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, fast_config: GraderConfig) -> Path:
    """grader.toml with 1 s timeouts and a secret: the course both `autograder otter` and `autograder grade` use."""
    text = (fast_config.root / "grader.toml").read_text()
    path = tmp_path_factory.mktemp("course") / "grader.toml"
    path.write_text(text.replace("[grading]\n", f'[grading]\nsecret = "{SECRET}"\n', 1))
    return path


def _build(course: Path, name: str, out: Path) -> Path:
    """`autograder otter -a NAME --out OUT` in a real subprocess (AUTOGRADER_SECRET unset: the secret is the file's)."""
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_SECRET"}
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "otter", "-a", name, "--out", str(out),
                           "--config", str(course)], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert (out / "autograder" / "autograder.zip").is_file() and (out / "student" / f"{name}.ipynb").is_file()
    return out


class _Built(dict):
    """Each assignment's otter folder, built on first use: the structural test reads all of them, the slow
    `otter run` comparisons backprop and rnn only."""

    def __init__(self, course: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self.course, self.tmp_path_factory = course, tmp_path_factory

    def __missing__(self, name: str) -> Path:
        self[name] = _build(self.course, name, self.tmp_path_factory.mktemp(f"otter-{name}"))
        return self[name]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, course: Path) -> dict[str, Path]:
    return _Built(course, tmp_path_factory)


def _otter_run(otter_python: Path, archive: Path, submission: Path, out: Path) -> dict[str, float]:
    """Points per task of `otter run -a archive submission` (results.json's tests, one per test file)."""
    out.mkdir(parents=True)
    otter = otter_python.parent / "otter"
    done = subprocess.run([str(otter), "run", "--no-logo", "-a", str(archive), "-o", str(out), str(submission)],
                          cwd=out, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    tests = json.loads((out / "results.json").read_text())["tests"]
    return {t["name"]: t["score"] for t in tests if "score" in t}


def _graded(paths: list[Path], name: str, out: Path, config: GraderConfig) -> dict[str, dict[str, float]]:
    report = grade_batch(paths, assignment=name, out_dir=out, config=config, jobs=2)
    return {result.id: result.task_scores() for result in report.results}


def _same(otter: dict[str, float], ours: dict[str, float]) -> bool:
    return set(otter) == set(ours) and all(abs(otter[t] - ours[t]) < 1e-4 for t in ours)  # otter rounds to 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", ["backprop", "rnn"])
def test_otter_run_gives_every_example_the_points_per_task_of_autograder_grade(
        name: str, built: dict[str, Path], course: Path, otter_python: Path, tmp_path: Path) -> None:
    """The bundled examples (correct, one bug, untouched, a function that never returns), each through the real
    `otter run` on the zip, and through `autograder grade` with the same grader.toml: the same points per task."""
    examples = sorted((ROOT / "assignments" / name / "examples").iterdir())
    archive = built[name] / "autograder" / "autograder.zip"
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip([p.stem for p in examples], pool.map(
            lambda p: _otter_run(otter_python, archive, p, tmp_path / "otter" / p.stem), examples)))
    ours = _graded(examples, name, tmp_path / "graded", load_config(course))
    assert set(runs) == set(ours) == {"ada", "ben", "cy", "dee"}
    for student in ours:
        assert _same(runs[student], ours[student]), (student, runs[student], ours[student])
    total = sum(sum(checks.values()) for checks in load_config(course).assignments[name].points.values())
    assert sum(runs["ada"].values()) == pytest.approx(total)  # the reference's twin: full marks
    assert sum(runs["cy"].values()) == 0  # the untouched notebook: nothing
    assert 0 < sum(runs["ben"].values()) < total


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_the_student_folder_holds_no_hidden_case_no_reference_and_no_secret(name: str, built: dict[str, Path],
                                                                            course: Path) -> None:
    """Hidden cases, their expected values and their seed are in the zip only; the secret is nowhere; nothing holds
    a solution line of the reference, the notebook and the package's copy of the assignment folder included."""
    config = load_config(course)
    out = built[name]
    student = sorted(p for p in (out / "student").rglob("*") if p.is_file())
    tests = sorted((out / "student" / "tests").glob("*.py"))
    assert [p.stem for p in tests] == sorted(t.name for t in ASSIGNMENTS[name].tasks)
    for path in tests:
        text = path.read_text()
        assert "OK_FORMAT = False" in text and "hidden=True" not in text and "CASES.hidden(" not in text
        assert set(re.findall(r"points=([\d.]+)", text)) == {"0"}  # public cases are feedback, no points
    assert not any(p.name.endswith(".hidden.json") for p in student)
    with zipfile.ZipFile(out / "autograder" / "autograder.zip") as archive:
        members = archive.namelist()
        texts = {m: archive.read(m).decode("utf-8", "replace") for m in members}
    hidden = json.loads(texts[f"tests/{name}.hidden.json"])
    assert hidden["settings"]["seed"] == hidden_seed(config.grading.seed, SECRET) != config.grading.seed
    assert "hidden=True" in texts[f"tests/{ASSIGNMENTS[name].tasks[0].name}.py"]
    assert not any(m.startswith("reference") or m.endswith(f"reference/{name}.py") for m in members)
    assert not [m for m, text in texts.items() if SECRET in text]
    assert not [p for p in student if SECRET in p.read_text(errors="replace")]
    assert find_leaks((ROOT / "reference" / f"{name}.py").read_text(), student) == []
    assert {"otter_config.json", "setup.sh", "run_autograder", "run_otter.py", "environment.yml",
            "files/autograder/otter_checks.py", f"files/autograder/assignments/{name}/spec.py"} <= set(members)


def _filled(notebook: Path, example: Path) -> nbformat.NotebookNode:
    """The otter notebook with every task cell replaced by the example's own (a student who wrote those)."""
    theirs = {c.metadata["task"]: c.source for c in nbformat.read(example, as_version=4).cells if "task" in c.metadata}
    filled = nbformat.read(notebook, as_version=4)
    for cell in filled.cells:
        if "task" in cell.metadata:
            cell.source = theirs[cell.metadata["task"]]
    return filled


def _outputs(cell: nbformat.NotebookNode) -> str:
    return "\n".join(o.get("text", "") or o.get("evalue", "") or o.get("data", {}).get("text/plain", "")
                     for o in cell.outputs)


@pytest.mark.slow
def test_grader_check_in_a_real_kernel_shows_our_feedback_and_the_export_grades_as_ben(
        built: dict[str, Path], course: Path, otter_python: Path, tmp_path: Path) -> None:
    """Ben's functions in the otter notebook, run top to bottom in a real kernel of otter's venv as a student runs
    it: grader.check("linear_backward") fails with our feedback and the misconception, on public cases only;
    check_all covers every task; export writes the zip, which `otter run` grades as `autograder grade` grades ben."""
    folder = tmp_path / "student"
    shutil.copytree(built["backprop"] / "student", folder)
    notebook = folder / "backprop.ipynb"
    nbformat.write(_filled(notebook, ROOT / "assignments" / "backprop" / "examples" / "ben.ipynb"), notebook)
    (tmp_path / "execute.py").write_text(EXECUTE)
    done = subprocess.run([str(otter_python), str(tmp_path / "execute.py"), str(notebook), str(folder)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    cells = {c.source: c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"}
    backward = _outputs(cells['grader.check("linear_backward")'])
    assert "linear_backward / values result:\n        ❌ Test case failed" in backward
    assert "db differs from the reference" in backward
    assert "Likely misconception: db is averaged over the batch instead of summed" in backward
    assert "hidden cases" not in backward
    assert _outputs(cells['grader.check("linear_forward")']) == "linear_forward results: All test cases passed!"
    every = _outputs(cells["grader.check_all()"])
    assert all(f"{task.name} results:" in every for task in ASSIGNMENTS["backprop"].tasks)
    assert "Error" not in _outputs(cells["grader.export(pdf=False)"])
    exported = list(folder.glob("backprop_*.zip"))
    assert len(exported) == 1, sorted(p.name for p in folder.iterdir())
    otter = _otter_run(otter_python, built["backprop"] / "autograder" / "autograder.zip", exported[0],
                       tmp_path / "otter")
    ours = _graded([ROOT / "assignments" / "backprop" / "examples" / "ben.ipynb"], "backprop", tmp_path / "graded",
                   load_config(course))
    assert _same(otter, ours["ben"]), (otter, ours["ben"])


def test_the_zip_scripts_are_those_the_real_otter_generate_writes(built: dict[str, Path], otter_python: Path,
                                                                  tmp_path: Path) -> None:
    """`otter generate` on the zip's tests, with our requirements and otter_config.json: the same setup.sh,
    run_autograder, run_otter.py and environment.yml, so `otter grade` and Gradescope build the image otter would."""
    with zipfile.ZipFile(built["backprop"] / "autograder" / "autograder.zip") as archive:
        ours = {m: archive.read(m).decode() for m in archive.namelist() if not m.startswith("files/")}
    (tmp_path / "tests").mkdir()
    for member, text in ours.items():
        if member.startswith("tests/") and member.endswith(".py"):
            (tmp_path / member).write_text(text)
    requirements = re.findall(r"^      - (.+)$", ours["environment.yml"], re.MULTILINE)[1:]  # otter itself first
    (tmp_path / "requirements.txt").write_text("\n".join(requirements) + "\n")
    (tmp_path / "otter_config.json").write_text(ours["otter_config.json"])
    done = subprocess.run([str(otter_python.parent / "otter"), "generate", "-t", "tests", "-o", "generated.zip"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with zipfile.ZipFile(tmp_path / "generated.zip") as archive:
        theirs = {m: archive.read(m).decode() for m in archive.namelist()}
    for member in ("setup.sh", "run_autograder", "run_otter.py", "environment.yml"):
        assert ours[member] == theirs[member], member
    assert json.loads(ours["otter_config.json"]) == json.loads(theirs["otter_config.json"])
    assert {m for m in theirs if m.startswith("tests/")} == {m for m in ours if m.endswith(".py")
                                                              and m.startswith("tests/")}


@pytest.mark.slow
def test_two_lines_in_the_notebook_score_full_marks_under_otter_and_nothing_under_autograder_grade(
        built: dict[str, Path], course: Path, otter_python: Path, tmp_path: Path) -> None:
    """What the README says this mode gives up: otter runs the tests in the student's kernel, after the student's
    code, so the untouched notebook plus two lines that replace our cases scores full marks there; `autograder
    grade`, which runs student code in a worker, gives it 0."""
    notebook = nbformat.read(ROOT / "assignments" / "backprop" / "examples" / "cy.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import autograder.otter_checks as oc\noc.TaskCases.public = oc.TaskCases.hidden = lambda *args: None"))
    path = tmp_path / "cheat.ipynb"
    nbformat.write(notebook, path)
    otter = _otter_run(otter_python, built["backprop"] / "autograder" / "autograder.zip", path, tmp_path / "otter")
    total = sum(sum(checks.values()) for checks in load_config(course).assignments["backprop"].points.values())
    assert sum(otter.values()) == pytest.approx(total)
    assert sum(_graded([path], "backprop", tmp_path / "graded", load_config(course))["cheat"].values()) == 0
