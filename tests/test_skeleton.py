"""Student files are generated from one source, and no solution survives in them."""
from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from autograder.authoring.assign import SourceError, build_notebook, parse_source, write_student_files
from autograder.authoring.skeleton import RegionError, skeleton_module, strip_solutions
from autograder.course import registry
from autograder.sandbox import wire
from tests.conftest import ROOT

ASSIGNMENTS = sorted(registry.ASSIGNMENTS)  # every assignment folder found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_regenerating_gives_byte_identical_student_files(assignment, config, tmp_path):
    """Does `autograder assign` reproduce the committed notebook and skeleton exactly, and the checks file with
    the same cases, settings and points, and expected values equal up to rounding?

    The expected values are the reference's floats, whose last bits depend on the BLAS kernel of the machine
    that ran `assign`; the cases (their keys are digests of the seeded inputs) do not.
    """
    for generated in write_student_files(assignment, config, tmp_path):
        committed = ROOT / "student_template" / generated.name
        if generated.suffix != ".json":
            assert generated.read_bytes() == committed.read_bytes(), generated.name
            continue
        fresh, kept = json.loads(generated.read_text()), json.loads(committed.read_text())
        assert {k: v for k, v in fresh.items() if k != "expected"} == \
            {k: v for k, v in kept.items() if k != "expected"}
        assert list(fresh["expected"]) == list(kept["expected"])
        for key, value in fresh["expected"].items():
            _assert_close(wire.decode(value), wire.decode(kept["expected"][key]), key)


def _assert_close(fresh, kept, key: str) -> None:
    if isinstance(fresh, (tuple, list)):
        assert isinstance(kept, (tuple, list)) and len(fresh) == len(kept), key
        for a, b in zip(fresh, kept):
            _assert_close(a, b, key)
    elif isinstance(fresh, (np.ndarray, float, np.floating)):
        assert np.shape(fresh) == np.shape(kept), key
        assert np.allclose(fresh, kept, rtol=1e-12, atol=1e-12), key
    else:
        assert fresh == kept, key


def _solution_lines(assignment: str) -> list[str]:
    inside, lines = False, []
    for line in (ROOT / "reference" / f"{assignment}.py").read_text().splitlines():
        if "# END SOLUTION" in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
        elif "# BEGIN SOLUTION" in line:
            inside = True
    return lines


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_marker_and_no_solution_line_survives(assignment):
    """Is every line inside a solution region absent from every released file (notebook cells included)?"""
    solution = _solution_lines(assignment)
    assert solution
    notebook = nbformat.read(ROOT / "student_template" / f"{assignment}.ipynb", as_version=4)
    texts = {
        "py": (ROOT / "student_template" / f"{assignment}.py").read_text(),
        "ipynb": "\n".join(cell.source for cell in notebook.cells),
        "json": json.dumps(json.loads((ROOT / "student_template" / f"{assignment}.checks.json").read_text())),
    }
    for kind, text in texts.items():
        assert "SOLUTION" not in text, kind
        released = {line.strip() for line in text.splitlines()}
        assert not [line for line in solution if line in released], kind


def test_each_task_cell_is_a_stub_raising_with_its_task_id():
    notebook = nbformat.read(ROOT / "student_template" / "backprop.ipynb", as_version=4)
    tasks = [cell for cell in notebook.cells if "task" in cell.metadata]
    assert len(tasks) >= 12
    for cell in tasks:
        assert f'raise NotImplementedError("{cell.metadata["task"]}: ' in cell.source
        assert '"""' in cell.source  # the docstring with the shapes stays


def test_solution_notebook_fills_in_the_reference():
    notebook = build_notebook("backprop", ROOT, solutions=True)
    tasks = [cell for cell in notebook.cells if "task" in cell.metadata]
    assert tasks and not any("NotImplementedError" in cell.source for cell in tasks)


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n", "nested"),
    ("def f():\n    # BEGIN SOLUTION\n    x = 1\n", "never closed"),
    ("def f():\n    # BEGIN SOLUTION\n    x = 1\ndef g():\n    pass\n", "not closed"),
    ("def f():\n    x = 1\n    # END SOLUTION\n", "without BEGIN"),
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "outside a function"),
])
def test_malformed_regions_are_rejected(source, problem):
    """Are nested, unterminated or orphaned regions refused rather than half-stripped?"""
    with pytest.raises(RegionError, match=problem):
        strip_solutions(source)


def test_notebook_source_is_parsed_into_cells_and_rejects_an_open_block():
    cells = parse_source("# Title\n\n```python\nx = 1\n```\n\n<!-- task: f -->\nMore prose\n", "nb.md")
    assert cells == [("markdown", "# Title"), ("code", "x = 1"), ("task", "f"), ("markdown", "More prose")]
    with pytest.raises(SourceError, match="never closed"):
        parse_source("```python\nx = 1\n", "nb.md")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_skeleton_module_does_not_say_it_is_the_reference(assignment):
    """Does the student's .py open with a docstring about their own solutions, not "Reference solutions for"?"""
    skeleton = (ROOT / "student_template" / f"{assignment}.py").read_text()
    first = skeleton.splitlines()[0]
    assert first.startswith('"""Your solutions to ') and "Reference" not in first, first
    assert skeleton == skeleton_module((ROOT / "reference" / f"{assignment}.py").read_text())
