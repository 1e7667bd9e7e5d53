"""The nudged calls of numeric gradients (StudentRunner.sweep_many), in a real worker: each job's outputs come
back as one stacked array when they can, one by one when they cannot, and are the outputs of each call."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.course.config import load_config
from autograder.intake.submission import Cell
from autograder.sandbox.program import plan_program
from autograder.sandbox.runner import StudentError, StudentRunner
from autograder.sandbox.workers import Worker

ROOT = Path(__file__).resolve().parent.parent
SOURCE = """
import numpy as np

_buffer = np.zeros((2, 3))

def reusing(x):
    _buffer[...] = 2 * x  # the same array object every call, overwritten by the next one
    return _buffer, None

def mixed(x):
    return (x.sum() if x[0, 0] > 0.5 else 2 * x), None

def failing(x):
    if x[0, 0] > 0.5:
        raise ValueError("bad nudge")
    return x, None
"""


@pytest.fixture
def runner():
    config = load_config(ROOT / "grader.toml")
    program = plan_program((Cell(1, SOURCE),), ["reusing", "mixed", "failing"])
    with StudentRunner(program, config.grading, config.limits.to_limits()) as runner:
        yield runner


@pytest.fixture
def replies(monkeypatch):
    """The raw reply items of every request, as the worker sent them."""
    seen: list[list] = []
    request = Worker.request

    def recording(self, *args, **kwargs):
        reply, frame = request(self, *args, **kwargs)
        seen.append(list(reply.get("replies", [])))
        return reply, frame

    monkeypatch.setattr(Worker, "request", recording)
    return seen


def _nudges(count: int, step: float = 1.0) -> list[list]:
    return [[0, i, step] for i in range(count)]


def test_a_jobs_outputs_come_back_as_one_stacked_array(runner, replies):
    """Was each job of 6 calls answered by one reply item, and is row k the output of call k although the
    function returned the same array object each time (the worker copies it before the next call)?"""
    x = np.zeros((2, 3))
    outputs = runner.sweep_many("reusing", [([x], _nudges(6), 0), ([x + 1], _nudges(6, -1.0), 0)])
    assert [item.get("stack") for item in replies[-1]] == [6, 6]
    for k in range(6):
        expected = np.zeros(6)
        expected[k] = 2.0
        assert np.array_equal(outputs[0][k], expected.reshape(2, 3))
        assert np.array_equal(outputs[1][k], 2 * (np.ones(6) - np.eye(6)[k]).reshape(2, 3))


def test_outputs_of_different_shapes_or_a_failure_come_back_one_by_one(runner, replies):
    """A job whose calls return outputs of different shapes is sent call by call (the grader then says they are
    not of one shape); one where a call raises fails with that error; neither is stacked."""
    x = np.zeros((2, 3))
    mixed, failing = runner.sweep_many("mixed", [([x], _nudges(3), 0)])[0], \
        runner.sweep_many("failing", [([x], _nudges(3), 0)])[0]
    assert [item.get("stack") for item in replies[-2]] == [None] * 3
    assert isinstance(mixed, StudentError) and "one shape" in mixed.message
    assert isinstance(failing, StudentError) and failing.type == "ValueError"
