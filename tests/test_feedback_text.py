"""What `check(...)` shows a student, in text and in Jupyter's HTML: each thing said once, the score and the
points of every check, points written as a grader writes them (issue 16)."""
from __future__ import annotations

from dataclasses import replace

from autograder.local import Checker
from autograder.report.feedback_text import points
from tests.conftest import ROOT

CHECKS = ROOT / "student_template" / "backprop.checks.json"


def linear_forward(x, W, b):
    return x @ W + b, (x, W)


def test_one_crash_in_every_check_is_explained_once() -> None:
    """The missing transpose crashes every check of linear_backward: the error and the misconception are each
    given once for the task, not once per check."""
    def linear_backward(dout, cache):
        x, W = cache
        return dout @ W, x.T @ dout, dout.sum(axis=0)

    report = Checker("backprop", {"linear_forward": linear_forward, "linear_backward": linear_backward}, CHECKS)(
        "linear_backward")
    text = str(report)
    assert text.count("raised ValueError") == 1, text
    assert text.count("Likely misconception") == 1, text
    assert "Each of structure, values, gradcheck, inputs_unchanged:" in text
    page = report._repr_html_()
    assert page.count("raised ValueError") == 1 and page.count("Likely misconception") == 1


def test_a_hang_is_reported_once_per_task() -> None:
    def slow_forward(x, W, b):
        while True:
            pass

    check = Checker("backprop", {"linear_forward": slow_forward}, CHECKS)
    check.config = replace(check.config, grading=replace(check.config.grading, call_timeout=0.2))
    text = str(check("linear_forward"))
    assert text.count("did not finish within 0.2 s") == 1, text


def test_a_backward_whose_forward_is_not_written_is_blocked() -> None:
    def unwritten(x, W, b):
        raise NotImplementedError("linear_forward: implement this function")

    def linear_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.sum(axis=0)

    text = str(Checker("backprop", {"linear_forward": unwritten, "linear_backward": linear_backward}, CHECKS)(
        "linear_backward"))
    assert text.count("blocked: implement linear_forward first") == 1, text
    assert "NotImplementedError" not in text


def test_html_shows_the_score_and_the_points_of_every_check() -> None:
    def linear_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.mean(axis=0)  # db averaged: values fail, structure passes

    report = Checker("backprop", {"linear_forward": linear_forward, "linear_backward": linear_backward}, CHECKS)(
        "linear_backward")
    page = report._repr_html_()
    result = report.result
    assert f"score <b>{points(result.score)} / {points(result.max_score)}</b>" in page
    for check in result.checks:
        assert f"<code>{check.check}</code> ({points(check.score)} / {points(check.max_score)})" in page


def test_points_are_written_as_a_grader_writes_them() -> None:
    assert [points(v) for v in (14 / 3, 2 / 3, 39.0, 0.5, 1e-9)] == ["4.67", "0.67", "39", "0.5", "0"]
