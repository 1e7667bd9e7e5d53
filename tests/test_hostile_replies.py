"""Hostile replies (issue 11, items 1, 2 and 5): whatever a worker sends, or refuses to read, the grader decodes it
safely or loses that worker, within a deadline, and the submission still gets a graded row.

Same rules as tests/test_hostile.py, whose fixtures these tests use: every hostile loop is bounded, nothing can
hurt the machine, and the autouse fixture checks that no worker process or scratch folder is left.
"""
from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.course.config import GraderConfig
from autograder.results import Outcome, result_to_dict
from autograder.sandbox import wire
from tests.test_hostile import (  # noqa: F401  fixtures, used by name
    PROTOCOL_FD,
    assert_full_marks_except,
    feedback,
    full_marks,
    grade_appended,
    grade_source,
    hostile_config,
    make_config,
    workers,
)


def _frame(message: object) -> bytes:
    """A well-formed reply frame holding this JSON and no array buffers."""
    payload = json.dumps(message).encode()
    inner = struct.pack(">I", len(payload)) + payload
    return struct.pack(">I", len(inner)) + inner


def _linear_forward_writing(data: bytes) -> str:
    """A correct linear_forward that first writes `data` to the worker's reply pipe."""
    return f"""
import os as _os

def linear_forward(x, W, b):
    try:
        _os.write({PROTOCOL_FD}, {data!r})
    except OSError:
        pass
    return x @ W + b, (x, W)
"""


# ------------------------------------------------------------------------------- 1. decoding raises WireError


# Replies that are well-formed frames but not plain data the grader can build: each raised ValueError (or
# worse) out of decoding, and the batch ended with no gradebook.
FORGED_REPLIES = {
    "float_not_a_number": {"ok": True, "result": {"T": [{"F": "zero point five"}, None]}},
    "float_text_huge": {"ok": True, "result": {"T": [{"F": "1" * 100_000}, None]}},
    "empty_array_of_huge_shape": {"ok": True, "result": {"T": [{"A": ["<f8", [10**30, 0], ""]}, None]}},
    "empty_array_of_overflowing_shape": {"ok": True, "result": {"T": [{"A": ["<f8", [1 << 40, 1 << 40, 0], ""]},
                                                                      None]}},
    "long_type_name": {"ok": True, "result": {"T": [None, {"H": [1, "X" * 300_000]}]}},
}


@pytest.mark.parametrize("forged", FORGED_REPLIES)
def test_a_forged_reply_costs_its_task_only(tmp_path: Path, hostile_config: GraderConfig, forged: str) -> None:
    frame = _frame(FORGED_REPLIES[forged])
    result, elapsed = grade_appended(tmp_path, hostile_config, _linear_forward_writing(frame))
    assert elapsed < 20
    assert result.error is None
    assert "crashed" in feedback(result, "linear_forward") or \
        result.task_outcomes()["linear_forward"] is Outcome.FAILED
    assert "X" * 100 not in json.dumps(result_to_dict(result))
    assert_full_marks_except(result, hostile_config, "linear_forward", "linear_backward")


@pytest.mark.parametrize("forged", FORGED_REPLIES)
def test_forged_values_raise_wire_errors_only(forged: str) -> None:
    message = FORGED_REPLIES[forged]
    try:
        value = wire.decode(message["result"])
    except wire.WireError:
        return
    handle = value[1]  # a handle's student-chosen type name is kept out of every message the grader writes
    assert isinstance(handle, wire.Handle) and handle.type_name == "object"


