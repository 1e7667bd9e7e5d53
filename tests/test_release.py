"""The student release (`autograder release`), installed from its wheel alone into a venv outside the repository,
run from folders outside it, as a student (or Google Colab) would: no repository, no grader.toml, no reference."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from autograder.authoring.assign import build_notebook
from autograder.authoring.release import computes
from autograder.authoring.skeleton import BEGIN, END
from autograder.course import registry
from tests.conftest import ROOT

NAME = "backprop"  # the release a student's venv installs and runs
ASSIGNMENTS = sorted(registry.ASSIGNMENTS)  # every assignment folder found: each is released without its solutions
REFERENCE = ROOT / "reference" / f"{NAME}.py"
RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
notebook.cells.append(nbformat.v4.new_code_cell(
    "import autograder, sys\\nfrom autograder.course.registry import folder_of\\n"
    "print('AUTOGRADER', autograder.__file__, folder_of(%(name)r), %(root)r in sys.path)"))
NotebookClient(notebook, timeout=300, kernel_name="release", resources={"metadata": {"path": "."}}).execute()
nbformat.write(notebook, sys.argv[2])
""" % {"name": NAME, "root": str(ROOT)}


@pytest.fixture(scope="session")
def releases(tmp_path_factory) -> Callable[[str], Path]:
    """The release folder of an assignment, written by the real command once per session."""
    written: dict[str, Path] = {}

    def release_of(name: str) -> Path:
        if name not in written:
            out = tmp_path_factory.mktemp(f"release-{name}")
            done = subprocess.run([sys.executable, "-m", "autograder.cli", "release", "-a", name, "--out", str(out)],
                                  cwd=ROOT, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            written[name] = out
        return written[name]

    return release_of


@pytest.fixture(scope="session")
def release(releases) -> Path:
    """The release of NAME, the one the student's venv installs."""
    return releases(NAME)


@pytest.fixture(scope="session")
def student(tmp_path_factory, release) -> dict:
    """A venv (system site packages for numpy, nbclient, ipykernel) with the wheel installed, a Jupyter kernel
    on it, and the environment a student's shell would have: the repository nowhere on the path."""
    root = tmp_path_factory.mktemp("student")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    [wheel] = release.glob("*.whl")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True,
                   cwd=root)
    kernel = root / "jupyter" / "kernels" / "release"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "release", "language": "python"}))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", registry.EXTRA_ENV)}
    env.update(JUPYTER_PATH=str(root / "jupyter"), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return {"root": root, "venv": venv, "python": python, "env": env}


def _folder(student: dict, name: str, *files: Path) -> Path:
    folder = student["root"] / name
    folder.mkdir()
    for path in files:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def _execute(student: dict, notebook: Path) -> nbformat.NotebookNode:
    """Run every cell in the venv's kernel, in the notebook's folder; the last cell says where autograder is."""
    executed = notebook.with_name("executed.ipynb")
    done = subprocess.run([student["python"], "-c", RUN_NOTEBOOK, notebook.name, executed.name],
                          cwd=notebook.parent, env=student["env"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = nbformat.read(executed, as_version=4)
    where = "".join(o.get("text", "") for o in result.cells[-1].outputs).split()
    assert where[0] == "AUTOGRADER" and where[-1] == "False", where  # the repository is not on the kernel's path
    assert Path(where[1]).is_relative_to(student["venv"]) and Path(where[2]).is_relative_to(student["venv"]), where
    return result


def _check_outputs(notebook: nbformat.NotebookNode) -> dict[str, str]:
    return {cell.source: "\n".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
            for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith("check(")}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_release_holds_the_notebook_the_skeleton_the_checks_and_a_wheel(releases, name: str):
    assert sorted(p.name for p in releases(name).iterdir()) == sorted(
        [f"{name}.checks.json", f"{name}.ipynb", f"{name}.py", f"autograder_{name}-0.1.0-py3-none-any.whl"])


def test_the_untouched_notebook_says_not_attempted_on_every_check(student, release):
    """Run from the venv alone, does the released notebook run top to bottom, every check 'not attempted'?"""
    folder = _folder(student, "untouched", release / f"{NAME}.ipynb", release / f"{NAME}.checks.json")
    outputs = _check_outputs(_execute(student, folder / f"{NAME}.ipynb"))
    assert len(outputs) >= len(registry.ASSIGNMENTS[NAME].tasks)
    for source, text in outputs.items():
        assert "Not attempted" in text and "NotImplementedError" in text, (source, text)


def test_the_notebook_filled_with_the_reference_passes_every_public_check(student, release):
    """With the reference pasted in, does every public check pass in the student's kernel (the trained model too)?"""
    folder = _folder(student, "solved", release / f"{NAME}.checks.json")
    nbformat.write(build_notebook(NAME, ROOT, solutions=True), str(folder / f"{NAME}.ipynb"))
    outputs = _check_outputs(_execute(student, folder / f"{NAME}.ipynb"))
    assert len(outputs) >= len(registry.ASSIGNMENTS[NAME].tasks)
    for source, text in outputs.items():
        assert "[PASS]" in text and "FAIL" not in text and "PART" not in text, (source, text)
    assert any("test accuracy" in text for text in outputs.values())


def test_without_the_checks_file_the_notebook_says_where_to_put_it_and_runs_on(student, release):
    """Opened where its checks file is not, does the setup cell give one sentence, and no later cell raise?"""
    folder = _folder(student, "no_checks", release / f"{NAME}.ipynb")
    notebook = _execute(student, folder / f"{NAME}.ipynb")  # a NameError or a traceback would stop it
    setup = next(cell for cell in notebook.cells if "Checker(" in cell.source)
    said = "".join(o.get("text", "") for o in setup.outputs).strip()
    assert said.startswith(f"No public checks: put {NAME}.checks.json next to this notebook"), said
    assert not [o for cell in notebook.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    for source, text in _check_outputs(notebook).items():
        assert f"put {NAME}.checks.json next to this notebook" in text, (source, text)


def test_autograder_check_runs_on_a_py_with_no_repository_and_no_grader_toml(student, release):
    """`autograder check` from the wheel: the skeleton is not attempted, the reference passes, a missing checks
    file is one clear line."""
    folder = _folder(student, "cli", release / f"{NAME}.py", release / f"{NAME}.checks.json")
    (folder / "mine.py").write_text(REFERENCE.read_text())

    def check(path: str) -> subprocess.CompletedProcess:
        return subprocess.run(["autograder", "check", path, "-a", NAME], cwd=folder, env=student["env"],
                              capture_output=True, text=True, timeout=300)

    skeleton = check(f"{NAME}.py")
    assert skeleton.returncode == 1, skeleton.stderr  # checks that do not pass: a CI job using it fails
    assert "Not attempted" in skeleton.stdout and "[PASS]" not in skeleton.stdout
    solved = check("mine.py")
    assert solved.returncode == 0, solved.stderr
    assert "[PASS]" in solved.stdout and "FAIL" not in solved.stdout and "Not attempted" not in solved.stdout
    (folder / f"{NAME}.checks.json").unlink()
    missing = check("mine.py")
    assert missing.returncode != 0 and f"put {NAME}.checks.json next to mine.py" in missing.stderr
    assert "Traceback" not in missing.stderr


def _released_texts(release: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(release.iterdir()):
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                texts.update({f"{path.name}!{m}": wheel.read(m).decode("utf-8", "replace") for m in wheel.namelist()})
        else:
            texts[path.name] = path.read_text()
    return texts


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_released_file_carries_a_solution_line_or_the_reference_module(releases, name: str):
    """Is every line of a solution region (but those computing nothing, as `return`) absent from every released
    file, the wheel's members included (the assignment's misconceptions, which compute, among them), and so are
    the reference's docstring and code?"""
    reference_path = ROOT / "reference" / f"{name}.py"
    reference = reference_path.read_text()
    solution, inside = set(), False
    for line in reference.splitlines():
        inside = (inside or bool(BEGIN.match(line))) and not END.match(line)
        if inside and not BEGIN.match(line) and computes(line.strip()):
            solution.add(line.strip())
    assert len(solution) >= 20
    docstring = reference.split('"""')[1]
    texts = _released_texts(releases(name))
    for part in ("spec.py", "misconceptions.py"):  # the assignment's folder is scanned, its computing models too
        assert any(where.endswith(f"!autograder/assignments/{name}/{part}") for where in texts), part
    assert not any("/reference" in where or where.endswith(f"!{reference_path.name}") for where in texts)
    for where, text in texts.items():
        if where.endswith(".ipynb"):
            text = "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
        lines = {line.strip() for line in text.splitlines()}
        assert not solution & lines, (where, sorted(solution & lines))
        assert "Reference solutions for" not in text and docstring.splitlines()[0] not in text, where
        assert reference not in text, where


def test_a_solution_line_respaced_or_commented_is_still_a_leak(tmp_path: Path):
    """The release's scan compares code, not text: a line of a solution with other spacing or a comment of its
    own is found (a reference line that carries a comment of its own matches its bare copy too)."""
    import io
    import tokenize

    from autograder.authoring.release import computes, find_leaks

    reference = (ROOT / "reference" / "backprop.py").read_text()
    inside, line = False, ""
    for text in reference.splitlines():  # the first solution line that computes and is a whole statement
        inside = (inside or bool(BEGIN.match(text))) and not END.match(text)
        if inside and not BEGIN.match(text) and computes(text.strip()) and not text.strip().endswith(":"):
            line = text.strip()
            break
    tokens = [t.string for t in tokenize.generate_tokens(io.StringIO(line).readline) if t.string.strip()]
    respaced = "  ".join(tokens)  # `out  =  x  @  W  +  b`: the same code, other spacing
    assert respaced != line
    disguised = tmp_path / "helper.py"
    disguised.write_text(f"def helper(x, W, b, dout, cache):\n    {respaced}  # my own idea\n")
    plain = tmp_path / "plain.py"
    plain.write_text("def helper(x):\n    return x\n")
    assert find_leaks(reference, [disguised]) and not find_leaks(reference, [plain])
