"""Hostile submissions: code that hangs, eats the timeout, memory or the disk, crashes, forks, floods, reads the
grader's secrets, patches the comparison functions or writes into the worker's protocol pipe.

Each submission is the reference solution with one hostile piece appended (a later `def` overrides the earlier
one), so every task the hostile piece does not touch must keep full marks. Every hostile loop is bounded (by a
counter, or by a limit that the test then checks), and an autouse fixture checks after each test that no worker
process (by its unique uid) and no worker scratch folder is left behind.
"""
from __future__ import annotations

import json
import os
import re
import struct
import time
from pathlib import Path

import pytest

from autograder.authoring.notebooks import notebook_from_source, write_notebook
from autograder.authoring.skeleton import strip_solutions
from autograder.course.config import GraderConfig, load_config
from autograder.course.registry import ASSIGNMENTS
from autograder.grading import grade_submission
from autograder.results import Outcome, SubmissionResult
from autograder.sandbox import runner as runner_module
from autograder.sandbox import workers as sandbox
from autograder.sandbox.isolation import worker_uid
from tests.conftest import affected

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "backprop.py"
GRADER_TOML = ROOT / "grader.toml"
TASKS = tuple(task.name for task in ASSIGNMENTS["backprop"].tasks)
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="namespace/uid confinement is only applied when the grader "
                                                    "runs as root")
PROTOCOL_FD = 4  # the worker's reply pipe: os.dup(1) right after start, with 0, 1, 2 and the dup of 0 (3) taken


# --------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def make_config(tmp_path: Path):
    """The project's grader.toml with 1 s timeouts, an absolute reference path and optional overrides."""

    def make(memory_mb: int = 1024, call_timeout: float = 1.0, statement_timeout: float = 1.0) -> GraderConfig:
        text = GRADER_TOML.read_text()
        for key, value in (("call_timeout", call_timeout), ("statement_timeout", statement_timeout),
                           ("memory_mb", memory_mb)):
            text, count = re.subn(rf"^{key} = [\d.]+", f"{key} = {value}", text, flags=re.M)
            assert count == 1, f"grader.toml no longer has one '{key} = ...' line"
        text, count = re.subn(r'^reference = "reference/', f'reference = "{ROOT}/reference/', text, flags=re.M)
        assert count >= 1
        path = tmp_path / f"grader-{memory_mb}-{call_timeout}-{statement_timeout}.toml"
        path.write_text(text)
        return load_config(path)

    return make


@pytest.fixture
def hostile_config(make_config) -> GraderConfig:
    return make_config()


@pytest.fixture(autouse=True)
def workers(monkeypatch: pytest.MonkeyPatch) -> list[sandbox.Worker]:
    """Every worker this test starts; afterwards none of their processes or scratch folders may remain.

    Only this test's workers are looked at (by their unique uid), so graders running concurrently on the same
    machine do not disturb the check. Zombies are dead already (their reaping is up to pid 1), so they don't count.
    """
    started: list[sandbox.Worker] = []

    class RecordingWorker(sandbox.Worker):
        log_size = 0

        def __init__(self, limits) -> None:
            try:
                super().__init__(limits)
            finally:
                started.append(self)

        def close(self) -> None:
            try:
                self.log_size = max(self.log_size, os.path.getsize(self.log_path))
            except OSError:
                pass
            super().close()

    monkeypatch.setattr(runner_module, "Worker", RecordingWorker)
    yield started
    uids = {worker_uid(w.pid) for w in started if hasattr(w, "pid")}
    deadline = time.monotonic() + 5.0
    left = _live_processes(uids) if IS_ROOT else []
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _live_processes(uids)
    assert not left, f"worker processes survived grading: {left}"
    leftovers = [w.scratch for w in started if os.path.exists(w.scratch)]
    assert not leftovers, f"worker scratch folders were not removed: {leftovers}"


