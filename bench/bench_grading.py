"""Benchmark: per-submission grading time over a batch of generated notebook submissions.

    python bench/bench_grading.py --count 40 --jobs 2 --assignment backprop
    python bench/bench_grading.py --count 12 --jobs 1 2 --anchors 4   # also nbclient, otter, nbgrader
    python bench/bench_grading.py --count 1000 --jobs 1 2 --repeat 3  # medians of alternating runs
    python bench/bench_grading.py --count 1000 --jobs 1 2 --repeat 3 --dask 2  # and on a LocalCluster of 2
    python bench/bench_grading.py --count 1000 --jobs 2 --hangs 0.03  # what submissions that hang cost
    python bench/bench_grading.py --count 1000 --jobs 2 --workdir DIR  # notebooks and results on another disk

The batch mixes correct notebooks, realistic bugs from tests/mutants/ and untouched skeletons, written as real
nbformat notebooks with the experiment cells students leave behind. Prints wall time per submission, amortized
over the batch, and where the CPU went (per process kind, and the machine's busy and idle time). Not a test:
numbers depend on the machine.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anchors import AnchorUnavailable, time_nbclient, time_nbgrader, time_otter  # noqa: E402

from autograder.authoring.notebooks import notebook_from_source, write_notebook  # noqa: E402
from autograder.batch.run import grade_batch  # noqa: E402
from autograder.course.config import load_config  # noqa: E402
from autograder.sandbox.workers import shared_zygote  # noqa: E402

EXPERIMENTS = ["%matplotlib inline\nimport numpy as np",
               "for epoch in range(10**6):\n    pass", "print('training done')"]


def make_batch(assignment: str, count: int, folder: Path, hangs: float = 0.0) -> list[Path]:
    """`count` notebooks cycling through the reference, the skeleton and every mutant that does not hang; with
    `hangs` > 0, that share of them (spread evenly) is replaced by mutants that hang in one function."""
    reference = (ROOT / "reference" / f"{assignment}.py").read_text()
    skeleton = (ROOT / "student_template" / f"{assignment}.py").read_text()
    mutants = sorted((ROOT / "tests" / "mutants" / assignment).glob("*.py"))
    variants = [reference, skeleton] + [reference + "\n\n" + p.read_text() for p in mutants if not _hangs(p)]
    hanging = [reference + "\n\n" + p.read_text() for p in mutants if _hangs(p)]
    every = round(1 / hangs) if hangs > 0 else 0
    paths = []
    for i in range(count):
        source = hanging[i // every % len(hanging)] if every and i % every == every - 1 else variants[i % len(variants)]
        notebook = notebook_from_source(source, EXPERIMENTS, assignment)
        paths.append(write_notebook(notebook, folder / f"student{i:05d}.ipynb"))
    return paths


def _local_cluster(workers: int):
    """A LocalCluster as `--cluster local:N` starts one (one thread per worker process)."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")


def cpu_counters(jobs: int) -> dict[str, float]:
    """CPU seconds so far: this process's own, its reaped children's (the grader processes with their zygotes
    and workers), this process's zygote's workers' and its own (with 1 job it is this process's), and the
    machine's busy and idle time (/proc/stat; 0 where there is none)."""
    own = os.times()
    counters = {"self": own.user + own.system, "children": own.children_user + own.children_system}
    if jobs == 1:
        stats = shared_zygote().stats()
        counters.update(workers=stats["worker_cpu_s"], zygote=stats["zygote_cpu_s"])
    try:
        ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        hertz = os.sysconf("SC_CLK_TCK")
        counters.update(idle=(ticks[3] + ticks[4]) / hertz, busy=(sum(ticks) - ticks[3] - ticks[4]) / hertz)
    except (OSError, ValueError, IndexError):
        counters.update(idle=0.0, busy=0.0)
    return counters


def cpu_split(jobs: int, before: dict[str, float], after: dict[str, float], count: int) -> str:
    """Where the CPU of one run went, in ms per notebook."""
    spent = {key: 1000 * (after[key] - before[key]) / count for key in after}
    if jobs == 1:  # grading and writing in this process; its zygote forks the workers
        parts = [("grader (this process: reading, grading, writing)", spent["self"]),
                 ("workers", spent["workers"]), ("zygote", spent["zygote"])]
    else:  # the grader processes, their zygotes and workers are children, reaped by the end of the batch
        parts = [("batch process (writing)", spent["self"]),
                 (f"{jobs} grader processes with their zygotes and workers", spent["children"])]
    parts += [("machine busy", spent["busy"]), ("machine idle", spent["idle"])]
    return ", ".join(f"{name} {ms:.1f}" for name, ms in parts)


def _hangs(mutant: Path) -> bool:
    return "misconception: hangs" in mutant.read_text()


