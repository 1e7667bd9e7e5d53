"""A submission's wall-clock time is bounded (issue 11, item 3): loading and its replays share one budget, a
worker lost again and again while loading stops being restarted, loading is linear in the length of a file, and
a submission slow in every call costs its [grading] time_budget, with what was not reached scored 0 and why.

Same rules as tests/test_hostile.py, whose fixtures these tests use: every hostile loop is bounded, nothing can
hurt the machine, and the autouse fixture checks that no worker process or scratch folder is left.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from autograder.course.config import GraderConfig
from autograder.course.registry import ASSIGNMENTS
from autograder.grading import grade_submission, time_budget
from autograder.sandbox.runner import MAX_RESTARTS
from tests.test_hostile import (  # noqa: F401  fixtures, used by name
    REFERENCE,
    assert_full_marks_except,
    grade_appended,
    hostile_config,
    make_config,
    workers,
)


def _with(config: GraderConfig, **grading: float) -> GraderConfig:
    return dataclasses.replace(config, grading=dataclasses.replace(config.grading, **grading))


def test_the_default_budget_is_the_loading_budget_and_one_timeout_per_task(hostile_config: GraderConfig) -> None:
    backprop = ASSIGNMENTS["backprop"]
    assert time_budget(hostile_config, backprop) == hostile_config.grading.load_timeout + \
        hostile_config.grading.call_timeout * len(backprop.tasks) + 30
    assert time_budget(_with(hostile_config, time_budget=12.5), backprop) == 12.5


def test_replays_share_the_loading_budget(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """Slow top-level statements, then functions that each hang once: every hang restarts the worker, and the
    restart replays the loading. Before, each replay had a fresh load_timeout (12 x sleep(4) took 183 s); now
    what the first load did not reach is never run, and replays redo only what it ran."""
    config = _with(hostile_config, load_timeout=2.0)
    slow = "\n".join(f"_slow{i} = _time.sleep(0.45)" for i in range(12))
    hangs = "\n".join(f"""
def {name}(*args):
    while True:
        pass
""" for name in ("relu_forward", "relu_backward", "count_params"))
    result, elapsed = grade_appended(tmp_path, config, f"import time as _time\n{slow}\n{hangs}")
    # The slow statements come after the reference's definitions: the hanging ones are never defined.
    not_run = [note for note in result.notes if "loading budget was used up" in note]
    assert len(not_run) >= 6, result.notes
    assert not any("timed out while loading" in note for note in result.notes), result.notes  # no one's fault
    # First load 2 s, one replay of what it ran, three hangs of 1 s each with a replay: about 12 s. Before, each
    # replay ran a fresh 2 s of statements (about 25 s).
    assert elapsed < 17, elapsed
    assert_full_marks_except(result, config, "relu_forward", "relu_backward", "count_params")


def test_a_worker_lost_again_and_again_while_loading_is_restarted_a_bounded_number_of_times(
        tmp_path: Path, hostile_config: GraderConfig) -> None:
    """40 statements that each kill the worker: each used to cost a fresh worker and a replay of everything
    before it (101 s). Replays are restarts: after MAX_RESTARTS, what follows the last culprit is not run."""
    crashes = "\n".join(f"_crash{i} = _os._exit(3)" for i in range(40))
    result, elapsed = grade_appended(tmp_path, hostile_config, f"import os as _os\n{crashes}\n")
    assert elapsed < 30, elapsed
    assert sum("skipped:" in note for note in result.notes) == MAX_RESTARTS, result.notes
    assert any(f"lost {MAX_RESTARTS} times while loading" in note for note in result.notes), result.notes
    assert_full_marks_except(result, hostile_config)


def test_loading_is_linear_in_the_length_of_a_file(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """A .py file of 60 000 one-line statements: each statement used to be compiled behind as many empty lines
    as came before it (quadratic: 184 000 statements never finished)."""
    padding = "\n".join(f"_v{i} = {i}" for i in range(60_000))
    config = _with(hostile_config, load_timeout=10.0)  # padded, the statements took about 25 s here
    result, elapsed = grade_appended(tmp_path, config, padding + "\n_last = 1 / 0\n")
    assert elapsed < 40, elapsed
    last = (REFERENCE.read_text() + "\n\n" + padding).count("\n") + 2  # the line of `_last = 1 / 0`
    assert any(note.startswith(f"line {last}: ZeroDivisionError") for note in result.notes), result.notes[-3:]
    assert_full_marks_except(result, config)


def test_a_submission_slow_in_every_call_costs_its_budget(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """Every function sleeps just under call_timeout on every call: before, full marks after ten minutes. Now the
    submission stops at its budget; what was not reached scores 0 with the reason."""
    config = _with(hostile_config, time_budget=8.0)
    slow = "\n".join(f"""
_{name} = {name}

def {name}(*args, **kwargs):
    _time.sleep(0.9)
    return _{name}(*args, **kwargs)
""" for name in ("linear_forward", "linear_backward", "relu_forward", "relu_backward", "softmax_loss"))
    source = REFERENCE.read_text() + "\n\nimport time as _time\n" + slow
    path = tmp_path / "slow.py"
    path.write_text(source)
    start = time.monotonic()
    result = grade_submission(path, "backprop", config)
    elapsed = time.monotonic() - start
    assert elapsed < 8.0 + 4.0, elapsed
    assert result.error is None and result.score < result.max_score
    unreached = [c for c in result.checks if "time budget" in c.feedback]
    assert unreached and all(c.score == 0 for c in unreached)
    assert any("the submission used up its 8 s time budget" in c.feedback for c in unreached)
    assert not any("crashed" in c.feedback for c in result.checks)  # a spent budget is not a crash
    # The question tasks come last and are answered in microseconds, but they were not reached.
    assert all(c.score == 0 for c in result.checks if c.task == "sigmoid_neuron_grads")
