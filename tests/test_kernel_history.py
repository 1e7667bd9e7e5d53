"""A def cell that fails leaves an earlier version in the kernel: does `check(...)` say so, instead of passing on code
that is no longer in the notebook?"""
from __future__ import annotations

import linecache
import shutil

import nbformat
from nbclient import NotebookClient

from autograder.kernel_history import kernel_history
from autograder.local import Checker
from tests.conftest import ROOT

CHECKS_FILE = ROOT / "student_template" / "backprop.checks.json"
SETUP = 'from autograder.local import Checker\n\ncheck = Checker("backprop", globals())'
RIGHT = "def linear_forward(x, W, b):\n    out = x @ W + b\n    return out, (x, W)"
BROKEN = "def linear_forward(x, W, b):\n    out = x @ W + b\n    return out (x, W"  # an unclosed bracket: no run
BROKEN_RELU = "def relu_forward(x):\n    return np.maximum(0, x) +* 1, x"  # never defined before


def _kernel(cells: list[str], run: list[int]) -> dict:
    """A namespace as IPython leaves it: `In` holds every cell it was given, and the cells in `run` (those that
    parse) ran, their source in linecache under the file name their functions carry."""
    namespace: dict = {"In": [""] + cells}
    for number in run:
        source, filename = cells[number - 1], f"/tmp/ipykernel_0/cell{number}.py"
        linecache.cache[filename] = (len(source), None, [line + "\n" for line in source.splitlines()], filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_a_def_cell_with_a_syntax_error_says_the_kernel_holds_the_earlier_version():
    """Is the note there, naming both cells and the syntax error's line, while the checks run on the earlier
    version? And without the broken cell, or outside IPython, is there no note at all?"""
    report = Checker("backprop", _kernel([RIGHT, BROKEN], run=[1]), CHECKS_FILE)("linear_forward")
    assert report.result.notes == [
        "linear_forward in your kernel is an earlier version (from the cell run as [1]), and these checks ran on it: "
        "the cell that defines it now (run as [2]) has a syntax error (line 3: '(' was never closed) and did not "
        "run. Fix that cell and run it, then check again."]
    text = str(report)
    assert text.index("note: linear_forward in your kernel is an earlier version") < text.index("[PASS]")
    assert "earlier version" in report._repr_html_()
    assert Checker("backprop", _kernel([RIGHT], run=[1]), CHECKS_FILE)("linear_forward").result.notes == []
    plain = _kernel([RIGHT, BROKEN], run=[1])
    del plain["In"]
    assert Checker("backprop", plain, CHECKS_FILE)("linear_forward").result.notes == []


def test_a_backward_and_check_of_everything_say_it_of_the_forward_they_call():
    """linear_backward's checks call linear_forward, and check() calls every function: is the note there too?"""
    backward = "def linear_backward(dout, cache):\n    x, W = cache\n    return dout @ W.T, x.T @ dout, dout.sum(0)"
    check = Checker("backprop", _kernel([RIGHT, backward, BROKEN], run=[1, 2]), CHECKS_FILE)
    assert check("linear_backward").passed and "[1]" in check("linear_backward").result.notes[0]
    assert len(check().result.notes) == 1 and check("relu_forward").result.notes == []


def test_a_def_cell_that_stopped_before_its_def_ran_says_so():
    """A later cell that parses but raised before its def: does the note say it stopped, not a syntax error?"""
    stopped = "import nothing_of_that_name\n" + RIGHT.replace("x @ W", "W @ x")
    notes = Checker("backprop", _kernel([RIGHT, stopped], run=[1]), CHECKS_FILE)("linear_forward").result.notes
    assert len(notes) == 1 and "(run as [2]) stopped with an error before its def ran" in notes[0]


def test_a_function_whose_only_cell_does_not_parse_is_not_graded_with_the_line_to_fix():
    """Never defined because its only cell does not parse: does the check name that cell and line, as grading
    does, rather than say no such function was written?"""
    report = Checker("backprop", _kernel([BROKEN_RELU], run=[]), CHECKS_FILE)("relu_forward")
    assert "relu_forward does not parse (the cell run as [1], line 2: invalid syntax); fix that line" in str(report)
    assert report.result.notes == []


def test_the_history_never_raises_on_a_strange_namespace():
    """`In` rebound by the student, a function with no source, a callable object: is the answer just no note?"""
    for namespace in ({"In": "not a list"}, {"In": [None, 3]}, {"In": ["", RIGHT], "linear_forward": print},
                      {"In": ["", RIGHT], "linear_forward": lambda *a: 0}, {"In": ["", RIGHT], "linear_forward": 3}):
        history = kernel_history(namespace, ["linear_forward"])
        assert history.notes == [] and history.lost == {}


def _run_in_jupyter(cells: list[str], folder) -> list[str]:
    """Each cell's output text, from a real python3 kernel that carries on past a cell's error, as Jupyter does."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    texts = []
    for cell in notebook.cells:
        texts.append("\n".join(o.get("text", "") + o.get("data", {}).get("text/html", "") + o.get("ename", "")
                               for o in cell.outputs))
    return texts


def test_in_jupyter_a_def_cell_that_failed_to_parse_is_named_in_the_report(tmp_path):
    """In a real kernel: linear_forward run right, then a cell that redefines it with a syntax error, then
    check(...): does the report say the kernel holds the earlier version, while a notebook without the broken
    cell has no such note?"""
    shutil.copy(CHECKS_FILE, tmp_path)
    setup = "import numpy as np\n" + SETUP
    broken = _run_in_jupyter([setup, RIGHT, BROKEN, 'print(check("linear_forward"))', 'check("linear_forward")',
                              BROKEN_RELU, 'print(check("relu_forward"))'], tmp_path)
    assert "SyntaxError" in broken[2]
    assert "note: linear_forward in your kernel is an earlier version (from the cell run as [2]), and these checks " \
           "ran on it: the cell that defines it now (run as [3]) has a syntax error (line 3: '(' was never closed) " \
           "and did not run. Fix that cell and run it, then check again." in broken[3]
    assert "[PASS] linear_forward" in broken[3] and "earlier version" in broken[4]  # the HTML view says it too
    assert "relu_forward does not parse (the cell run as [6], line 2: invalid syntax)" in broken[6]
    control = _run_in_jupyter([setup, RIGHT, 'print(check("linear_forward"))'], tmp_path)
    assert "[PASS] linear_forward" in control[2] and "note:" not in control[2]
