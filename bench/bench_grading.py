"""Benchmark: per-submission grading time over a batch of generated notebook submissions.

    python bench/bench_grading.py --count 40 --jobs 2 --assignment backprop

The batch mixes correct notebooks, realistic bugs from tests/mutants/ and untouched skeletons, written as real
nbformat notebooks with the experiment cells students leave behind. Prints wall time per submission, amortized
over the batch. Not a test: numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.batch import grade_batch  # noqa: E402
from autograder.config import load_config  # noqa: E402
from autograder.notebooks import notebook_from_source, write_notebook  # noqa: E402

EXPERIMENTS = ["%matplotlib inline\nimport numpy as np",
               "for epoch in range(10**6):\n    pass", "print('training done')"]


def make_batch(assignment: str, count: int, folder: Path) -> list[Path]:
    reference = (ROOT / "reference" / f"{assignment}.py").read_text()
    skeleton = (ROOT / "student_template" / f"{assignment}.py").read_text()
    variants = [reference, skeleton] + [reference + "\n\n" + p.read_text()
                                        for p in sorted((ROOT / "tests" / "mutants" / assignment).glob("*.py"))]
    paths = []
    for i in range(count):
        notebook = notebook_from_source(variants[i % len(variants)], EXPERIMENTS, assignment)
        paths.append(write_notebook(notebook, folder / f"student{i:05d}.ipynb"))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="backprop", choices=["backprop", "rnn"])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    config = load_config(ROOT / "grader.toml")
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_batch(args.assignment, args.count, Path(tmp) / "subs")
        print(f"{args.count} {args.assignment} notebooks (correct, buggy, not attempted)")
        baseline = None
        for jobs in args.jobs:
            started = time.perf_counter()
            grade_batch(paths, assignment=args.assignment, out_dir=Path(tmp) / f"out{jobs}", config=config, jobs=jobs)
            elapsed = time.perf_counter() - started
            baseline = baseline or elapsed
            print(f"jobs={jobs}: {elapsed:.2f} s total, {1000 * elapsed / args.count:.0f} ms per submission, "
                  f"speed-up {baseline / elapsed:.2f}x")


if __name__ == "__main__":
    main()
