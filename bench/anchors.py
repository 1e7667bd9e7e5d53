"""Anchor timings for bench_grading.py: the same notebook submissions graded by established tools.

- nbclient: each notebook executed top to bottom in a fresh python3 kernel, the floor of any grader that
  executes notebooks.
- otter: `otter run -a <autograder zip> <notebook>` per submission, the zip built by `otter assign` from a
  master notebook for `backprop`.
- nbgrader: `nbgrader autograde backprop` over a course directory built by `nbgrader generate_assignment`.

otter-grader and nbgrader are installed into their own virtual environments under bench/.venvs on first use
(about a minute each), never into the project's environment. Their tests check five functions on fixed small
inputs; what is measured is wall time per submission, not the scores.
"""
from __future__ import annotations

import ast
import copy
import os
import re
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.authoring.notebooks import split_cells  # noqa: E402

VENVS = Path(__file__).resolve().parent / ".venvs"
OTTER = "otter-grader==7.0.0"
NBGRADER = "nbgrader==0.9.6"
ASSIGNMENT = "backprop"
COMMAND_TIMEOUT = 900

# The tests both tools run, keyed by the function whose cell they follow: (points, test cell source).
TESTS: dict[str, tuple[int, str]] = {
    "linear_forward": (2, """\
x = np.arange(6.0).reshape(2, 3)
W = np.arange(12.0).reshape(3, 4) / 10
b = np.array([1.0, 2.0, 3.0, 4.0])
out, _ = linear_forward(x, W, b)
assert np.allclose(out, [[3.0, 4.3, 5.6, 6.9], [6.6, 8.8, 11.0, 13.2]])"""),
    "linear_backward": (2, """\
x = np.arange(6.0).reshape(2, 3)
W = np.arange(12.0).reshape(3, 4) / 10
_, cache = linear_forward(x, W, np.zeros(4))
dx, dW, db = linear_backward(np.ones((2, 4)), cache)
assert np.allclose(dx, [[0.6, 2.2, 3.8], [0.6, 2.2, 3.8]])
assert np.allclose(dW, [[3.0] * 4, [5.0] * 4, [7.0] * 4])
assert np.shape(db) == (4,) and np.allclose(db, 2.0)"""),
    "relu_backward": (1, """\
out, cache = relu_forward(np.array([-1.0, 0.0, 2.0]))
assert np.allclose(out, [0.0, 0.0, 2.0])
assert np.allclose(relu_backward(np.array([5.0, 5.0, 5.0]), cache), [0.0, 0.0, 5.0])"""),
    "softmax_loss": (2, """\
loss, dscores = softmax_loss(np.zeros((4, 3)), np.array([0, 1, 2, 0]))
assert np.isclose(loss, np.log(3))
assert np.allclose(dscores, (1 / 3 - np.eye(3)[[0, 1, 2, 0]]) / 4)"""),
    "count_params": (1, """\
assert count_params([784, 100, 10]) == 79510
assert count_params([784, 100, 10], bias=False) == 79400"""),
}


class AnchorUnavailable(RuntimeError):
    """An anchor could not be measured; the message says why."""


def _pinned(package: str) -> str:
    """`package==<version in this environment>`, so every kernel imports the same build; else unpinned."""
    try:
        return f"{package}=={version(package)}"
    except PackageNotFoundError:
        return package