def test_a_float_subclass_travels_as_its_value(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """A float subclass whose repr is not a number is still a float: the worker sends float.__repr__."""
    result, _ = grade_appended(tmp_path, hostile_config, """
class _F(float):
    def __repr__(self):
        return "zero point five"

_softmax_loss = softmax_loss

def softmax_loss(x, y):
    loss, dx = _softmax_loss(x, y)
    return _F(loss), dx
""")
    assert_full_marks_except(result, hostile_config)


def test_a_forged_frame_while_loading_skips_that_statement(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """A top-level statement writes a reply of its own: the grader read it as the load's reply and the real one
    as the answer to the next request (`callables`), whose ValueError ended the batch. Every frame now carries
    the number of the request it answers (unguessable): the statement is named, skipped, and the rest graded."""
    frame = _frame({"ok": True, "replies": [{"ok": True}]})
    result, elapsed = grade_appended(tmp_path, hostile_config, f"""
import os as _os
try:
    _os.write({PROTOCOL_FD}, {frame!r})
except OSError:
    pass
""")
    assert elapsed < 30
    assert_full_marks_except(result, hostile_config)
    assert any("out of turn" in note for note in result.notes), result.notes


def test_a_lost_first_question_is_a_row(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """If the worker is lost answering which functions exist (here: a reply forged with the right number, found
    by reading the worker's own frames), the submission is still a row: every task not run, with the reason."""
    result, elapsed = grade_appended(tmp_path, hostile_config, f"""
import json as _json, os as _os, struct as _struct, sys as _sys

def _forge():
    frame = _sys._getframe()
    while frame is not None and "seq" not in (frame.f_locals.get("request") or {{}}):
        frame = frame.f_back
    seq = frame.f_locals["request"].get("seq") if frame is not None else None
    body = _json.dumps({{"ok": True, "replies": [{{"ok": True}}] * 1000, "seq": seq}}).encode()
    inner = _struct.pack(">I", len(body)) + body
    _os.write({PROTOCOL_FD}, _struct.pack(">I", len(inner)) + inner)

_forged = _forge()
""")
    assert elapsed < 30
    assert result.error is None
    assert result.checks and all(c.score == 0 for c in result.checks)
    assert all("protocol" in c.feedback for c in result.checks), [c.feedback for c in result.checks]


# -------------------------------------------------------------------------- 2. a worker that stops reading


def test_a_worker_that_stops_reading_costs_its_timeout(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """Student code forges the reply to its call (cases kept as handles with a 300 kB type name), then keeps the
    worker busy: the grader's next request (echoing those handles) used to fill the pipe and block forever in
    the write. Handles carry no student-chosen strings, and every write has a deadline."""
    reply = {"ok": True, "replies": [{"ok": True, "result": {"T": [{"A": ["<f8", [0], ""]},
                                                                   {"H": [1, "X" * 300_000]}]}}] * 6}
    frame = _frame(reply)
    result, elapsed = grade_appended(tmp_path, hostile_config, f"""
import os as _os
import time as _time

def linear_forward(x, W, b):
    try:
        _os.write({PROTOCOL_FD}, {frame!r})
    except OSError:
        pass
    _time.sleep(60)
""")
    assert elapsed < 60
    assert result.error is None
    assert "X" * 100 not in json.dumps(result_to_dict(result))
    assert_full_marks_except(result, hostile_config, "linear_forward", "linear_backward")


def test_a_send_to_a_worker_that_never_reads_has_a_deadline(hostile_config: GraderConfig) -> None:
    """Directly: a request larger than the pipe's buffer, to a worker that is not reading, fails after its
    timeout with WorkerLost instead of blocking in the write."""
    from autograder.sandbox.workers import Worker, WorkerLost
    worker = Worker(hostile_config.limits.to_limits())
    try:
        worker.request({"op": "load", "each": 5.0, "statements": [
            {"source": "import time\ntime.sleep(30)", "filename": "<cell 1>", "line": 1}]}, 0.5, each=0.5)
    except WorkerLost:
        pass
    # The worker is killed by then; a fresh one, busy in a long statement, with a request of 8 MiB behind it.
    worker = Worker(hostile_config.limits.to_limits())
    try:
        frame = wire.Frame()
        big = frame.encode(np.zeros(1 << 20))
        worker._send({"op": "load", "each": 30.0, "statements": [
            {"source": "import time\ntime.sleep(30)", "filename": "<cell 1>", "line": 1}]}, None, 5.0)
        start = time.monotonic()
        with pytest.raises(WorkerLost):
            worker._send({"op": "callables", "names": [], "data": big}, frame, 1.0)
        assert time.monotonic() - start < 5
    finally:
        worker.close()


def test_steps_are_announced_without_frames(hostile_config: GraderConfig) -> None:
    """A load of 60 quick statements is answered by one frame: each step is announced on the progress page,
    not by a frame the grader wakes up to read (those were 66 of the ~95 frames a notebook cost). A statement
    that then hangs where the worker's alarm cannot stop it is still named, from the page, once it is lost."""
    from autograder.sandbox.workers import Worker, WorkerLost
    worker = Worker(hostile_config.limits.to_limits())
    frames = []
    receive = worker._receive
    worker._receive = lambda *args: frames.append(1) or receive(*args)
    try:
        statements = [{"source": f"x{i} = {i}", "filename": "<cell 1>", "line": i + 1} for i in range(60)]
        reply, _ = worker.request({"op": "load", "each": 1.0, "statements": statements}, 60.0, each=1.0)
        assert len(reply["replies"]) == 60 and len(frames) == 1
        hang = {"source": "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\nwhile True:"
                          "\n    pass", "filename": "<cell 2>", "line": 1}
        start = time.monotonic()
        with pytest.raises(WorkerLost, match="timed out"):
            worker.request({"op": "load", "each": 0.5, "statements": statements[:3] + [hang]}, 20.0, each=0.5)
        assert worker.started == 3 and time.monotonic() - start < 5
    finally:
        worker.close()


def test_a_progress_page_that_keeps_moving_still_has_a_deadline(tmp_path: Path, hostile_config: GraderConfig
                                                                ) -> None:
    """Student code that keeps writing later steps of the request under way on the progress page (and eats the
    worker's timeouts) gets each forged step a new deadline, but never past the request's own: the statement is
    named on the replay, skipped, and what follows it graded."""
    result, elapsed = grade_source(tmp_path, hostile_config, """
import numpy as np

try:
    import struct as _struct, sys as _sys, time as _time
    _frame = _sys._getframe()
    while "channel" not in _frame.f_locals:
        _frame = _frame.f_back
    _page, _seq = _frame.f_locals["channel"].progress, _frame.f_locals["seq"][0]
    _step = 1
    while True:
        try:
            _step += 1
            _struct.pack_into("<Q", _page, 0, ((_seq & 0xFFFFFFFF) << 32) | _step)
            _time.sleep(0.01)
        except BaseException:
            pass
except BaseException:
    pass


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
""")
    assert elapsed < 30
    assert any("cell" not in note and "line 4" in note and "skipped" in note for note in result.notes), result.notes
    scores, full = result.task_scores(), full_marks(hostile_config)
    assert scores["relu_forward"] == full["relu_forward"] and scores["relu_backward"] == full["relu_backward"]


# ------------------------------------------------------------------------------------- 5. reply frame size


def test_an_oversized_reply_is_refused_before_it_is_read(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """A frame announcing more than MAX_FRAME_BYTES loses the worker at once (nothing is buffered); the cap sits
    far above the largest legitimate reply and far below what would strain the grader."""
    assert 1 << 21 < wire.MAX_FRAME_BYTES <= 16 << 20
    header = struct.pack(">I", wire.MAX_FRAME_BYTES + 1)
    result, elapsed = grade_appended(tmp_path, hostile_config, _linear_forward_writing(header))
    assert elapsed < 20
    assert "crashed" in feedback(result, "linear_forward")
    assert_full_marks_except(result, hostile_config, "linear_forward", "linear_backward")


def test_a_reply_with_a_huge_json_part_is_refused() -> None:
    payload = json.dumps({"ok": True, "result": {"L": [0] * 400_000}}).encode()
    with pytest.raises(wire.WireError, match="JSON part"):
        wire.loads(struct.pack(">I", len(payload)) + payload)


# ------------------------------------------------------------------------ 6. the worker's own helpers, patched


def test_patching_the_worker_does_not_forge_a_numeric_gradient(tmp_path: Path, hostile_config: GraderConfig
                                                               ) -> None:
    """A backward that returns zeros, and a top-level statement that reaches the worker's module (through the
    globals of sys.stdout's class) and patches its numeric-gradient helpers to report a flat forward. Before,
    the worker computed the sweep with `sweep_outputs` (and Session.sweep): patched, they gave a zero numeric
    gradient and the zero backward passed its gradient check. Now the grader nudges the inputs and the worker
    only calls the function: there is nothing of the kind left to patch."""
    result, _ = grade_appended(tmp_path, hostile_config, """
import sys as _sys

def _patch():
    worker = type(_sys.stdout).write.__globals__
    flat = lambda function, args, pick, perturb: np.zeros((len(perturb), args[0].shape[0], args[1].shape[1]))
    worker["sweep_outputs"] = flat
    session = worker["Session"]
    if hasattr(session, "sweep"):
        session.sweep = lambda self, request, inbox, outbox: {"ok": True, "outputs": outbox.encode(
            flat(None, [inbox.decode(a) for a in request["args"]], None, request["perturb"]))}
    return True

_patched = _patch()

def linear_backward(dout, cache):
    x, W = cache[0], cache[1]
    return np.zeros_like(x), np.zeros_like(W), np.zeros(W.shape[1])
""")
    checks = {c.check: c for c in result.checks if c.task == "linear_backward"}
    assert checks["gradcheck"].outcome is Outcome.FAILED, checks["gradcheck"].feedback
    assert checks["gradcheck"].score == 0
    assert not any("_patch" in note or "line" in note and "Error" in note for note in result.notes), result.notes


def test_patching_the_sweep_the_worker_runs_changes_nothing(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """The worker applies the grader's nudges in Session.sweep. A submission that replaces it, on the class and on
    the instance, with one of the very same signature that reports a flat forward, gets nothing from it: the
    worker bound its handlers before any student code ran, so the zero backward still fails its gradient check
    (the real sweep calls the real forward)."""
    result, _ = grade_appended(tmp_path, hostile_config, """
import gc as _gc
import sys as _sys

def _patch():
    worker = type(_sys.stdout).write.__globals__
    session_class = worker["Session"]

    def flat(self, request, inbox, outbox, notify=None):
        replies = []
        for job in request["sweep"]:
            x, W = inbox.decode(job["args"][0]), inbox.decode(job["args"][1])
            zeros = outbox.encode(np.zeros((x.shape[0], W.shape[1])))
            replies += [{"ok": True, "result": zeros}] * len(job["nudges"])
        return {"ok": True, "replies": replies}

    session_class.sweep = flat
    for obj in _gc.get_objects():
        if isinstance(obj, session_class):
            obj.sweep = flat.__get__(obj)
    return True

_patched = _patch()

def linear_backward(dout, cache):
    x, W = cache[0], cache[1]
    return np.zeros_like(x), np.zeros_like(W), np.zeros(W.shape[1])
""")
    checks = {c.check: c for c in result.checks if c.task == "linear_backward"}
    assert checks["gradcheck"].outcome is Outcome.FAILED, checks["gradcheck"].feedback
    assert checks["gradcheck"].score == 0
    assert "numeric gradient" in checks["gradcheck"].feedback
