"""Issue 11, "done when": one class that mixes the hostile submissions of items 1-9 with honest ones.

Does a batch of them, graded in two grader processes, end with a gradebook in which every honest submission
scores exactly as it does graded alone, every hostile one has a row (below full marks, or with the reason it
was not graded, unless its attack is one that costs nothing), and all of it within a wall time computed from
the config?

The attacks are those of tests/test_hostile*.py and tests/test_hidden.py, reused as they are: each is bounded
(counted loops, 1 s timeouts, sleeps the worker's timeouts cut short, a 900 MiB reservation that is never
touched, sparse files, at most 100 fork attempts) and nothing of the run may be left afterwards.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import struct
import time
from pathlib import Path

import pytest

from autograder.authoring.skeleton import strip_solutions
from autograder.batch import run as batch
from autograder.batch.run import grade_batch
from autograder.course.config import GraderConfig
from autograder.course.registry import ASSIGNMENTS
from autograder.grading import time_budget
from autograder.intake.submission import MAX_SOURCE_BYTES
from autograder.sandbox import runner as runner_module
from autograder.sandbox.isolation import Limits, worker_uid
from autograder.sandbox.wire import MAX_FRAME_BYTES
from tests.conftest import MUTANTS, affected, reference_source, write_submission
from tests.test_hidden import LEAKED_TASKS, LEAKING
from tests.test_hostile import (  # noqa: F401  fixtures, used by name
    FORK_BOMB,
    GRADER_TOML,
    IS_ROOT,
    PROTOCOL_FD,
    REFERENCE,
    STEAL,
    _live_processes,
    hostile_config,
    make_config,
    workers,
)
from tests.test_hostile_batch import HOGS
from tests.test_hostile_isolation import INODE_BOMB
from tests.test_hostile_replies import FORGED_REPLIES, _frame
from tests.test_hostile_training import RADIUS_FORGE

JOBS = 2
TIME_BUDGET = 15.0  # [grading] time_budget of this class: the slowest attack (slow in every call) costs this
PER_SUBMISSION_SLACK = 6.0  # beyond its budget: the last call's kill, a worker's restart, judging, writing files
BATCH_SLACK = 20.0  # forking the grader processes, their zygotes, the class outputs, a loaded 2-core machine

# ------------------------------------------------------------------------------------- honest submissions

# name -> (source, as a notebook?). Correct styles and honest mistakes from the labelled corpus (each appended
# to the reference, as tests/test_mutants.py grades them); each must score in the class exactly as alone.
HONEST = {
    "honest_reference": ("", False),
    "honest_reference_nb": ("", True),
    "honest_einsum": ("correct__einsum", False),
    "honest_loops_nb": ("correct__python-loops", True),
    "honest_logsumexp": ("correct__logsumexp", False),
    "honest_dict_cache_nb": ("correct__dict-cache", True),
    "honest_dw_transposed": ("linear_backward__dW-transposed", False),
    "honest_no_max_shift_nb": ("softmax_loss__no-max-shift", True),
    "honest_hangs": ("linear_forward__hangs", False),  # times out once, as it does alone
}


def _honest_source(mutant: str) -> str:
    if not mutant:
        return reference_source("backprop")
    return reference_source("backprop") + "\n\n" + (MUTANTS / "backprop" / f"{mutant}.py").read_text()


# ------------------------------------------------------------------------------------ hostile submissions


def _in_linear_forward(data: bytes, then: str = "return x @ W + b, (x, W)") -> str:
    """A linear_forward that writes `data` into the worker's reply pipe, then does `then`."""
    return f"""
import os as _os
import time as _time

def linear_forward(x, W, b):
    try:
        _os.write({PROTOCOL_FD}, {data!r})
    except OSError:
        pass
    {then}
"""


STOPS_READING = _frame({"ok": True, "replies": [{"ok": True, "result": {"T": [{"A": ["<f8", [0], ""]},
                                                                              {"H": [1, "X" * 300_000]}]}}] * 6})
