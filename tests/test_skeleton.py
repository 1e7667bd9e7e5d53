"""Student skeletons are generated from the reference, and no solution survives in them."""
from __future__ import annotations

import pytest

from autograder.skeleton import RegionError, strip_solutions, write_skeletons
from tests.conftest import ROOT


def test_committed_skeletons_are_exactly_what_generation_gives(tmp_path):
    """Does regenerating give byte-identical files to the committed student_template/?"""
    for generated in write_skeletons(ROOT / "reference", tmp_path):
        assert generated.read_bytes() == (ROOT / "student_template" / generated.name).read_bytes()


def test_no_marker_and_no_solution_line_survives():
    """Is every line inside a solution region absent from the released skeletons?"""
    for reference in sorted((ROOT / "reference").glob("*.py")):
        skeleton = (ROOT / "student_template" / reference.name).read_text()
        assert "SOLUTION" not in skeleton
        inside, solution_lines = False, []
        for line in reference.read_text().splitlines():
            if "# END SOLUTION" in line:
                inside = False
            elif inside and line.strip():
                solution_lines.append(line.strip())
            elif "# BEGIN SOLUTION" in line:
                inside = True
        assert solution_lines
        skeleton_lines = {line.strip() for line in skeleton.splitlines()}
        assert not [line for line in solution_lines if line in skeleton_lines]


def test_each_stub_raises_with_its_task_id():
    skeleton = (ROOT / "student_template" / "backprop.py").read_text()
    assert 'raise NotImplementedError("linear_backward: ' in skeleton


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
