"""Which parts of a notebook run: definitions do, experiments don't unless graded code needs them, magics are
harmless, and a line that does not parse costs only the definition it is in."""
from __future__ import annotations

import json
import re
import time

import pytest

from autograder.authoring.notebooks import notebook_from_source, write_notebook
from autograder.batch.run import grade_batch
from autograder.course.registry import ASSIGNMENTS
from autograder.grading import grade_submission
from autograder.intake.submission import Cell, load_submission
from autograder.report import write_reports
from autograder.results import Outcome
from autograder.sandbox.program import plan_program, strip_magics
from tests.conftest import ROOT, reference_source, write_submission


def test_magics_and_shell_lines_become_no_ops():
    source = "%matplotlib inline\n!pip install torch\nfiles = !ls\nnp.sum?\nx = 1"
    assert strip_magics(source).splitlines()[-1] == "x = 1"
    assert all(line.lstrip().startswith("pass") for line in strip_magics(source).splitlines()[:4])
    assert strip_magics("%%time\nfor i in range(10): pass") == ""
    assert strip_magics("    a, b[0] = %who\n\tx = !ls") == "    pass #who\n\tpass #ls"
    assert strip_magics("x = 5 % 3\na != b") == "x = 5 % 3\na != b"


def test_a_line_of_many_spaces_is_read_in_linear_time():
    """The magics' pattern once split a line's leading spaces in every possible way: 16 000 spaces took 2 s
    and a megabyte of them would have held the grader for hours (its own time, which no worker limit bounds).
    A megabyte now takes milliseconds; the bound below is a thousand times that, far from flaky and far below
    what the quadratic pattern needed."""
    started = time.process_time()
    assert strip_magics(" " * 1_000_000 + "x") == " " * 1_000_000 + "x"
    assert time.process_time() - started < 5


def test_the_plan_keeps_each_top_level_def_and_class_as_written():
    """For code.json: is every top-level def and class kept with its cell, first line (its decorator's) and text
    as written (a magic inside it included), and nothing else, however the cells parse?"""
    cells = (Cell(1, "import numpy as np\nfor i in range(3):\n    pass"),
             Cell(2, "x = 1\n\n@staticmethod\ndef f(a):\n    %time a\n    return a  # done\nclass K: pass"),
             Cell(3, "def broken(:\n    pass\n\ndef g():\n    return 2"))
    program = plan_program(cells, ["f"])
    assert [(d.name, d.cell, d.line, d.script, d.source) for d in program.definitions] == [
        ("f", 2, 3, False, "@staticmethod\ndef f(a):\n    %time a\n    return a  # done"),
        ("K", 2, 7, False, "class K: pass"),
        ("g", 3, 4, False, "def g():\n    return 2")]


def test_a_notebook_outside_the_schema_is_read_without_an_error_in_the_log(tmp_path, caplog):
    """A cell with a key nbformat's schema does not know (an old extension's) is read like any other, and the
    batch log gets no 'Notebook JSON is invalid' line per such submission (nbformat.reads logged one)."""
    notebook = notebook_from_source("def f(x):\n    return x", [], "backprop")
    notebook.cells[-1]["made_up_key"] = 1
    path = write_notebook(notebook, tmp_path / "odd.ipynb")
    caplog.clear()  # writing it logged one
    with caplog.at_level("DEBUG"):
        cells = load_submission(path).cells
    assert any("def f(x)" in cell.source for cell in cells)
    assert not [r for r in caplog.records if "invalid" in r.getMessage()], caplog.records


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
              "from autograder.course.training import rings_dataset\ndata = rings_dataset(0)\n")
    program = plan_program((Cell(1, source),))
    assert [s.source.split("\n")[0] for s in program.statements] == ["import numpy as np", "def f(x):"]


# Top-level code that the graded functions need (issue 10, part 4)