SLOW_NAMES = ("linear_forward", "linear_backward", "relu_forward", "relu_backward", "softmax_loss")
SLOW_IN_EVERY_CALL = "\nimport time as _time\n" + "\n".join(f"""
_{name} = {name}

def {name}(*args, **kwargs):
    _time.sleep(0.9)
    return _{name}(*args, **kwargs)
""" for name in SLOW_NAMES)
CRASHES_AT_LOAD = "import os as _os\n" + "\n".join(f"_crash{i} = _os._exit(3)" for i in range(40)) + "\n"
STEAL_CANDIDATES = [str(REFERENCE), str(GRADER_TOML), f"/proc/1/root{REFERENCE}", "../" * 12 + str(REFERENCE)[1:],
                    f"/proc/self/cwd/../{REFERENCE}"]

# name -> (item of issue 11, source, hit). The source is appended to the reference unless it is a whole file
# (starts with "#whole"). `hit`: the tasks the attack is aimed at, each of which must lose points, while every
# task that neither is nor depends on one of them keeps full marks, as in the attack's own test; ALL: the attack
# may cost any task, and the submission must lose points. An empty `hit` is a harmless attack, one that its
# own test shows to cost nothing (the grader copes with it): it must keep full marks here too.
ALL = ("*",)
HOSTILE: dict[str, tuple[int, str, tuple[str, ...]]] = {
    "h1_float_bad_repr": (1, """
class _F(float):
    def __repr__(self):
        return "zero point five"

_softmax_loss = softmax_loss

def softmax_loss(x, y):
    loss, dx = _softmax_loss(x, y)
    return _F(loss), dx
""", ()),
    "h1_forged_shape": (1, _in_linear_forward(_frame(FORGED_REPLIES["empty_array_of_huge_shape"])),
                        ("linear_forward",)),
    "h1_frame_while_loading": (1, f"""
import os as _os
try:
    _os.write({PROTOCOL_FD}, {_frame({"ok": True, "replies": [{"ok": True}]})!r})
except OSError:
    pass
""", ()),
    "h2_endless_loop": (2, """
def relu_forward(x):
    while True:
        pass
""", ("relu_forward",)),
    "h2_stops_reading": (2, _in_linear_forward(STOPS_READING, then="_time.sleep(60)"), ("linear_forward",)),
    "h3_slow_in_every_call": (3, SLOW_IN_EVERY_CALL, ALL),
    "h3_crashes_at_load": (3, CRASHES_AT_LOAD, ()),
    "h5_memory_hog": (5, HOGS["hog_out_of_time"], ("linear_forward",)),
    "h5_oversized_reply": (5, _in_linear_forward(struct.pack(">I", MAX_FRAME_BYTES + 1)), ("linear_forward",)),
    "h6_training_forge": (6, RADIUS_FORGE, ("linear_forward", "linear_backward", "relu_backward", "two_layer_net")),
    "h7_leaky_exceptions": (7, LEAKING, LEAKED_TASKS),
    "h9_crash_in_function": (9, """
import os

def linear_forward(x, W, b):
    os._exit(3)
""", ("linear_forward",)),
    "h9_output_flood": (9, "_ = [print('x' * 1000) for _ in range(100000)]  # 100 MB, past file_kb\n", ()),
}
if IS_ROOT:  # these three rely on the confinement applied as root (see their tests' needs_root)
    HOSTILE["h5_inode_bomb"] = (5, INODE_BOMB.format(tries=5 * Limits().tmpfs_files,
                                                     limit=Limits().tmpfs_files), ())
    HOSTILE["h8_steal_reference"] = (8, "#whole\n" + strip_solutions(REFERENCE.read_text()) + "\n\n"
                                     + STEAL.format(candidates=STEAL_CANDIDATES), ALL)
    HOSTILE["h9_fork_bomb"] = (9, FORK_BOMB, ())
# Item 4 is in the files, not the code: a folder whose backprop.py links to the reference, and a folder whose
# (sparse) file is over the size cap. Neither is read; both rows say why.
NOT_READ = {"h4_symlink_to_reference": "symbolic link", "h4_oversized_file": "more than the"}


# ---------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def run_log(tmp_path: Path, workers, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file in which every worker (of this process or of a forked grader process) writes its uid and scratch
    folder, and every grader process its pid: the forked ones are outside the autouse fixture's view."""
    log = tmp_path / "run.log"
    recording = runner_module.Worker  # the autouse fixture's RecordingWorker

    def note(line: str) -> None:
        with open(log, "a") as stream:  # one short line per write: appends from two processes do not mix
            stream.write(line + "\n")

    class LoggedWorker(recording):
        def __init__(self, limits) -> None:
            try:
                super().__init__(limits)
            finally:
                if hasattr(self, "pid"):
                    note(f"worker {worker_uid(self.pid)} {self.scratch}")

    real_start = batch._start_grader_process

    def start() -> None:
        note(f"grader {os.getpid()}")
        real_start()

    monkeypatch.setattr(runner_module, "Worker", LoggedWorker)
    monkeypatch.setattr(batch, "_start_grader_process", start)
    return log


