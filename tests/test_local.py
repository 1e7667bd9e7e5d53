"""The local runner behind `check(...)` in a student's kernel."""
from __future__ import annotations

import numpy as np

from autograder.local import LocalRunner
from tests.conftest import ROOT


def test_a_dropped_cache_id_never_names_a_new_cache():
    """After a cache is dropped, does a new one get a fresh handle instead of overwriting a live one?"""
    runner = LocalRunner({"forward": lambda x: (x * 2, {"x": x})})
    (_, first), _ = runner.call("forward", [np.ones(2)], keep=(1,))
    (_, second), _ = runner.call("forward", [np.full(2, 3.0)], keep=(1,))
    runner.drop([first])
    (_, third), _ = runner.call("forward", [np.full(2, 5.0)], keep=(1,))
    assert len({first.id, second.id, third.id}) == 3
    assert runner.objects[second.id]["x"][0] == 3.0 and runner.objects[third.id]["x"][0] == 5.0


def test_check_in_the_notebook_names_the_misconception():
    """`check("linear_backward")` in a kernel, with db averaged: the feedback names the mistake, from the
    public recorded answers (no reference code in the student's kernel)."""
    from autograder.local import Checker

    def linear_forward(x, W, b):
        return x @ W + b, (x, W)

    def linear_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.mean(axis=0)

    check = Checker("backprop", {"linear_forward": linear_forward, "linear_backward": linear_backward},
                    ROOT / "student_template" / "backprop.checks.json")
    report = check("linear_backward")
    assert not report.passed
    assert "Likely misconception: db is averaged over the batch instead of summed" in str(report)
    assert "Likely misconception" in report._repr_html_()


def test_a_missing_checks_file_is_one_sentence_and_later_checks_repeat_it(tmp_path, monkeypatch, capsys):
    """Opened in a folder without backprop.checks.json, does the setup cell say where to put it (no traceback),
    and do later check(...) and check.ready(...) cells say it again instead of raising?"""
    from autograder.local import Checker

    monkeypatch.chdir(tmp_path)
    check = Checker("backprop", {})
    said = capsys.readouterr().out.strip()
    assert said.startswith("No public checks: put backprop.checks.json next to this notebook")
    assert said.count(". ") == 0 and said.endswith(".") and str(tmp_path) in said  # one sentence
    report = check("linear_forward")
    assert not report.passed and str(report) == said and "backprop.checks.json" in report._repr_html_()
    assert check.ready("linear_forward") is False
    assert capsys.readouterr().out.strip() == said
    assert callable(check.trainer("two_layer_net"))


def test_a_hang_in_the_notebook_costs_its_call_timeout_once():
    """`check(...)` in the kernel gives each call the grader's call_timeout: a `while True` in linear_forward says
    "did not finish within" instead of running until the kernel is interrupted, and is not called again by the
    other cases or by linear_backward's check."""
    import dataclasses
    import time

    from autograder.local import Checker

    calls = []

    def linear_forward(x, W, b):
        calls.append(1)
        while True:
            pass

    check = Checker("backprop", {"linear_forward": linear_forward},
                    checks_file=ROOT / "student_template" / "backprop.checks.json")
    check.config = dataclasses.replace(check.config, grading=dataclasses.replace(check.config.grading,
                                                                                  call_timeout=0.3))
    start = time.monotonic()
    report = check("linear_forward")
    assert time.monotonic() - start < 3
    assert not report.passed and "did not finish within 0.3 s" in str(report)
    assert len(calls) == 1


def _affine_with_averaged_db() -> dict:
    """A notebook's namespace: linear_forward right, linear_backward with db averaged, nothing else written."""

    def linear_forward(x, W, b):
        return x @ W + b, (x, W)

    def linear_backward(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.mean(axis=0)

    return {"linear_forward": linear_forward, "linear_backward": linear_backward}


def test_a_misspelled_task_suggests_the_closest_name_instead_of_a_traceback(capsys):
    """`check("linear_bakward")`: does it say which task was meant and list the tasks, in text and HTML, as a
    message that did not pass (not a StopIteration), and does `check.ready(...)` say it too?"""
    from autograder.local import Checker, UnknownTask

    check = Checker("backprop", _affine_with_averaged_db(), ROOT / "student_template" / "backprop.checks.json")
    report = check("linear_bakward")
    assert isinstance(report, UnknownTask) and not report.passed
    said = str(report)
    assert said.startswith("No task named 'linear_bakward'; did you mean 'linear_backward'?")
    assert "linear_forward, linear_backward, relu_forward" in said and "Traceback" not in said
    assert "did you mean &#x27;linear_backward&#x27;?" in report._repr_html_()
    assert "did you mean" not in str(check("nonsense")) and "two_layer_net" in str(check("nonsense"))
    assert check.ready("linear_forward", "linear_bakward") is False
    assert capsys.readouterr().out.strip() == said


def test_check_with_no_task_checks_every_task_in_order_with_the_total_score():
    """`check()`: one report over every task, in the assignment's order, scored out of the whole assignment?"""
    import json

    from autograder.course.registry import ASSIGNMENTS
    from autograder.local import Checker
    from autograder.report.feedback_text import points as shown

    checks_file = ROOT / "student_template" / "backprop.checks.json"
    check = Checker("backprop", _affine_with_averaged_db(), checks_file)
    report = check()
    tasks = [t.name for t in ASSIGNMENTS["backprop"].tasks]
    assert list(dict.fromkeys(c.task for c in report.result.checks)) == tasks
    points = json.loads(checks_file.read_text())["points"]
    assert report.result.max_score == sum(sum(p.values()) for p in points.values())
    single = {task: check(task).result.score for task in ("linear_forward", "linear_backward")}
    assert report.result.score == sum(single.values()) > 0  # the tasks not written yet score 0
    text = str(report)
    assert text.startswith(f"backprop: your notebook  score {shown(report.result.score)} / "
                           f"{shown(report.result.max_score)}\n")
    assert text.index("[PASS] linear_forward") < text.index("[PART] linear_backward") < text.index("two_layer_net")
