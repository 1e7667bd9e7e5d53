"""Points are earned only for what a check verified about answers the student's code produced."""
from __future__ import annotations

from autograder.batch.files import gradescope_json
from autograder.grading import grade_submission
from autograder.report.feedback_text import render_text
from autograder.results import Outcome
from tests.conftest import reference_source, write_submission

CS231N_STUBS = '''
import numpy as np


def linear_forward(x, W, b):
    out = None
    pass
    cache = (x, W, b)
    return out, cache


def linear_backward(dout, cache):
    x, W, b = cache
    dx, dW, db = None, None, None
    pass
    return dx, dW, db


def relu_forward(x):
    pass


def relu_backward(dout, cache):
    pass


def softmax_loss(scores, y):
    loss, dscores = None, None
    return loss, dscores


def count_params(layer_dims, bias=True):
    pass


def zero_init_loss(num_classes):
    pass
'''


def _task_checks(result, task):
    return [c for c in result.checks if c.task == task]


def test_stubs_that_return_none_are_not_attempted_and_earn_nothing(config, tmp_path):
    """Do `pass` bodies and CS231n's `out = None ... return out, cache` score 0 as 'not attempted' (returns
    None), with no point for inputs left unchanged by code that did nothing?"""
    path = write_submission(tmp_path, "stubs", CS231N_STUBS)
    result = grade_submission(path, "backprop", config)
    outcomes = result.task_outcomes()
    for task in ("linear_forward", "linear_backward", "relu_forward", "relu_backward", "softmax_loss",
                 "count_params", "zero_init_loss"):
        assert outcomes[task] is Outcome.NOT_ATTEMPTED, (task, [c.feedback for c in _task_checks(result, task)])
        assert "returns None: not implemented yet?" in _task_checks(result, task)[0].feedback
    assert result.score == 0


def test_a_wrong_structure_in_every_case_earns_nothing_on_any_check(config, tmp_path):
    """Does a forward that returns a bare array (no cache) in every case lose inputs_unchanged too, and is no
    check shown as passed?"""
    source = reference_source("backprop") + '''

def relu_forward(x):
    return np.maximum(x, 0)
'''
    result = grade_submission(write_submission(tmp_path, "bare", source), "backprop", config)
    checks = _task_checks(result, "relu_forward")
    assert [c.score for c in checks] == [0.0, 0.0, 0.0]
    assert all(c.outcome is Outcome.FAILED for c in checks)
    unchanged = next(c for c in checks if c.check == "inputs_unchanged")
    assert "not verified" in unchanged.feedback
    tests = gradescope_json(result)["tests"]
    assert all(t["status"] == "failed" for t in tests if t["name"].startswith("relu_forward /"))


def test_a_backward_of_a_wrong_forward_is_gradchecked_against_the_exact_gradient(config, tmp_path):
    """When the forward is wrong, is the backward's gradcheck still a verification (against the reference's
    gradient), passing a right backward and failing a wrong one, and never a PASS beside 'not scored'?"""
    forgets_bias = reference_source("backprop") + '''

def linear_forward(x, W, b):
    return x @ W, (x, W)
'''
    result = grade_submission(write_submission(tmp_path, "forward_bug", forgets_bias), "backprop", config)
    gradcheck = next(c for c in result.checks if c.task == "linear_backward" and c.check == "gradcheck")
    assert gradcheck.outcome is Outcome.PASSED and gradcheck.score == gradcheck.max_score
    assert "exact gradient of the right linear_forward" in gradcheck.feedback
    assert "not scored" not in render_text(result, verbose=True)

    both_wrong = forgets_bias + '''

def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)
'''
    result = grade_submission(write_submission(tmp_path, "both_bugs", both_wrong), "backprop", config)
    gradcheck = next(c for c in result.checks if c.task == "linear_backward" and c.check == "gradcheck")
    assert gradcheck.outcome is Outcome.PARTIAL and gradcheck.score < gradcheck.max_score
    assert "db differs from the exact gradient of the right linear_forward" in gradcheck.feedback


def test_a_backward_whose_forward_is_lost_says_why(config, tmp_path):
    """Does linear_backward say that linear_forward does not parse (or is missing), rather than a KeyError?"""
    source = reference_source("backprop").replace("def linear_forward(x, W, b):",
                                                  "def linear_forward(x, W, b):\n    print 'forward'", 1)
    result = grade_submission(write_submission(tmp_path, "py2", source), "backprop", config)
    feedback = "\n".join(c.feedback for c in _task_checks(result, "linear_backward"))
    assert "needs the cache of your linear_forward, which does not parse" in feedback
    assert "KeyError" not in feedback
    missing = reference_source("backprop").replace("def linear_forward(", "def renamed_forward(", 1)
    result = grade_submission(write_submission(tmp_path, "missing", missing), "backprop", config)
    feedback = "\n".join(c.feedback for c in _task_checks(result, "linear_backward"))
    assert "needs the cache of your linear_forward, which is not in your submission" in feedback
    assert result.task_scores()["linear_backward"] == 0