def print_anchors(paths: list[Path], workdir: Path, ours: dict[int, float]) -> None:
    """Time the anchors on `paths` and print them next to our seconds per submission, with the ratios."""
    best = min(ours, key=ours.get)
    columns = [1, best] if 1 in ours and best != 1 else [best]
    print(f"\nanchors on the first {len(paths)} notebooks (ours: over the whole batch); ratio = anchor / ours")
    print(f"{'':10}{'s per submission':>18}" + "".join(f"{f'/ ours jobs={jobs}':>16}" for jobs in columns))
    for jobs in ours:
        print(f"{f'ours j={jobs}':10}{ours[jobs]:18.3f}")
    anchors = {"nbclient": lambda: time_nbclient(paths), "otter": lambda: time_otter(paths, workdir / "otter"),
               "nbgrader": lambda: time_nbgrader(paths, workdir / "nbgrader")}
    for name, measure in anchors.items():
        try:
            seconds = measure()
        except AnchorUnavailable as error:
            print(f"{name}: unavailable ({error})")
            continue
        print(f"{name:10}{seconds:18.3f}" + "".join(f"{seconds / ours[jobs]:15.1f}x" for jobs in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="backprop", choices=["backprop", "rnn"])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--anchors", type=int, default=0, metavar="K",
                        help="also time nbclient, otter run and nbgrader autograde on the first K notebooks")
    parser.add_argument("--repeat", type=int, default=1, metavar="R",
                        help="grade the batch R times per job count, alternating, and report the medians")
    parser.add_argument("--dask", type=int, default=0, metavar="N",
                        help="also grade on a Dask LocalCluster of N worker processes, started once beforehand")
    parser.add_argument("--hangs", type=float, default=0.0, metavar="SHARE",
                        help="replace this share of the batch (e.g. 0.03) by submissions that hang in one function")
    parser.add_argument("--workdir", type=Path, default=None, metavar="DIR",
                        help="where the notebooks and results go (default: the system's temp folder); writing "
                             "a notebook's results creates a folder and three files, whose cost is the disk's")
    args = parser.parse_args()
    config = load_config(ROOT / "grader.toml")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        paths = make_batch(args.assignment, args.count, Path(tmp) / "subs", args.hangs)
        print(f"{args.count} {args.assignment} notebooks (correct, buggy, not attempted), in {tmp}")
        runs: dict[int, list[float]] = {jobs: [] for jobs in args.jobs}
        splits: dict[int, list[str]] = {jobs: [] for jobs in args.jobs}  # where each run's CPU went
        cluster = _local_cluster(args.dask) if args.dask else None
        if cluster is not None:  # its workers import the grader and start their zygotes before the timing
            grade_batch(paths[:2 * args.dask], assignment=args.assignment, out_dir=Path(tmp) / "warm",
                        config=config, scheduler=cluster.scheduler_address)
        on_dask: list[float] = []
        # Alternating runs, so that a slow spell of this (shared, virtual) machine hits every job count alike.
        for round_number in range(args.repeat):
            for jobs in args.jobs + ([0] if cluster is not None else []):
                out = Path(tmp) / f"out{jobs}-{round_number}"
                where = {"scheduler": cluster.scheduler_address if jobs == 0 else ""} if cluster is not None else {}
                counted = cpu_counters(jobs) if jobs else {}
                started = time.perf_counter()
                grade_batch(paths, assignment=args.assignment, out_dir=out, config=config, jobs=jobs or None, **where)
                (runs[jobs] if jobs else on_dask).append(time.perf_counter() - started)
                if jobs:
                    splits[jobs].append(cpu_split(jobs, counted, cpu_counters(jobs), args.count))
                shutil.rmtree(out)
        if cluster is not None:
            cluster.close()
        ours = {}
        baseline = statistics.median(runs[args.jobs[0]])
        for jobs, times in runs.items():
            elapsed = statistics.median(times)
            each = ", ".join(f"{1000 * t / args.count:.1f}" for t in times)
            print(f"jobs={jobs}: {elapsed:.2f} s total, {1000 * elapsed / args.count:.1f} ms per submission, "
                  f"speed-up {baseline / elapsed:.2f}x" + (f" (median of {len(times)} runs: {each} ms)"
                                                          if len(times) > 1 else ""))
            ours[jobs] = elapsed / args.count
            median_run = times.index(sorted(times)[(len(times) - 1) // 2])
            print(f"  CPU, ms per notebook (the median run): {splits[jobs][median_run]}")
        if on_dask:
            elapsed = statistics.median(on_dask)
            pool = statistics.median(runs[max(args.jobs)])
            print(f"dask local:{args.dask}: {elapsed:.2f} s total, {1000 * elapsed / args.count:.1f} ms per "
                  f"submission, {pool / elapsed:.2f}x the speed of the pool of {max(args.jobs)}"
                  + (f" (runs: {', '.join(f'{1000 * t / args.count:.1f}' for t in on_dask)} ms)"
                     if len(on_dask) > 1 else ""))
        if 1 in runs:  # graded in this process: its zygote saw every worker end (wait4)
            stats = shared_zygote().stats()
            print(f"  peak memory of a worker: {stats['peak_rss_kb'] / 1024:.0f} MiB over {stats['workers']} workers")
        if args.anchors:
            print_anchors(paths[:args.anchors], Path(tmp) / "anchors", ours)

if __name__ == "__main__":
    main()