def _with_budget(config: GraderConfig) -> GraderConfig:
    return dataclasses.replace(config, grading=dataclasses.replace(config.grading, time_budget=TIME_BUDGET))


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader((out / "gradebook.csv").open())}


def _graded(out: Path, sid: str) -> dict:
    """Everything grade.json says about the grading itself: every check (score, outcome, feedback, diagnosis,
    evidence), the notes, the timeouts and the isolation."""
    return json.loads((out / sid / "grade.json").read_text())["result"]


def _write_class(folder: Path) -> dict[str, Path]:
    """Every submission of the mixed class in `folder`; name -> path."""
    folder.mkdir()
    paths = {}
    for name, (mutant, notebook) in HONEST.items():
        paths[name] = write_submission(folder, name, _honest_source(mutant), notebook=notebook)
    for name, (_, source, _) in HOSTILE.items():
        whole = source.startswith("#whole\n")
        paths[name] = write_submission(folder, name, source if whole else
                                       reference_source("backprop") + "\n\n" + source)
    linked = folder / "h4_symlink_to_reference"
    linked.mkdir()
    (linked / "backprop.py").symlink_to(REFERENCE)
    oversized = folder / "h4_oversized_file"
    oversized.mkdir()
    with (oversized / "hw.py").open("wb") as stream:
        stream.truncate(MAX_SOURCE_BYTES + 1)  # sparse: no disk used
    paths.update(h4_symlink_to_reference=linked, h4_oversized_file=oversized)
    return paths


# ------------------------------------------------------------------------------------------------- test