TABLE_FILLED_AT_TOP_LEVEL = '''
COUNTERS = []
COUNTERS.append(lambda d_in, d_out: d_in * d_out)
COUNTERS.append(lambda d_in, d_out: d_out)
RULES = {}
for index, name in enumerate(("weights", "biases")):
    RULES[name] = COUNTERS[index]


def count_params(layer_dims, bias=True):
    parts = ("weights", "biases") if bias else ("weights",)
    return sum(RULES[p](a, b) for a, b in zip(layer_dims, layer_dims[1:]) for p in parts)
'''


def test_top_level_code_that_fills_a_table_a_graded_function_reads_runs():
    """Do the `.append` calls and the loop that fill count_params's table run, while a training loop, a print
    and a seed on an imported module stay skipped?"""
    source = ("import numpy as np\n" + TABLE_FILLED_AT_TOP_LEVEL + "np.random.seed(0)\n"
              "for epoch in range(1000):\n    x = count_params([2, 3])\nprint(count_params([2, 3]))\n")
    program = plan_program((Cell(1, source, script=True),), ["count_params", "linear_forward"])
    firsts = [s.source.splitlines()[0] for s in program.statements]
    assert firsts == ["import numpy as np", "COUNTERS = []", "COUNTERS.append(lambda d_in, d_out: d_in * d_out)",
                      "COUNTERS.append(lambda d_in, d_out: d_out)", "RULES = {}",
                      'for index, name in enumerate(("weights", "biases")):',
                      "def count_params(layer_dims, bias=True):"]
    assert program.problems == ()
    assert [s.source.splitlines()[0] for s in plan_program((Cell(1, source),)).statements] == [
        "import numpy as np", "COUNTERS = []", "RULES = {}", "def count_params(layer_dims, bias=True):"]


def test_needed_names_are_followed_through_functions_and_calls():
    """Is a table needed through a helper function, filled by a call to a function that fills a global, kept;
    and do a graded function's own parameters and locals never make a loop that binds the same names run?"""
    source = ("TABLE = {}\ndef fill():\n    for k in range(3):\n        TABLE[k] = k * k\nfill()\n"
              "def square(k):\n    return TABLE[k]\ndef graded(x):\n    total = square(x)\n    return total\n"
              "for x in range(10 ** 9):\n    total = x\n")
    program = plan_program((Cell(1, source),), ["graded"])
    assert [s.source.splitlines()[0] for s in program.statements] == [
        "TABLE = {}", "def fill():", "fill()", "def square(k):", "def graded(x):"]


def test_call_effects_through_a_long_chain_of_functions_are_found_in_linear_rounds():
    """What calling a function writes is followed through every function it calls: asking every function again
    until nothing grew took a round per link, cubic in a chain's length when each link writes a global of its
    own (2000 links held the grader 40 s; the 5 MB cap allows tens of thousands). The chain's end fills the
    table the graded function reads, so the top-level call at its start must run, and a call outside the
    chain need not."""
    links = 2000
    chain = "".join(f"def f{i}():\n    global g{i}\n    g{i} = 1\n    return f{i + 1}()\n" for i in range(links))
    end = f"def f{links}():\n    TABLE['k'] = 1\n"
    cells = (Cell(1, "TABLE = {}\n"), Cell(2, chain + end), Cell(3, "f0()\n"), Cell(4, "print(1)\n"),
             Cell(5, "def graded():\n    return TABLE['k']\n"))
    started = time.process_time()
    program = plan_program(cells, ["graded"])
    assert time.process_time() - started < 15  # the old rounds needed 40 s here, this 0.3
    assert [s.cell for s in program.statements].count(3) == 1 and 4 not in [s.cell for s in program.statements]


