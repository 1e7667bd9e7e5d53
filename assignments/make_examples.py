"""Regenerate the example submissions under assignments/*/examples/ (they are committed; run after edits).

Each example is what a student would hand in, made from the real assignment notebook: a finished one, one
with a realistic bug in one task, the untouched one, and a .py whose first layer loops forever.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.authoring.assign import build_notebook

ROOT = Path(__file__).resolve().parent.parent
BUGS = {"backprop": ("linear_backward", "linear_backward__db-averaged-not-summed"),
        "rnn": ("rnn_backward", "rnn_backward__bptt-no-carry"),
        "conv1d": ("conv1d_backward", "conv1d_backward__db-averaged")}
HANGS = {"backprop": '    """Affine layer', "rnn": '    """One tanh RNN step', "conv1d": '    """1D convolution with'}


def main() -> None:
    for assignment, (task, bug) in BUGS.items():
        out = ROOT / "assignments" / assignment / "examples"
        out.mkdir(parents=True, exist_ok=True)
        finished = build_notebook(assignment, ROOT, solutions=True)
        nbformat.write(finished, str(out / "ada.ipynb"))
        buggy = build_notebook(assignment, ROOT, solutions=True)
        mutant = (ROOT / "tests" / "mutants" / assignment / f"{bug}.py").read_text()
        cell = next(c for c in buggy.cells if c.metadata.get("task") == task)
        cell.source = mutant.split('"""', 2)[2].strip("\n")  # the buggy function, without the label docstring
        nbformat.write(buggy, str(out / "ben.ipynb"))
        nbformat.write(nbformat.read(ROOT / "student_template" / f"{assignment}.ipynb", as_version=4),
                       str(out / "cy.ipynb"))
        reference = (ROOT / "reference" / f"{assignment}.py").read_text()
        hang = HANGS[assignment]
        (out / "dee.py").write_text(reference.replace(hang, "    while True:\n        pass\n" + hang, 1))


if __name__ == "__main__":
    main()
