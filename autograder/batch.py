"""Grade many submissions in parallel and write each result as soon as it is done."""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from autograder.config import GraderConfig
from autograder.grading import grade_submission, points_for
from autograder.report_files import write_gradebook, write_result
from autograder.results import SubmissionResult
from autograder.tasks import ASSIGNMENTS


def grade_batch(submissions: list[Path], *, assignment: str, out_dir: Path, config: GraderConfig,
                jobs: int | None = None, progress: Callable[[SubmissionResult], None] | None = None
                ) -> list[SubmissionResult]:
    """Grade every submission (each in its own worker), write DIR/<id>/results.json and DIR/gradebook.csv.

    Threads suffice here: the student code runs in worker processes and the grader mostly waits on them.
    """
    points_for(config, ASSIGNMENTS[assignment])  # a bad grader.toml fails before any student code runs
    out_dir = Path(out_dir)

    def one(path: Path) -> SubmissionResult:
        started = time.monotonic()
        result = grade_submission(path, assignment, config)
        write_result(out_dir, result, execution_time=time.monotonic() - started)
        if progress is not None:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        results = list(pool.map(one, submissions))
    write_gradebook(out_dir, ASSIGNMENTS[assignment], results)
    return results