def test_needed_names_through_a_long_chain_of_experiments_are_found_in_linear_time():
    """Experiments that each fill what the line above reads, written bottom-up: scanning every statement again
    until nothing grew learnt one link a round, quadratic in the chain (12 000 lines: ~18 s of the grader's time
    before any student code ran). Every link is needed by the graded function, so every line runs."""
    links = 12_000
    cells = (Cell(1, "".join(f"t{i}.append(t{i + 1})\n" for i in reversed(range(links)))),
             Cell(2, "def graded():\n    return t0\n"))
    started = time.process_time()
    program = plan_program(cells, ["graded"])
    assert time.process_time() - started < 8
    assert len(program.statements) == links + 1


def test_a_main_guard_that_sets_a_needed_name_stays_skipped_and_is_noted():
    """Does a `__main__` block that sets a name a graded function reads stay skipped, with a note naming the
    line, the name and the function (and "line" alone for a .py, "cell N, line M" in a notebook)?"""
    source = ("def glorot_scale(d_in, d_out):\n    return SCALE / (d_in + d_out)\n"
              "if __name__ == '__main__':\n    print('hello')\n    SCALE = 2.0\n")
    script = plan_program((Cell(1, source, script=True),), ["glorot_scale"])
    assert [s.line for s in script.statements] == [1]
    assert script.problems == ('line 5 sets SCALE, which glorot_scale needs, but was not run: it is inside '
                               '`if __name__ == "__main__":`, which does not run when graded; move it out of '
                               'that block',)
    notebook = plan_program((Cell(3, source),), ["glorot_scale"])
    assert notebook.problems[0].startswith("cell 3, line 5 sets SCALE")
    assert plan_program((Cell(1, source),)).problems == ()  # nothing graded, nothing needed


def test_a_cell_two_notebooks_share_is_planned_by_the_cells_above_it_in_each():
    """Is a cell shared by two notebooks (analysed once, then reused) planned by what comes before it in each:
    checker code after the checker's import, graded code without it; a method call that fills a table unless the
    name is an imported module?"""
    shared = Cell(2, "RATES = check.rates()\nTABLE.append(RATES)\n")
    reader = Cell(3, "def rate(i):\n    return TABLE[i] * RATES\n")
    with_checker = (Cell(1, "from autograder.local import check\nTABLE = []\n"), shared, reader)
    with_module = (Cell(1, "import numpy as TABLE\ncheck = None\n"), shared, reader)
    plans = plan_program(with_checker, ["rate"]), plan_program(with_module, ["rate"])
    assert [s.source for s in plans[0].statements] == ["TABLE = []", reader.source.strip()]
    assert [p.split(" sets ")[0] for p in plans[0].problems] == ["cell 2, line 1", "cell 2, line 2"]
    assert [s.source for s in plans[1].statements] == [
        "import numpy as TABLE", "check = None", "RATES = check.rates()", reader.source.strip()]
    assert plans[1].problems == ()
    assert (plan_program(with_module, ["rate"]), plan_program(with_checker, ["rate"])) == plans[::-1]


@pytest.mark.parametrize("name", ["backprop.ipynb", "backprop.py", "rnn.ipynb"])
def test_the_untouched_template_runs_no_experiment_and_gets_no_note(name):
    """Do a stub's unreachable lines (`return out, cache` after `raise NotImplementedError`) read nothing, so the
    template's checker cells that set `cache` or `dW` are neither run nor noted?"""
    cells = load_submission(ROOT / "student_template" / name).cells
    graded = ASSIGNMENTS[name.split(".")[0]].function_names()
    assert plan_program(cells, graded) == plan_program(cells)
    assert plan_program(cells, graded).problems == ()


@pytest.mark.parametrize("notebook", [False, True], ids=["py", "ipynb"])
def test_a_count_params_reading_a_table_filled_at_top_level_gets_full_marks(tmp_path, config, notebook):
    """Does count_params that reads a table filled by top-level `.append` calls and a loop get full marks, as
    it works in Python (it scored 0 with an IndexError before)?"""
    source = reference_source("backprop") + "\n\n" + TABLE_FILLED_AT_TOP_LEVEL
    path = write_submission(tmp_path, "table", source, notebook=notebook)
    result = grade_submission(path, "backprop", config)
    assert result.score == result.max_score, [c.feedback for c in result.checks if c.score < c.max_score]


