"""A progress bar on a terminal; nothing at all when output goes to a file or a pipe."""
from __future__ import annotations

import time
from typing import TextIO

from autograder.results import SubmissionResult

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.active = stream.isatty()
        self.started = time.monotonic()
        self.drawn = False

    def update(self, done: int, total: int, result: SubmissionResult) -> None:
        if not self.active or total == 0:
            return
        filled = WIDTH * done // total
        rate = done / max(time.monotonic() - self.started, 1e-9)
        line = f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}  {rate:.1f}/s  {result.id[:30]:<30}"
        self.stream.write(line)
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