def _run(command: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command with its own bin/ first on PATH (as if its venv were active); raise AnchorUnavailable
    with the most telling line of its output if it fails or hangs."""
    name = " ".join([Path(command[0]).name, *map(str, command[1:2])])
    env = {**os.environ, "PATH": f"{Path(command[0]).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    try:
        done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise AnchorUnavailable(f"{name} took more than {COMMAND_TIMEOUT} s") from None
    except OSError as error:
        raise AnchorUnavailable(f"{name}: {error.strerror}") from None
    if done.returncode != 0:
        lines = (done.stderr + done.stdout).strip().splitlines() or ["no output"]
        errors = [line.strip() for line in lines if re.search(r"\w(Error|Exception)\b", line)]
        raise AnchorUnavailable(f"{name} exited with {done.returncode}: {(errors or lines)[-1]}")
    return done


def ensure_venv(name: str, requirement: str, command: str) -> Path:
    """The bin/ folder of bench/.venvs/NAME holding `requirement`, numpy and ipykernel; installs it once
    (again if the venv is damaged: its `command` is missing)."""
    venv = VENVS / name
    requirements = [requirement, _pinned("numpy"), _pinned("ipykernel")]
    stamp = venv / "bench-requirements.txt"
    if stamp.is_file() and stamp.read_text().split() == requirements and (venv / "bin" / command).is_file():
        return venv / "bin"
    started = time.perf_counter()
    print(f"installing {' '.join(requirements)} into {venv} (once)", file=sys.stderr)
    _run([sys.executable, "-m", "venv", "--clear", venv])
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", *requirements])
    stamp.write_text("\n".join(requirements) + "\n")
    print(f"installed {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return venv / "bin"


def _function_cells() -> tuple[str, list[tuple[str, str]]]:
    """The reference solution as (header source, [(function name, cell source)]), the cells students get."""
    header, *functions = split_cells((ROOT / "reference" / f"{ASSIGNMENT}.py").read_text())
    return header, [(ast.parse(cell).body[0].name, cell) for cell in functions]


def _defined_names(source: str) -> list[str]:
    """Top-level function and class names a code cell defines (none for cells that are not plain Python)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


def _notebook(cells: list[NotebookNode]) -> NotebookNode:
    """A python3 notebook holding `cells`."""
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def time_nbclient(paths: list[Path]) -> float:
    """Seconds per submission to execute each notebook in a fresh python3 kernel (errors allowed)."""
    try:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
    except ImportError as error:
        raise AnchorUnavailable(f"{error} (pip install -e '.[test]')") from None
    total = 0.0
    for path in paths:
        started = time.perf_counter()
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, kernel_name="python3", allow_errors=True, timeout=600,
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute(stderr=subprocess.DEVNULL)  # the kernel's warnings, not the notebook's output
        except (CellTimeoutError, DeadKernelError, RuntimeError) as error:
            raise AnchorUnavailable(f"{path.name}: {error}") from None
        total += time.perf_counter() - started
    return total / len(paths)


def _otter_master() -> NotebookNode:
    """An otter-assign master notebook: the reference functions, a question with tests after five of them."""
    header, functions = _function_cells()
    cells = [nbformat.v4.new_raw_cell("# ASSIGNMENT CONFIG\nexport_cell: false\nstrip_solutions_from_all_cells: true"),
             nbformat.v4.new_markdown_cell(f"# {ASSIGNMENT}"), nbformat.v4.new_code_cell(header)]
    for name, source in functions:
        if name not in TESTS:
            cells.append(nbformat.v4.new_code_cell(source))
            continue
        points, test = TESTS[name]
        cells += [nbformat.v4.new_raw_cell(f"# BEGIN QUESTION\nname: {name}\npoints: {points}"),
                  nbformat.v4.new_markdown_cell(f"Implement `{name}`."),
                  nbformat.v4.new_raw_cell("# BEGIN SOLUTION"), nbformat.v4.new_code_cell(source),
                  nbformat.v4.new_raw_cell("# END SOLUTION"),
                  nbformat.v4.new_raw_cell("# BEGIN TESTS"), nbformat.v4.new_code_cell(test),
                  nbformat.v4.new_raw_cell("# END TESTS"), nbformat.v4.new_raw_cell("# END QUESTION")]
    return _notebook(cells)


def time_otter(paths: list[Path], workdir: Path) -> float:
    """Seconds per submission of `otter run` (a fresh process per submission, as otter runs it)."""
    bin_dir = ensure_venv("otter", OTTER, "otter")
    workdir.mkdir(parents=True, exist_ok=True)
    master = workdir / f"{ASSIGNMENT}.ipynb"
    nbformat.write(_otter_master(), master)
    _run([bin_dir / "otter", "assign", master.name, "dist"], cwd=workdir)
    zips = sorted((workdir / "dist" / "autograder").glob("*.zip"))
    if not zips:
        raise AnchorUnavailable("otter assign wrote no autograder zip")
    total = 0.0
    for path in paths:
        out = workdir / "results" / path.stem
        out.mkdir(parents=True)
        started = time.perf_counter()
        _run([bin_dir / "otter", "run", "--no-logo", "-a", zips[-1], "-o", out, path], cwd=workdir)
        total += time.perf_counter() - started
        if not (out / "results.json").is_file():
            raise AnchorUnavailable(f"otter run wrote no results.json for {path.name}")
    return total / len(paths)


def _nbgrader_source() -> NotebookNode:
    """The nbgrader source notebook: one solution cell per function, then the graded test cells."""
    header, functions = _function_cells()
    cells = [nbformat.v4.new_markdown_cell(f"# {ASSIGNMENT}"), nbformat.v4.new_code_cell(header)]
    for name, source in functions:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": name,
                                     "schema_version": 3}
        cells.append(cell)
    for name, (points, test) in TESTS.items():
        cell = nbformat.v4.new_code_cell(test)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                     "grade_id": f"test_{name}", "points": points, "schema_version": 3}
        cells.append(cell)
    return _notebook(cells)