# Files that do not parse (issue 10, part 5)

PYTHON2_HELPER = 'def show_shapes(*arrays):\n    for a in arrays:\n        print "shape", a.shape\n'


def test_top_level_definitions_around_a_line_that_does_not_parse_are_recovered():
    """Are the definitions before and after a Python 2 helper kept, with their own line numbers, and is the
    helper reported with its line and named as lost?"""
    source = ("import numpy as np\n\n" + PYTHON2_HELPER + "\n@staticmethod\ndef f(x):\n    return x\n"
              'DOC = """\nin column 0\n"""\nX = np.array([\n1,\n])\n')
    program = plan_program((Cell(1, source, script=True),))
    assert [(s.line, s.source.splitlines()[0]) for s in program.statements] == [
        (1, "import numpy as np"), (7, "@staticmethod"), (10, 'DOC = """'), (13, "X = np.array([")]
    assert program.problems == ("line 5 does not parse (a Python 2 print statement; use print(...)); lines 3-5 "
                                "(show_shapes) were skipped, the rest of the file ran",)
    assert program.lost == {"show_shapes": "line 5: a Python 2 print statement; use print(...)"}


@pytest.mark.parametrize("line, advice", [
    ('    print "x", x', "a Python 2 print statement; use print(...)"),
    ('    exec "y = 1"', "a Python 2 exec statement; use exec(...)"),
    ("    return 0777", "a Python 2 octal literal 0777; write 0o777"),
    ("    return `x`", "Python 2 backticks; use repr(...)"),
    ("    return x <> 1", "Python 2's `<>`; use `!=`"),
    ('    raise ValueError, "bad"', "Python 2's `raise E, message`; use `raise E(message)`"),
    ("\treturn x", "tabs and spaces mixed in the indentation; indent with spaces only"),
])
def test_python2_syntax_is_explained_in_plain_words(line, advice):
    source = f"def helper(x):\n    y = 1\n{line}\n\ndef kept():\n    return 1\n"
    program = plan_program((Cell(1, source, script=True),))
    assert [s.source.splitlines()[0] for s in program.statements] == ["def kept():"]
    assert program.lost == {"helper": f"line 3: {advice}"}


def test_python2_except_clause_is_explained():
    source = "try:\n    import foo\nexcept ImportError, error:\n    foo = None\n"
    assert plan_program((Cell(1, source, script=True),)).problems[0].startswith(
        "line 3 does not parse (Python 2's `except E, e:`; use `except E as e:`)")


def test_a_python2_print_in_an_ungraded_helper_costs_nothing(tmp_path, config):
    """Does a .py whose only Python 2 line is in a helper get full marks, with a note that says "line N" and
    no "cell"?"""
    path = write_submission(tmp_path, "py2", reference_source("backprop") + "\n\n" + PYTHON2_HELPER)
    result = grade_submission(path, "backprop", config)
    assert result.score == result.max_score
    line = len(reference_source("backprop").splitlines()) + 5
    assert result.notes == [f"line {line} does not parse (a Python 2 print statement; use print(...)); lines "
                            f"{line - 2}-{line} (show_shapes) were skipped, the rest of the file ran"]


@pytest.mark.parametrize("dead", ["x = " + "lambda: " * 500 + "1", "x = " + "[" * 199 + "1" + "]" * 199],
                         ids=["lambdas", "lists"])
