"""The two invariants that hold forever: the reference earns full marks, the untouched skeleton earns zero."""
from __future__ import annotations

import pytest

from autograder.course import registry
from autograder.grading import grade_submission
from autograder.results import Outcome
from tests.conftest import ROOT, reference_source, write_submission

ASSIGNMENTS = sorted(registry.ASSIGNMENTS)  # every assignment folder found


@pytest.mark.parametrize("notebook", [False, True], ids=["py", "ipynb"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_full_marks_on_every_check(assignment, notebook, config, tmp_path):
    """Does the reference pass every check, as a .py file and as a notebook?"""
    path = write_submission(tmp_path, "reference", reference_source(assignment), notebook=notebook)
    result = grade_submission(path, assignment, config)
    failed = [(c.name, c.feedback) for c in result.checks if c.outcome is not Outcome.PASSED]
    assert failed == []
    assert result.score == result.max_score > 0
    assert result.notes == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_skeleton_scores_zero_and_every_task_is_not_attempted(assignment, config):
    """Does the released skeleton score 0, with every task reported as 'not attempted' rather than wrong?"""
    result = grade_submission(ROOT / "student_template" / f"{assignment}.py", assignment, config)
    assert result.score == 0
    assert set(result.task_outcomes().values()) == {Outcome.NOT_ATTEMPTED}
    for check in result.checks:
        assert "Not attempted" in check.feedback and "NotImplementedError" in check.feedback


def test_backward_of_unimplemented_forward_is_blocked_not_unattempted(config, tmp_path):
    """Is an implemented backward whose forward is still a stub reported as blocked, not 'not attempted'?"""
    source = reference_source("backprop").replace(
        "    out = x @ W + b\n    cache = (x, W)\n", '    raise NotImplementedError("linear_forward: todo")\n')
    result = grade_submission(write_submission(tmp_path, "half", source), "backprop", config)
    outcomes = result.task_outcomes()
    assert outcomes["linear_forward"] is Outcome.NOT_ATTEMPTED
    assert outcomes["linear_backward"] is Outcome.FAILED
    assert "blocked: implement linear_forward first" in next(
        c.feedback for c in result.checks if c.task == "linear_backward")


def test_missing_function_is_not_attempted(config, tmp_path):
    """Is a task whose function does not exist at all 'not attempted', and the others still graded?"""
    source = reference_source("backprop").split("def count_params")[0]
    result = grade_submission(write_submission(tmp_path, "partial", source), "backprop", config)
    assert result.task_outcomes()["count_params"] is Outcome.NOT_ATTEMPTED
    assert result.task_outcomes()["softmax_loss"] is Outcome.PASSED
