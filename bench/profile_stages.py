"""Where grading time goes, per stage: wall milliseconds per notebook, each stage's own time (nested stages
are subtracted from the stage they run in, so the column sums to the total).

    python bench/profile_stages.py --count 212 --assignment backprop

Grades the benchmark's batch (bench_grading.make_batch) with one grader, in this process, with a timer around
each stage's function. The grader's side is timed directly; a worker's time shows as the grader waiting for
its reply, inside the stage that asked ("calls: ..."). Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_grading import make_batch  # noqa: E402

import autograder.batch.run as batch_run  # noqa: E402
import autograder.checks as checks  # noqa: E402
import autograder.checks.common as common  # noqa: E402
import autograder.checks.training as training  # noqa: E402
import autograder.grading as grading  # noqa: E402
from autograder.course.config import load_config  # noqa: E402
from autograder.sandbox.runner import StudentRunner  # noqa: E402
from autograder.sandbox.workers import Worker  # noqa: E402

OWN: dict[str, float] = defaultdict(float)  # stage -> seconds spent in it, nested stages excluded
COUNT: dict[str, int] = defaultdict(int)
_stack: list[list[Any]] = []  # [stage, started, seconds of nested stages]


def _timed(stage: Callable[..., str] | str, function: Callable) -> Callable:
    """`function`, timing each call as `stage` (or `stage(*args)` when it depends on the call)."""
    @wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        name = stage(*args, **kwargs) if callable(stage) else stage
        frame = [name, time.perf_counter(), 0.0]
        _stack.append(frame)
        try:
            return function(*args, **kwargs)
        finally:
            _stack.pop()
            spent = time.perf_counter() - frame[1]
            OWN[name] += spent - frame[2]
            COUNT[name] += 1
            if _stack:
                _stack[-1][2] += spent
    return timed


def _in_task(*args: Any, **kwargs: Any) -> str:
    """A worker round trip, named after the task stage it serves."""
    outer = next((frame[0] for frame in reversed(_stack) if not frame[0].startswith("calls")), "")
    return f"calls: {outer}" if outer else "calls: other"


def instrument() -> None:
    batch_run.grade_with_code = _timed("grading: other", grading.grade_with_code)
    grading.load_submission = _timed("read the notebook", grading.load_submission)
    grading.plan_program = _timed("plan the program (ast)", grading.plan_program)
    StudentRunner._start = _timed(lambda self, first=False, **_: "worker start" if first else "worker restart",
                                  StudentRunner._start)
    StudentRunner._load = _timed("load the student's code", StudentRunner._load)
    StudentRunner.__exit__ = _timed("worker close", StudentRunner.__exit__)
    grading.grade_task = _timed(lambda ctx, task: f"judge: {type(task).__name__}", checks.grade_task)
    StudentRunner.sweep_many = _timed("numeric gradients", StudentRunner.sweep_many)
    checks.grade_training = _timed("training", training.grade_training)
    common.diagnose = _timed("diagnosis", common.diagnose)
    Worker.request = _timed(_in_task, Worker.request)
    batch_run._write_one = _timed("write results", batch_run._write_one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="backprop", choices=["backprop", "rnn", "conv1d"])
    parser.add_argument("--count", type=int, default=212)
    args = parser.parse_args()
    config = load_config(ROOT / "grader.toml")
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_batch(args.assignment, args.count, Path(tmp) / "subs")
        batch_run.grade_batch(paths[:4], assignment=args.assignment, out_dir=Path(tmp) / "warm", config=config,
                              jobs=1)
        instrument()
        started = time.perf_counter()
        batch_run.grade_batch(paths, assignment=args.assignment, out_dir=Path(tmp) / "out", config=config, jobs=1)
        total = time.perf_counter() - started
    print(f"{args.count} {args.assignment} notebooks, 1 grader: {1000 * total / args.count:.1f} ms per notebook")
    print(f"{'stage':42}{'ms/notebook':>12}{'share':>8}{'calls/nb':>10}")
    for stage, seconds in sorted(OWN.items(), key=lambda item: -item[1]):
        print(f"{stage:42}{1000 * seconds / args.count:12.2f}{seconds / total:8.0%}{COUNT[stage] / args.count:10.1f}")
    rest = total - sum(OWN.values())
    print(f"{'batch (discovery, gradebook, summary)':42}{1000 * rest / args.count:12.2f}{rest / total:8.0%}")


if __name__ == "__main__":
    main()