def test_a_statement_too_deep_to_analyse_after_a_return_costs_only_itself(tmp_path, config, dead):
    """Lines after a return are left out of the analysis on a copy of the statement; a hostile helper whose
    dead lines nest too deep to copy or unparse used to raise RecursionError out of the planner, an internal
    error that scored the whole submission 0. Does it now grade every task in full?"""
    helper = f"def helper():\n    return 1\n    {dead}\n"
    program = plan_program((Cell(1, helper),), ["helper"])
    assert [s.source.splitlines()[0] for s in program.statements] == ["def helper():"]
    path = write_submission(tmp_path, "deep", reference_source("backprop") + "\n\n" + helper)
    result = grade_submission(path, "backprop", config)
    assert result.error is None and result.score == result.max_score


def test_a_graded_function_lost_to_a_syntax_error_fails_and_says_why(tmp_path, config):
    """Is linear_forward with a Python 2 print FAILED with the line and the advice (not "not attempted"), the
    net built from it likewise, and every other task graded in full?"""
    source = reference_source("backprop").replace("    out = x @ W + b\n", '    print "forward"\n    out = x @ W + b\n')
    line = source.splitlines().index('    print "forward"') + 1
    result = grade_submission(write_submission(tmp_path, "py2", source), "backprop", config)
    why = f"line {line}: a Python 2 print statement; use print(...)"
    forward = [c for c in result.checks if c.task == "linear_forward"]
    assert {(c.outcome, c.score, c.feedback) for c in forward} == {
        (Outcome.FAILED, 0.0, f"Not graded: linear_forward does not parse ({why}); fix that line")}
    net = [c for c in result.checks if c.task == "two_layer_net"]
    assert [(c.outcome, c.feedback) for c in net] == [
        (Outcome.FAILED, f"Not trained: it needs linear_forward, which does not parse ({why}); fix that line")]
    outcomes = result.task_outcomes()
    assert {t for t, o in outcomes.items() if o is not Outcome.PASSED} == {"linear_forward", "linear_backward",
                                                                          "two_layer_net"}
    assert Outcome.NOT_ATTEMPTED not in outcomes.values()


def test_a_notebook_cell_that_does_not_parse_keeps_its_other_definitions(tmp_path, config):
    """In a notebook, does a cell holding a Python 2 helper and relu_forward still grade relu_forward, with a
    note in "cell N ... line M" words?"""
    reference = reference_source("backprop")
    notebook = notebook_from_source(reference, extra_cells=[
        PYTHON2_HELPER + "\n\ndef relu_forward(x):\n    return np.maximum(x, 0), x\n"])
    cell = len(notebook.cells)
    result = grade_submission(write_notebook(notebook, tmp_path / "nb.ipynb"), "backprop", config)
    assert result.score == result.max_score
    assert result.notes == [f"cell {cell} does not parse (line 3: a Python 2 print statement; use print(...)); "
                            "lines 1-3 (show_shapes) were skipped, the rest of the cell ran"]


def test_syntax_errors_are_counted_in_summary_json_and_shown_in_the_class_summary(tmp_path, config):
    """Does summary.json count a submission with lines that do not parse under failures, and does the class
    summary show it, with the task the syntax error cost?"""
    folder = tmp_path / "submissions"
    folder.mkdir()
    source = reference_source("backprop")
    write_submission(folder, "ok", source)
    broken = source.replace("    out = x @ W + b\n", '    print x\n    out = x @ W + b\n')
    write_submission(folder, "py2", broken)
    line = broken.splitlines().index("    print x") + 1
    grade_batch([folder], assignment="backprop", out_dir=tmp_path / "out", config=config, jobs=1)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["failures"]["runtime"] == {"syntax error": 1}
    write_reports(tmp_path / "out")
    html = (tmp_path / "out" / "summary.html").read_text()
    assert "Syntax errors<b>1</b>" in html
    assert re.search(r'<tr data-kind="syntax error">\s*<td><a href="py2/feedback.html">py2</a></td>.*?'
                     rf"line {line} does not parse .*?; not graded: linear_forward, linear_backward, two_layer_net</td>", html, re.S)