def _live_processes(uids: set[int]) -> list[tuple[int, int, str]]:
    """(pid, uid, state) of every process, not a zombie, whose real uid is in `uids`."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:  # it ended while we looked
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "-1").split()[0])
        state = fields.get("State", "").strip()
        if uid in uids and not state.startswith("Z"):
            found.append((int(status.parent.name), uid, state))
    return found


# ---------------------------------------------------------------------------------------------------- helpers


def full_marks(config: GraderConfig) -> dict[str, float]:
    points = config.assignments["backprop"].points
    return {task: float(sum(points[task].values())) for task in TASKS}


def grade_source(tmp_path: Path, config: GraderConfig, source: str, name: str = "hostile"
                 ) -> tuple[SubmissionResult, float]:
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    start = time.monotonic()
    result = grade_submission(path, "backprop", config)
    return result, time.monotonic() - start


def grade_appended(tmp_path: Path, config: GraderConfig, hostile: str, name: str = "hostile"
                   ) -> tuple[SubmissionResult, float]:
    """The reference with `hostile` appended: its definitions replace the reference's."""
    return grade_source(tmp_path, config, REFERENCE.read_text() + "\n\n" + hostile, name)


def feedback(result: SubmissionResult, task: str) -> str:
    return "\n".join(c.feedback for c in result.checks if c.task == task)


def assert_full_marks_except(result: SubmissionResult, config: GraderConfig, *hit: str) -> None:
    """Every task not in `hit` (or trained with a task in `hit`) has full marks, and the grade is a real grade."""
    hit = affected(*hit)
    assert result.error is None
    assert [c.task for c in result.checks] and set(result.task_scores()) == set(TASKS)
    full = full_marks(config)
    scores = result.task_scores()
    wrong = {task: (scores[task], full[task]) for task in TASKS if task not in hit and scores[task] != full[task]}
    assert not wrong, f"tasks untouched by the hostile code lost points: {wrong}\n" + "\n".join(
        f"{c.name}: {c.feedback}" for c in result.checks if c.task in wrong and c.score < c.max_score)


def assert_zero(result: SubmissionResult, *tasks: str) -> None:
    scores = result.task_scores()
    assert {t: scores[t] for t in tasks} == {t: 0.0 for t in tasks}


# ------------------------------------------------------------------------------------------- 1. endless loop


def test_endless_loop_costs_only_its_own_tasks(tmp_path: Path, hostile_config: GraderConfig) -> None:
    result, elapsed = grade_appended(tmp_path, hostile_config, """
def relu_forward(x):
    while True:
        pass
""")
    assert elapsed < 15
    assert_zero(result, "relu_forward", "relu_backward")
    assert "timed out" in feedback(result, "relu_forward")
    assert "timed out" in feedback(result, "relu_backward")
    assert_full_marks_except(result, hostile_config, "relu_forward", "relu_backward")


