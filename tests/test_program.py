"""Which parts of a notebook run: definitions do, experiments don't, magics are harmless."""
from __future__ import annotations

from autograder.program import plan_program, strip_magics
from autograder.submission import Cell


def test_magics_and_shell_lines_become_no_ops():
    source = "%matplotlib inline\n!pip install torch\nfiles = !ls\nnp.sum?\nx = 1"
    assert strip_magics(source).splitlines()[-1] == "x = 1"
    assert all(line.lstrip().startswith("pass") for line in strip_magics(source).splitlines()[:4])
    assert strip_magics("%%time\nfor i in range(10): pass") == ""


def test_definitions_run_and_experiments_are_skipped():
    """Are loops, bare calls and __main__ blocks skipped, while defs, imports and assignments run?"""
    source = ("import numpy as np\nEPS = 1e-8\n@staticmethod\ndef f(x):\n    return x\n"
              "for epoch in range(1000):\n    train()\nplt.plot([1])\nwhile True:\n    pass\n"
              "if __name__ == '__main__':\n    main()\na = 1; b = 2\n")
    program = plan_program((Cell(1, source),))
    assert [s.source for s in program.statements] == [
        "import numpy as np", "EPS = 1e-8", "@staticmethod\ndef f(x):\n    return x", "a = 1", "b = 2"]
    assert [s.line for s in program.statements] == [1, 2, 3, 13, 13]


def test_a_cell_that_does_not_parse_is_reported_and_the_rest_kept():
    program = plan_program((Cell(1, "def f(:\n"), Cell(2, "def g():\n    return 1\n")))
    assert [s.cell for s in program.statements] == [2]
    assert program.problems and "cell 1 does not parse" in program.problems[0]


def test_local_checker_lines_are_not_graded_code():
    """Are the checker import, `check = Checker(...)` and `if check.ready(...)` blocks left out, defs kept?"""
    source = ("import numpy as np\nfrom autograder.local import Checker\ncheck = Checker('backprop', globals())\n"
              "ok = check.ready('f')\nif check.ready('f'):\n    train()\ndef f(x):\n    return check\n"
              "from autograder.training import rings_dataset\ndata = rings_dataset(0)\n")
    program = plan_program((Cell(1, source),))
    assert [s.source.split("\n")[0] for s in program.statements] == ["import numpy as np", "def f(x):"]
