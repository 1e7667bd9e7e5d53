"""Assignments are folders: the package knows none of them, finds every folder of assignments/ with a spec.py
(and those named by AUTOGRADER_ASSIGNMENTS), and grades one it has never seen with no change of its own."""
from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.registry import ASSIGNMENTS, EXTRA_ENV, UnknownAssignment, assignment_folders
from autograder.course.tasks import TrainTask
from tests.conftest import ROOT

PACKAGE = ROOT / "autograder"


def test_every_folder_with_a_spec_is_an_assignment() -> None:
    folders = {folder.name for folder in assignment_folders()}
    assert {"backprop", "rnn"} <= folders
    assert set(ASSIGNMENTS) == folders  # each spec names its assignment after its folder
    for name, assignment in ASSIGNMENTS.items():
        assert assignment.name == name and assignment.tasks
        assert (ROOT / "assignments" / name / "notebook.md").is_file()
        assert (ROOT / "reference" / f"{name}.py").is_file()


def test_a_wrong_name_lists_the_assignments() -> None:
    with pytest.raises(UnknownAssignment, match="no assignment named 'backprob'; the assignments are: backprop"):
        ASSIGNMENTS["backprob"]
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(ROOT), "-a", "backprob", "--out",
                          "/nonexistent"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode != 0
    assert "backprob" in run.stderr and "backprop" in run.stderr and "rnn" in run.stderr


def _assignment_words() -> set[str]:
    """Every assignment's name, task ids, function names and the names of its trainers."""
    words: set[str] = set()
    for name, assignment in ASSIGNMENTS.items():
        words.add(name)
        words.update(assignment.function_names())
        words.update(task.name for task in assignment.tasks)
        words.update(task.trainer.__name__ for task in assignment.tasks if isinstance(task, TrainTask))
    return words


def test_no_module_of_the_package_names_an_assignment() -> None:
    """The package is the harness: no line of its code (docstrings and comments aside) names an assignment,
    one of its tasks or functions, or its trainer."""
    words = _assignment_words()
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b")
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(_code_lines(path.read_text()), 1):
            if line and pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def _code_lines(source: str) -> list[str]:
    """The source's lines with comments and string literals (docstrings, messages) blanked out."""
    import io
    import tokenize
    lines = source.splitlines()
    blank = [list(line) for line in lines]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.STRING) or \
                getattr(tokenize, "FSTRING_MIDDLE", None) == token.type:
            (row, col), (end_row, end_col) = token.start, token.end
            for r in range(row, end_row + 1):
                start = col if r == row else 0
                stop = end_col if r == end_row else len(blank[r - 1])
                blank[r - 1][start:stop] = " " * (stop - start)
    return ["".join(chars) for chars in blank]


# A fourth assignment, written in a temporary folder only: a forward task and its backward, and a forward that
# updates one of its inputs in place, as a batch norm layer updates its running mean.
TINY_SPEC = '''
"""A tiny assignment: scale each feature by its own weight."""
from autograder.course.tasks import Arg, Assignment, BackwardTask, ForwardTask

ASSIGNMENT = Assignment(
    name="tiny",
    letters=("N", "D"),
    tasks=(
        ForwardTask("scale_forward", (Arg("x", ("N", "D")), Arg("w", ("D",))), ("N", "D")),
        BackwardTask("scale_backward", "scale_forward", "dout"),
        ForwardTask("center_forward", (Arg("x", ("N", "D")), Arg("running_mean", ("D",), updated=True)),
                    ("N", "D")),
    ),
)
'''
TINY_REFERENCE = '''
import numpy as np


def scale_forward(x, w):
    # BEGIN SOLUTION
    out = x * w
    cache = (x, w)
    # END SOLUTION
    return out, cache


def scale_backward(dout, cache):
    # BEGIN SOLUTION
    x, w = cache
    dx = dout * w
    dw = (dout * x).sum(axis=0)
    # END SOLUTION
    return dx, dw


def center_forward(x, running_mean):
    # BEGIN SOLUTION
    mean = x.mean(axis=0)
    running_mean *= 0.9
    running_mean += 0.1 * mean
    out = x - mean
    cache = None
    # END SOLUTION
    return out, cache
'''
TINY_BUG = TINY_REFERENCE.replace("dw = (dout * x).sum(axis=0)", "dw = (dout * x).mean(axis=0)").replace(
    "running_mean *= 0.9", "running_mean = running_mean * 0.9")  # updates a copy: the caller's mean stays
TINY_POINTS = '''
[assignments.tiny]
reference = "{reference}"

[assignments.tiny.points]
scale_forward = {{ structure = 1, values = 2, inputs_unchanged = 1 }}
scale_backward = {{ structure = 1, values = 2, gradcheck = 1, inputs_unchanged = 1 }}
center_forward = {{ structure = 1, values = 2, inputs_unchanged = 1 }}
'''


@pytest.mark.slow
def test_a_fourth_assignment_in_a_folder_of_its_own_is_graded(tmp_path: Path) -> None:
    """Nothing of the package changes: a spec in a folder named by AUTOGRADER_ASSIGNMENTS, its reference and its
    points in a grader.toml of the course's own, and `autograder grade -a tiny` grades a class of it."""
    (tmp_path / "assignments" / "tiny").mkdir(parents=True)
    (tmp_path / "assignments" / "tiny" / "spec.py").write_text(TINY_SPEC)
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "tiny.py").write_text(TINY_REFERENCE)
    config = tmp_path / "grader.toml"
    base = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    config.write_text(base + TINY_POINTS.format(reference=tmp_path / "reference" / "tiny.py"))
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "right.py").write_text(TINY_REFERENCE)
    (klass / "mean.py").write_text(TINY_BUG)
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{EXTRA_ENV: str(tmp_path / "assignments")})
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(klass), "-a", "tiny", "--out",
                          str(tmp_path / "out"), "--config", str(config), "--no-report", "-j", "1"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = {row["id"]: row for row in csv.DictReader((tmp_path / "out" / "gradebook.csv").open())}
    assert float(rows["right"]["total"]) == float(rows["right"]["max"]) == 13.0  # updating running_mean is right
    assert float(rows["mean"]["scale_forward"]) == 4.0 and float(rows["mean"]["scale_backward"]) < 5.0
    assert float(rows["mean"]["center_forward"]) < 4.0
    results = json.loads((tmp_path / "out" / "mean" / "results.json").read_text())
    feedback = {t["name"]: t["output"] for t in results["tests"]}
    assert "dw" in feedback["scale_backward / values"]
    assert "running_mean" in feedback["center_forward / values"]
    # The assignment's folder is part of the grader: a rerun after its spec changed grades again.
    before = json.loads((tmp_path / "out" / "right" / "grade.json").read_text())["fingerprint"]
    (tmp_path / "assignments" / "tiny" / "spec.py").write_text(TINY_SPEC.replace("scale each feature",
                                                                                  "scale every feature"))
    again = subprocess.run(run.args, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads((tmp_path / "out" / "right" / "grade.json").read_text())["fingerprint"] != before
    assert results["tests"][-1]["name"] == "center_forward / inputs_unchanged" and \
        results["tests"][-1]["score"] == results["tests"][-1]["max_score"]