def test_a_hung_function_costs_one_timeout(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """Is a function that hangs timed out once, and never called again by any check, sweep or training step?"""
    result, _ = grade_appended(tmp_path, hostile_config, """
def linear_forward(x, W, b):
    while True:
        pass
""")
    assert result.timeouts == 1
    assert_zero(result, "linear_forward", "linear_backward", "two_layer_net")
    assert "not called again" in feedback(result, "linear_backward")
    assert_full_marks_except(result, hostile_config, "linear_forward")


@pytest.mark.parametrize("example", ["backprop", "rnn"])
def test_a_hung_step_costs_one_timeout_in_the_functions_that_call_it(example: str, hostile_config: GraderConfig
                                                                     ) -> None:
    """The bundled dee hangs in linear_forward (backprop) or in rnn_step_forward, which the student's own
    rnn_forward calls: is it timed out once, not once more per caller?"""
    result = grade_submission(ROOT / "assignments" / example / "examples" / "dee.py", example, hostile_config)
    assert result.timeouts == 1
    if example == "rnn":
        assert "it calls rnn_step_forward" in feedback(result, "rnn_forward")


# ------------------------------------------------------------------------------------- 2. swallowed timeout


def test_swallowed_timeout_is_still_bounded(tmp_path: Path, hostile_config: GraderConfig,
                                            workers: list) -> None:
    result, elapsed = grade_appended(tmp_path, hostile_config, """
import time

def relu_forward(x):
    while True:
        try:
            time.sleep(10)
        except BaseException:  # eats the worker's CallTimeout and anything else
            pass
""")
    assert elapsed < 15
    assert_zero(result, "relu_forward", "relu_backward")
    assert "timed out" in feedback(result, "relu_forward")
    assert_full_marks_except(result, hostile_config, "relu_forward", "relu_backward")
    assert len(workers) >= 2, "the worker that swallowed the timeout should have been killed and replaced"


def test_swallowed_timeout_at_load_is_skipped(tmp_path: Path, hostile_config: GraderConfig) -> None:
    result, elapsed = grade_appended(tmp_path, hostile_config, """
import time

try:  # a top-level block is run while loading; this one never ends and eats the statement timeout
    while True:
        try:
            time.sleep(10)
        except BaseException:
            pass
except BaseException:
    pass
""")
    assert elapsed < 15
    assert result.score == result.max_score
    assert any("timed out while loading" in note for note in result.notes), result.notes


# ---------------------------------------------------------------------------------------------- 3. memory bomb


MEMORY_BOMBS = {
    # 8 TiB at once: fails however much memory the machine has.
    "huge_array": """
def linear_forward(x, W, b):
    big = np.ones((1 << 40,))
    return x @ W + b, (x, W)
""",
    # Touched memory, 1 MiB at a time, stopping at 3 GiB: only the worker's memory limit (512 MiB here) makes it
    # fail; without the limit it would return the right answer and the test would fail.
    "growing_list": """
def linear_forward(x, W, b):
    hoard = []
    for _ in range(3 * 1024):
        hoard.append(np.ones(1 << 17))
    del hoard
    return x @ W + b, (x, W)
""",
}


@pytest.mark.parametrize("bomb", sorted(MEMORY_BOMBS))
def test_memory_bomb_fails_its_task_with_a_reason(tmp_path: Path, make_config, bomb: str) -> None:
    config = make_config(memory_mb=512, call_timeout=5.0)  # filling 512 MiB page by page may take ~0.5 s
    result, elapsed = grade_appended(tmp_path, config, MEMORY_BOMBS[bomb])
    assert elapsed < 30
    assert_zero(result, "linear_forward", "linear_backward")
    assert "MemoryError" in feedback(result, "linear_forward")
    assert_full_marks_except(result, config, "linear_forward", "linear_backward")


# ---------------------------------------------------------------------------------------------------- 4. crash


CRASHES = {
    "sigkill": ("os.kill(os.getpid(), 9)", "the worker died from SIGKILL"),
    "exit": ("os._exit(3)", "the worker exited with code 3"),
}


@pytest.mark.parametrize("crash", sorted(CRASHES))
def test_crash_fails_its_task_and_the_rest_is_graded(tmp_path: Path, hostile_config: GraderConfig,
                                                     crash: str) -> None:
    statement, reason = CRASHES[crash]
    result, elapsed = grade_appended(tmp_path, hostile_config, f"""
import os

def linear_forward(x, W, b):
    {statement}
""")
    assert elapsed < 15
    assert_zero(result, "linear_forward", "linear_backward")
    assert reason in feedback(result, "linear_forward")
    assert reason in feedback(result, "linear_backward")
    assert_full_marks_except(result, hostile_config, "linear_forward", "linear_backward")


def test_two_crashing_functions_cost_only_their_own_tasks(tmp_path: Path, hostile_config: GraderConfig) -> None:
    result, _ = grade_appended(tmp_path, hostile_config, """
import os

def linear_forward(x, W, b):
    os._exit(3)

def relu_forward(x):
    os._exit(4)
""")
    assert_full_marks_except(result, hostile_config, "linear_forward", "linear_backward", "relu_forward",
                             "relu_backward")


# --------------------------------------------------------------------------------------------- 5. output flood


def test_output_flood_at_top_level_is_bounded(tmp_path: Path, hostile_config: GraderConfig,
                                             workers: list) -> None:
    result, elapsed = grade_appended(tmp_path, hostile_config, """
_ = [print('x' * 1000) for _ in range(100000)]  # 100 MB, far past the file_kb limit of the output log
""")
    assert elapsed < 15
    assert_full_marks_except(result, hostile_config)
    assert result.score == result.max_score
    limit = hostile_config.limits.file_kb * 1024
    sizes = [w.log_size for w in workers]
    assert max(sizes) > limit // 2, sizes  # the flood did reach the log...
    assert max(sizes) <= limit, sizes  # ...and no further than file_kb


def test_debug_print_in_a_correct_function_keeps_full_marks(tmp_path: Path, hostile_config: GraderConfig) -> None:
    result, _ = grade_appended(tmp_path, hostile_config, """
def relu_forward(x):
    print("debug:", "." * 5000)  # 5 KB per call; the numeric gradient calls it a few hundred times
    return np.maximum(x, 0), x
""")
    assert_full_marks_except(result, hostile_config)


# ------------------------------------------------------------------------------------------ 6. reading secrets


STEAL = '''
import os as _os

_SECRETS = {candidates!r}
_stolen = {{}}

def _steal():
    """Exec the first readable reference solution into _stolen; read grader.toml too if it is there."""
    if _stolen:
        return _stolen
    for path in _SECRETS:
        try:
            with open(path) as handle:
                text = handle.read()
        except (OSError, ValueError):
            continue
        if "def linear_forward" in text:
            exec(compile(text, path, "exec"), _stolen)
            return _stolen
    raise NotImplementedError("nothing to steal")

try:  # at load time, like a top-level `exec(open(...).read())`
    _steal()
except BaseException:
    pass

def linear_forward(x, W, b):
    return _steal()["linear_forward"](x, W, b)

def linear_backward(dout, cache):
    return _steal()["linear_backward"](dout, cache)

def relu_forward(x):
    return _steal()["relu_forward"](x)

def relu_backward(dout, cache):
    return _steal()["relu_backward"](dout, cache)

def softmax_loss(scores, y):
    return _steal()["softmax_loss"](scores, y)

def count_params(layer_dims, bias=True):
    return _steal()["count_params"](layer_dims, bias)
'''


@needs_root
def test_reference_and_config_cannot_be_read(tmp_path: Path, hostile_config: GraderConfig) -> None:
    candidates = [str(REFERENCE), str(GRADER_TOML), "/work/main/reference/backprop.py", "/work/main/grader.toml",
                  f"/proc/1/root{REFERENCE}", f"/proc/{os.getpid()}/root{REFERENCE}", f"/proc/self/cwd/../{REFERENCE}",
                  "../" * 12 + str(REFERENCE).lstrip("/"), str(REFERENCE.relative_to(ROOT)),
                  str(hostile_config.assignments["backprop"].reference)]
    source = strip_solutions(REFERENCE.read_text()) + "\n\n" + STEAL.format(candidates=candidates)

    # Control: the same code in an unconfined process does steal the solutions.
    namespace: dict = {"__name__": "control"}
    exec(compile(source, "control", "exec"), namespace)
    assert namespace["count_params"]([3, 4, 2]) == 26

    result, _ = grade_source(tmp_path, hostile_config, source)
    assert result.isolation == "namespace"
    assert result.score == 0, {c.name: c.feedback for c in result.checks if c.score}
    assert set(result.task_outcomes().values()) == {Outcome.NOT_ATTEMPTED}
    assert "nothing to steal" in feedback(result, "linear_forward")


# ----------------------------------------------------------------------------------- 7. otter-style monkeypatch


PATCHES = """
import builtins, math, operator
import numpy
import numpy.testing

def _always(*args, **kwargs):
    return True

def _silent(*args, **kwargs):
    return None

numpy.allclose = _always
numpy.array_equal = _always
numpy.array_equiv = _always
numpy.isclose = lambda a, b, *args, **kwargs: numpy.ones(numpy.broadcast(a, b).shape, dtype=bool)
numpy.testing.assert_allclose = _silent
numpy.testing.assert_array_equal = _silent
numpy.testing.assert_array_almost_equal = _silent
numpy.testing.assert_almost_equal = _silent
math.isclose = _always
operator.eq = _always
builtins.abs = lambda value: 0
numpy.abs = numpy.absolute = lambda value, *args, **kwargs: numpy.zeros_like(value)
numpy.max = numpy.amax = lambda value, *args, **kwargs: 0.0
numpy.isfinite = lambda value, *args, **kwargs: numpy.ones(numpy.shape(value), dtype=bool)


class _Liar(numpy.ndarray):
    # An array that claims to equal everything (it cannot survive the trip to the grader).

    def __eq__(self, other):
        return numpy.ones(self.shape, dtype=bool).view(numpy.ndarray)

    def __ne__(self, other):
        return numpy.zeros(self.shape, dtype=bool).view(numpy.ndarray)


def _patched():
    if not (numpy.allclose(0, 1) and math.isclose(0, 1) and abs(-3) == 0):
        raise RuntimeError("the patches were not applied")
"""

NO_PATCHES = """
import numpy
_Liar = numpy.ndarray

def _patched():
    pass
"""

WRONG_FUNCTIONS = """
def linear_forward(x, W, b):
    _patched()
    return numpy.zeros((x.shape[0], W.shape[1])).view(_Liar), (x, W)

def linear_backward(dout, cache):
    _patched()
    x, W = cache
    return numpy.zeros_like(x), numpy.zeros_like(W), numpy.zeros(W.shape[1])

def relu_forward(x):
    _patched()
    return numpy.zeros_like(x), x

def relu_backward(dout, cache):
    _patched()
    return numpy.zeros_like(dout)

def softmax_loss(scores, y):
    _patched()
    return 0.0, numpy.zeros_like(scores)

def count_params(layer_dims, bias=True):
    _patched()
    return 0
"""


def test_patched_comparisons_do_not_reach_the_checks(tmp_path: Path, hostile_config: GraderConfig) -> None:
    skeleton = strip_solutions(REFERENCE.read_text())
    patched, _ = grade_source(tmp_path, hostile_config, skeleton + PATCHES + WRONG_FUNCTIONS, "patched")
    plain, _ = grade_source(tmp_path, hostile_config, skeleton + NO_PATCHES + WRONG_FUNCTIONS, "plain")
    assert patched.notes == [] and plain.notes == []
    assert "patches were not applied" not in "".join(c.feedback for c in patched.checks)
    by_name = {c.name: c for c in patched.checks}
    # The functions ran and returned well-formed answers (so the patches were live in the worker)...
    for name in ("linear_forward / structure", "relu_forward / structure", "relu_backward / structure"):
        assert by_name[name].outcome is Outcome.PASSED, by_name[name].feedback
    # ...but every check of a value is judged in the grader, against the reference...
    value_checks = ["linear_forward / values", "linear_backward / values", "relu_forward / values",
                    "relu_backward / values", "softmax_loss / loss", "softmax_loss / gradient",
                    "softmax_loss / stability", "count_params / with_bias", "count_params / without_bias"]
    for name in value_checks:
        assert by_name[name].score == 0, f"{name}: {by_name[name].feedback}"
    # ...and the patches earn nothing at all: the same wrong functions without them score exactly the same.
    assert [(c.name, c.score) for c in patched.checks] == [(c.name, c.score) for c in plain.checks]
    assert patched.score < patched.max_score / 2


# ------------------------------------------------------------------------------------------------ 8. fork bomb


FORK_BOMB = """
import os as _os, time as _time

_forks = {"attempts": 0, "refused": False}

def count_params(layer_dims, bias=True):
    # At most 100 fork attempts in this worker's life; each child sleeps 0.5 s and leaves.
    while _forks["attempts"] < 100:
        _forks["attempts"] += 1
        try:
            pid = _os.fork()
        except OSError:  # EAGAIN: the worker's NPROC limit
            _forks["refused"] = True
            break
        if pid == 0:
            try:
                _time.sleep(0.5)
            finally:
                _os._exit(0)
    if not _forks["refused"]:
        return -1  # 100 forks and none refused: the process limit did not apply
    return sum(d_in * d_out + (d_out if bias else 0) for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]))
"""


@needs_root
def test_fork_bomb_is_bounded_by_the_process_limit(tmp_path: Path, hostile_config: GraderConfig,
                                                   workers: list) -> None:
    assert hostile_config.limits.processes < 100
    result, elapsed = grade_appended(tmp_path, hostile_config, FORK_BOMB)
    assert elapsed < 15
    # count_params gets its points only if a fork was refused, i.e. the NPROC limit held.
    assert_full_marks_except(result, hostile_config)
    assert workers  # the autouse fixture then checks that no process of these workers' uids is left


ESCAPED_DAEMON = """
import os as _os, time as _time

_daemon = []

def count_params(layer_dims, bias=True):
    # Once, leave a daemon behind: double fork, new session, then sleep far longer than the test's 5 s wait.
    if not _daemon:
        _daemon.append(_os.fork())
        if _daemon[0] == 0:
            try:
                _os.setsid()
                if _os.fork() == 0:
                    _time.sleep(60)
            finally:
                _os._exit(0)
    return sum(d_in * d_out + (d_out if bias else 0) for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]))
"""


@needs_root
def test_a_daemon_left_behind_is_killed_with_its_worker(tmp_path: Path, hostile_config: GraderConfig,
                                                         workers: list) -> None:
    """A process that left the worker's group and session, and would outlive the test, is still found (it
    runs under the worker's uid) and killed when the worker ends; the grades are unaffected."""
    sweeps = sandbox.shared_zygote().stats()["sweeps"]
    result, _ = grade_appended(tmp_path, hostile_config, ESCAPED_DAEMON)
    assert_full_marks_except(result, hostile_config)
    assert workers  # the autouse fixture checks, within 5 s, that no process of these uids is alive
    assert sandbox.shared_zygote().stats()["sweeps"] > sweeps


# This daemon closes what it inherited, as a real one does, so the worker's exit is seen at once.
CRASH_AFTER_DAEMON = ESCAPED_DAEMON.replace("_time.sleep(60)", "_os.closerange(0, 256); _time.sleep(60)").replace(
    "    return sum(", "    _os._exit(3)\n    return sum(", 1)


@needs_root
def test_a_daemon_left_by_a_worker_that_then_crashed_is_killed(tmp_path: Path, hostile_config: GraderConfig,
                                                                workers: list) -> None:
    """The worker exits on its own after leaving a daemon: the grader learns how it died, and the daemon is
    still found and killed (the autouse fixture checks that no process of these uids is alive)."""
    result, _ = grade_appended(tmp_path, hostile_config, CRASH_AFTER_DAEMON)
    assert "exited with code 3" in feedback(result, "count_params")
    assert_full_marks_except(result, hostile_config, "count_params")


NETWORK_PROBE = """
import socket as _socket

def zero_init_loss(num_classes):
    # A correct answer only if no connection could be made: not to the grader's host, not to the world.
    for address in [("127.0.0.1", {port}), ("8.8.8.8", 53)]:
        try:
            _socket.create_connection(address, timeout=0.5).close()
            return -1.0
        except OSError:
            pass
    import math
    return math.log(num_classes)
"""


@needs_root
def test_a_worker_reaches_no_network(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """A listener on the host's loopback and an outside address are both out of reach from student code
    (the worker's network namespace has no interface up), for every worker in turn."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        probe = NETWORK_PROBE.replace("{port}", str(listener.getsockname()[1]))
        for _ in range(2):  # the second worker runs in the same zygote after the first
            result, _ = grade_appended(tmp_path, hostile_config, probe)
            assert_full_marks_except(result, hostile_config)


@needs_root
def test_a_worker_that_left_nothing_behind_needs_no_sweep(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """The uid sweep (a fork of the zygote) is skipped when a worker's uid has no process left."""
    sweeps = sandbox.shared_zygote().stats()["sweeps"]
    result, _ = grade_appended(tmp_path, hostile_config, "")
    assert_full_marks_except(result, hostile_config)
    assert sandbox.shared_zygote().stats()["sweeps"] == sweeps


# -------------------------------------------------------------------------------- 9. garbage in the protocol


def _frame(payload: bytes) -> bytes:
    """A well-formed reply frame holding this JSON and no array buffers."""
    inner = struct.pack(">I", len(payload)) + payload
    return struct.pack(">I", len(inner)) + inner


PROTOCOL_GARBAGE = {
    "stdout": (1, b"garbage"),
    "request_pipe": (3, b"garbage"),
    "reply_pipe": (PROTOCOL_FD, b"garbage"),
    # A well-formed frame that leaves out "result": the grader reads it as this call's reply, and the real reply
    # then answers the next request, and so on.
    "forged_reply": (PROTOCOL_FD, _frame(json.dumps({"ok": True}).encode())),
    "deeply_nested": (PROTOCOL_FD, _frame(b"[" * 100_000 + b"]" * 100_000)),
    "echo_not_a_list": (PROTOCOL_FD, _frame(json.dumps({"ok": True, "result": {"T": [None, None]},
                                                        "echo": 5}).encode())),
}
PROTOCOL_BUGS: dict[str, str] = {}  # name -> reason, for a known bug marked xfail(strict=True)


@pytest.mark.parametrize("garbage", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=PROTOCOL_BUGS[name]))
    if name in PROTOCOL_BUGS else name
    for name in PROTOCOL_GARBAGE])
