"""How far a batch is: done/total, the rate, the time left and what is being graded now, refreshed every second.

On a terminal (stderr) one line is redrawn in place, even while nothing finishes, so a hang shows as a
submission whose time keeps growing. Elsewhere (a log, CI) a plain line goes to stdout every LOG_SECONDS:
stderr stays for warnings and errors, the one line an interrupt prints included.

Not tqdm: it redraws only when told (a hang would need a thread of ours anyway), writes carriage returns into
logs, and has no notion of what is in flight; what we need is this page.
"""
from __future__ import annotations

import shutil
import signal
import threading
import time
from typing import Callable, TextIO

from autograder.results import SubmissionResult
from autograder.terminal import terminal_text

WIDTH = 24  # of the bar itself
REFRESH_SECONDS = 0.5  # a terminal's line is redrawn at least this often
LOG_SECONDS = 10.0  # a log's line is printed at most this often
SHOWN_IDS = 4  # of the submissions in flight, by longest running first


def duration(seconds: float) -> str:
    """Seconds as a clock reads: 0:07, 1:08, 2:01:40."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def rate_text(per_second: float) -> str:
    """A rate of submissions: 2.3/s, or 4.0/min when slower than one every ten seconds."""
    return f"{per_second:.1f}/s" if per_second >= 0.1 else f"{60 * per_second:.1f}/min"


class ProgressBar:
    """Fed by grade_batch's `progress` (each finished submission) and `running` (what is in flight) callbacks."""

    def __init__(self, stream: TextIO, log: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 log_seconds: float = LOG_SECONDS) -> None:
        self.stream, self.log, self.clock, self.log_seconds = stream, log, clock, log_seconds
        self.terminal = stream.isatty()
        self.lock = threading.Lock()
        self.done = self.total = 0
        self.baseline: int | None = None  # done when grading began: records reused from an earlier run
        self.began = self.last_log = 0.0
        self.flight: dict[str, float] = {}  # id -> when it was sent
        self.drawn = False
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None

    def running(self, done: int, total: int, ids: list[str]) -> None:
        """`ids` are in flight now (sent to a grader, not finished), `done` of `total` finished."""
        with self.lock:
            now = self.clock()
            if self.baseline is None:
                self.baseline, self.began, self.last_log = done, now, now
            self.done, self.total = done, total
            self.flight = {sid: self.flight.get(sid, now) for sid in ids}
        self._start_ticking()
        self.refresh()

    def update(self, done: int, total: int, result: SubmissionResult) -> None:
        """`result` has finished, the `done`th of `total`."""
        with self.lock:
            if self.baseline is None:
                self.baseline, self.began, self.last_log = done - 1, self.clock(), self.clock()
            self.done, self.total = done, total
            self.flight.pop(result.id, None)
        self.refresh()

    def line(self) -> str:
        """The state as one line: `[####....] 143/300  2.3/s  1:08 left  grading: s012 0:21, s013 0:02`."""
        now = self.clock()
        total = max(self.total, 1)
        filled = WIDTH * self.done // total
        parts = [f"[{'#' * filled}{'.' * (WIDTH - filled)}] {self.done}/{self.total}"]
        graded_now = self.done - (self.baseline or 0)
        elapsed = now - self.began
        if graded_now > 0 and elapsed > 0:
            rate = graded_now / elapsed
            parts += [rate_text(rate), f"{duration((self.total - self.done) / rate)} left"]
        else:
            parts += ["-/s", "time left unknown"]
        if self.flight:
            longest = sorted(self.flight.items(), key=lambda item: (item[1], item[0]))
            shown = [f"{terminal_text(sid)} {duration(now - sent)}" for sid, sent in longest[:SHOWN_IDS]]
            more = f" (+{len(longest) - SHOWN_IDS})" if len(longest) > SHOWN_IDS else ""
            parts.append("grading: " + ", ".join(shown) + more)
        return "  ".join(parts)

    def refresh(self) -> None:
        """Redraw on a terminal; in a log, print a line when LOG_SECONDS have passed since the last."""
        with self.lock:
            if self.baseline is None or self.total == 0:
                return
            if self.terminal:
                width = shutil.get_terminal_size((100, 24)).columns - 1
                self.stream.write("\r" + self.line()[:width] + "\x1b[K")
                self.stream.flush()
                self.drawn = True
            elif self.log is not None and self.clock() - self.last_log >= self.log_seconds:
                self.last_log = self.clock()
                self.log.write(self.line() + "\n")
                self.log.flush()

    def close(self) -> None:
        """Stop refreshing, and end the terminal's line so that what follows starts on its own."""
        self.stop.set()
        if self.ticker is not None:
            self.ticker.join()
        with self.lock:
            if self.drawn:
                self.stream.write("\n")
                self.stream.flush()
                self.drawn = False

    def _start_ticking(self) -> None:
        if self.ticker is not None or not (self.terminal or self.log is not None):
            return
        # Started with SIGINT and SIGTERM blocked, which it keeps: the main thread takes them, and while it has
        # them blocked itself (forking a grader process) none reaches its handler through this thread.
        unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            self.ticker = threading.Thread(target=self._tick, name="autograder-progress", daemon=True)
            self.ticker.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)

    def _tick(self) -> None:
        while not self.stop.wait(REFRESH_SECONDS):
            self.refresh()