@pytest.mark.slow
def test_integration_a_class_mixing_every_attack_with_honest_submissions(
        tmp_path: Path, hostile_config: GraderConfig, run_log: Path) -> None:
    """Issue 11's closing test: is every honest submission's grade in a class full of attacks exactly its grade
    alone, does every attack get a row that does not reward it, and does the class end in bounded time?"""
    items = {item for item, _, _ in HOSTILE.values()} | {4}  # item 4: NOT_READ
    assert items == set(range(1, 10)) - (set() if IS_ROOT else {8}), items
    config = _with_budget(hostile_config)
    assert config.grading.call_timeout == 1.0 and time_budget(config, ASSIGNMENTS["backprop"]) == TIME_BUDGET
    paths = _write_class(tmp_path / "class")

    alone: dict[str, tuple[dict, dict[str, str]]] = {}
    for name in HONEST:  # each honest submission alone, same config, in this process
        folder = tmp_path / "alone" / name
        folder.mkdir(parents=True)
        target = folder / paths[name].name
        target.write_bytes(paths[name].read_bytes())
        out = tmp_path / "alone-out" / name
        grade_batch([folder], assignment="backprop", out_dir=out, config=config, jobs=1)
        alone[name] = (_graded(out, name), _rows(out)[name])

    out = tmp_path / "out"
    started = time.monotonic()
    report = grade_batch([tmp_path / "class"], assignment="backprop", out_dir=out, config=config, jobs=JOBS)
    elapsed = time.monotonic() - started

    submissions = len(HONEST) + len(HOSTILE) + len(NOT_READ)
    graded_hostile = len(HOSTILE)
    # Every submission costs at most its budget plus slack (the budget caps every call and every replay); the
    # honest ones take well under the slack alone. Two grader processes share the load.
    per_hostile = TIME_BUDGET + PER_SUBMISSION_SLACK
    bound = (graded_hostile * per_hostile + (len(HONEST) + len(NOT_READ)) * PER_SUBMISSION_SLACK) / JOBS \
        + BATCH_SLACK
    times = {sid: json.loads((out / sid / "grade.json").read_text())["execution_time"] for sid in paths}
    scheduled = sum(times.values()) / JOBS + max(times.values()) + BATCH_SLACK
    slowest = sorted(times.items(), key=lambda item: -item[1])[:5]
    print(f"\nmixed class: {len(HONEST)} honest, {graded_hostile} hostile graded, {len(NOT_READ)} not read; "
          f"jobs={JOBS}, time_budget={TIME_BUDGET:g} s; wall time {elapsed:.1f} s (bound {bound:.0f} s, "
          f"by list scheduling of the measured times {scheduled:.0f} s); "
          f"slowest: " + ", ".join(f"{sid} {t:.1f} s" for sid, t in slowest))

    # The batch finished, with one row per submission, and one record each.
    rows = _rows(out)
    assert sorted(rows) == sorted(paths), set(rows) ^ set(paths)
    assert report.graded == submissions and len(report.results) == submissions
    assert (out / "summary.json").exists() and (out / "canvas.csv").exists()

    # Every honest submission: the very same checks (score, outcome, feedback) and gradebook row as alone.
    for name in HONEST:
        graded, row = alone[name]
        assert _graded(out, name) == graded, f"{name} was graded otherwise in the mixed class"
        assert rows[name] == row, (name, rows[name], row)
    assert rows["honest_reference"]["percent"] == rows["honest_reference_nb"]["percent"] == "100"
    assert rows["honest_dw_transposed"]["percent"] != "100" and rows["honest_hangs"]["percent"] != "100"

    # Every hostile submission: a row, never an internal error of the grader (each attack is handled, not
    # merely survived); the tasks it aims at lose points, the others keep theirs; a harmless one keeps all.
    results = {r.id: r for r in report.results}
    full = {task: float(sum(checks.values())) for task, checks in config.assignments["backprop"].points.items()}
    for name, (_, _, hit) in HOSTILE.items():
        row, scores = rows[name], results[name].task_scores()
        assert row["max"] == "39" and row["status"] == "graded", (name, row)
        if hit == ALL:
            assert float(row["total"]) < float(row["max"]), f"{name} was not stopped: {row}"
            continue
        kept = {task: scores[task] for task in hit if scores[task] >= full[task]}
        assert not kept, f"{name} kept the marks of the tasks it attacks: {kept}"
        lost = {task: (scores[task], full[task]) for task in full
                if task not in affected(*hit) and scores[task] < full[task]}
        assert not lost, f"{name} cost tasks it does not touch: {lost}"
    for name, why in NOT_READ.items():
        assert rows[name]["total"] == "0" and why in rows[name]["status"], (name, rows[name])
    assert results["h3_slow_in_every_call"].task_scores()["sigmoid_neuron_grads"] == 0.0
    assert any("time budget" in c.feedback for c in results["h3_slow_in_every_call"].checks)
    assert results["h6_training_forge"].task_scores()["two_layer_net"] == 0.0
    assert results["h2_endless_loop"].task_scores()["relu_forward"] == 0.0
    if IS_ROOT:
        assert results["h8_steal_reference"].score == 0.0

    # Bounded: each submission within its budget and slack, the class within the bound computed from them.
    over = {sid: t for sid, t in times.items() if t > per_hostile}
    assert not over, f"submissions past time_budget + {PER_SUBMISSION_SLACK:g} s: {over}"
    assert elapsed < bound, f"the class took {elapsed:.1f} s, more than {bound:.0f} s"
    # And nothing outside the submissions' own grading waits: two processes that always take the next
    # submission end within (sum of the times) / jobs + the longest time (list scheduling), plus the slack.
    assert elapsed < scheduled, f"the class took {elapsed:.1f} s, its submissions {sum(times.values()):.1f} s"

    # Nothing of the run is left: no grader process, no worker process (by uid), no scratch folder.
    lines = run_log.read_text().splitlines()
    graders = [int(line.split()[1]) for line in lines if line.startswith("grader ")]
    uids = {int(line.split()[1]) for line in lines if line.startswith("worker ")}
    scratch = [line.split(None, 2)[2] for line in lines if line.startswith("worker ")]
    assert len(graders) >= JOBS and uids
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and (_alive(graders) or (IS_ROOT and _live_processes(uids))):
        time.sleep(0.1)
    assert not _alive(graders), "grader processes of the batch survived it"
    assert not (IS_ROOT and _live_processes(uids)), "worker processes survived the batch"
    assert not [s for s in scratch if os.path.exists(s)], "worker scratch folders were left"


def _alive(pids: list[int]) -> list[int]:
    """The pids that are still a live (not zombie) process."""
    found = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(pid)
    return found

