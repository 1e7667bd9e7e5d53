"""Regenerate the example submissions under assignments/*/examples/ (they are committed; run after edits).

Each example is a real notebook as a student would hand it in: the reference (or a realistic bug) split into
cells, with the experiments students leave behind (magics, a training loop, prints).
"""
from __future__ import annotations

from pathlib import Path

from autograder.notebooks import notebook_from_source, write_notebook

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = [
    "%matplotlib inline\nimport numpy as np",
    "rng = np.random.default_rng(0)\nfor step in range(10**8):  # a training loop left in the notebook\n"
    "    pass",
    "print('done')",
]


def main() -> None:
    for assignment, bug in (("backprop", "linear_backward__db-averaged-not-summed"),
                            ("rnn", "rnn_backward__bptt-no-carry")):
        reference = (ROOT / "reference" / f"{assignment}.py").read_text()
        skeleton = (ROOT / "student_template" / f"{assignment}.py").read_text()
        mutant = (ROOT / "tests" / "mutants" / assignment / f"{bug}.py").read_text()
        out = ROOT / "assignments" / assignment / "examples"
        write_notebook(notebook_from_source(reference, EXPERIMENTS, assignment), out / "ada.ipynb")
        write_notebook(notebook_from_source(reference + "\n\n" + mutant, EXPERIMENTS, assignment), out / "ben.ipynb")
        write_notebook(notebook_from_source(skeleton, [], assignment), out / "cy.ipynb")
        (out / "dee.py").write_text(reference.replace('    """Affine layer', '    while True:\n        pass\n'
                                                      '    """Affine layer', 1)
                                    .replace('    """One tanh RNN step', '    while True:\n        pass\n'
                                             '    """One tanh RNN step', 1))


if __name__ == "__main__":
    main()