def test_garbage_written_to_the_protocol(tmp_path: Path, hostile_config: GraderConfig, garbage: str) -> None:
    fd, data = PROTOCOL_GARBAGE[garbage]
    result, elapsed = grade_appended(tmp_path, hostile_config, f"""
import os as _os

def linear_forward(x, W, b):
    try:
        _os.write({fd}, {data!r})
    except OSError:
        pass
    return x @ W + b, (x, W)
""")
    assert elapsed < 15
    outcome = result.task_outcomes()["linear_forward"]
    assert outcome is Outcome.PASSED or "crashed" in feedback(result, "linear_forward")
    if garbage == "reply_pipe":  # confirms PROTOCOL_FD is the reply pipe, so the forged frames do reach the grader
        assert "crashed" in feedback(result, "linear_forward")
    assert_full_marks_except(result, hostile_config, "linear_forward", "linear_backward")


# ------------------------------------------------------------------------------------------ 10. messy notebook


def test_messy_notebook_keeps_full_marks(tmp_path: Path, hostile_config: GraderConfig) -> None:
    extra = [
        "x = np.random.randn(100, 50)\n%timeit relu_forward(x)",
        "!ls -la /\nfiles = !ls",
        "def broken(:\n    pass",
        "data = np.load('training_data.npy')  # raises at top level: the file is not there",
        "raise RuntimeError('experiments below')",
        "losses = []\nwhile True:\n    loss, dscores = softmax_loss(np.random.randn(64, 10), np.zeros(64, dtype=int))\n"
        "    losses.append(loss)",
        "if True:\n    while True:  # a training loop hidden in a block that is run\n        pass",
        "%%time\nwhile True:\n    pass",
        "linear_forward?",
    ]
    notebook = notebook_from_source(REFERENCE.read_text(), extra_cells=extra)
    syntax_cell = 1 + next(i for i, cell in enumerate(notebook.cells) if cell.source.startswith("def broken(:"))
    path = write_notebook(notebook, tmp_path / "messy.ipynb")
    start = time.monotonic()
    result = grade_submission(path, "backprop", hostile_config)
    assert time.monotonic() - start < 15
    assert result.score == result.max_score, result.notes
    assert any(note.startswith(f"cell {syntax_cell} does not parse") for note in result.notes), result.notes
    assert any("FileNotFoundError" in note for note in result.notes), result.notes
    assert any("stopped after 1 s" in note for note in result.notes), result.notes