def _nbgrader_submission(release: NotebookNode, submission: NotebookNode) -> NotebookNode:
    """The student's notebook, cells in their order, carrying the release's nbgrader metadata.

    The first cell defining a solution function becomes that solution cell; later redefinitions stay plain
    cells after it, so the student's code runs exactly as written. Missing solution cells come from the
    release, and the release's test cells go last.
    """
    solutions = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in release.cells
                 if cell.metadata.get("nbgrader", {}).get("solution")}
    cells = []
    for cell in copy.deepcopy(submission.cells):
        if cell.cell_type == "code":
            name = next((n for n in _defined_names(cell.source) if n in solutions), None)
            if name is not None:
                cell.metadata["nbgrader"] = copy.deepcopy(solutions.pop(name).metadata["nbgrader"])
        cells.append(cell)
    cells += [copy.deepcopy(cell) for cell in solutions.values()]
    cells += [copy.deepcopy(cell) for cell in release.cells if cell.metadata.get("nbgrader", {}).get("grade")]
    notebook = copy.deepcopy(submission)
    notebook.cells = cells
    return notebook


def time_nbgrader(paths: list[Path], workdir: Path) -> float:
    """Seconds per submission of one `nbgrader autograde` over all submissions, in a fresh course directory."""
    bin_dir = ensure_venv("nbgrader", NBGRADER, "nbgrader")
    workdir.mkdir(parents=True)
    (workdir / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'bench'\nc.CourseDirectory.root = {str(workdir)!r}\n")
    source = workdir / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source.parent.mkdir(parents=True)
    nbformat.write(_nbgrader_source(), source)
    _run([bin_dir / "nbgrader", "generate_assignment", ASSIGNMENT], cwd=workdir)
    release = nbformat.read(workdir / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for path in paths:
        submitted = workdir / "submitted" / path.stem / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        submitted.parent.mkdir(parents=True)
        nbformat.write(_nbgrader_submission(release, nbformat.read(path, as_version=4)), submitted)
    started = time.perf_counter()
    _run([bin_dir / "nbgrader", "autograde", ASSIGNMENT], cwd=workdir)
    elapsed = time.perf_counter() - started
    graded = list((workdir / "autograded").glob(f"*/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"))
    if len(graded) != len(paths):
        raise AnchorUnavailable(f"nbgrader autograded {len(graded)} of {len(paths)} submissions")
    return elapsed / len(paths)
