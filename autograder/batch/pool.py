"""Grader processes for a batch: forked once, fed one submission at a time, never outliving the batch.

Not concurrent.futures: a ProcessPoolExecutor whose parent dies leaves its processes waiting (and their
zygotes alive) for ever, a process that dies breaks the whole pool without saying which submission it was
grading, and nothing can stop the running ones. Here each grader process is fed over a pipe of its own, so
the parent always knows what each one is doing:

- a process that dies is replaced, and only the submission it was grading is lost (the caller is told);
- every process gets SIGTERM when its parent dies (a parent-death signal), so `kill -9` of the batch takes
  them and their zygotes along;
- `close` ends them all: the idle ones are told to stop, and on an interrupt the busy ones get SIGTERM, which
  ends their grading at once (the worker and its zygote closed on the way out), then SIGKILL after a grace.

Replies are bytes (JSON text): the parent unpickles nothing a grader process sends.
"""
from __future__ import annotations

import ctypes
import math
import multiprocessing
import os
import signal
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
STOP_GRACE_SECONDS = 5.0  # a grader process given SIGTERM is killed after this long
EXIT_ALARM_SECONDS = 5  # a grader process that got SIGTERM exits, at the latest, this long after it


class Interrupted(BaseException):
    """SIGINT or SIGTERM reached the batch; like KeyboardInterrupt, not an error of the grading."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass(frozen=True)
class Died:
    """A grader process ended while it graded a job: how (negative exit code: killed by that signal), or why
    it was stopped."""

    exitcode: int | None
    stopped: str = ""  # set when the pool killed it: the job's deadline passed

    def describe(self) -> str:
        if self.stopped:
            return f"the grader process grading it was stopped: {self.stopped}"
        if self.exitcode is not None and self.exitcode < 0:
            return f"the grader process grading it died from {signal.Signals(-self.exitcode).name}"
        return f"the grader process grading it exited with code {self.exitcode}"


@contextmanager
def interrupted_by_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted in this (main) thread; after the first, both are ignored so the
    cleanup that follows runs to its end. Restored on the way out. Elsewhere than the main thread: nothing."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)


class GraderPool:
    """`size` forked processes, each running `work(job) -> bytes` on the jobs it is sent, one at a time.

    `work` must not raise for a job (what it raises ends that process, as if it died); `initializer` runs once
    in each process before its first job. A job not done within `job_seconds` has its process killed (and
    replaced), as if it had died: the grader's own work on a submission is bounded like the student code's.
    """

    def __init__(self, size: int, work: Callable[[Any], bytes], initializer: Callable[[], None],
                 job_seconds: float = math.inf) -> None:
        self.context = multiprocessing.get_context("fork")
        self.work, self.initializer, self.job_seconds = work, initializer, job_seconds
        self.started: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []  # every one not forgotten
        self.idle: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self.busy: dict[Connection, tuple[multiprocessing.process.BaseProcess, Any]] = {}
        self.deadlines: dict[Connection, float] = {}  # of the busy ones: when their job's time is up
        try:
            for _ in range(size):
                self.idle.append(self._start())
        except BaseException:  # an interrupt while they start: none of them is left behind
            self.close(interrupted=True)
            raise

    def run(self, jobs: Iterable[Any], sent: Callable[[list[Any]], None] | None = None
            ) -> Iterator[tuple[Any, bytes | Died]]:
        """(job, its reply or how its process died), as they finish; `sent` is told the jobs being worked on
        whenever that changes (before each wait)."""
        queue = deque(jobs)
        while queue or self.busy:
            while queue and self.idle:
                process, connection = self.idle.pop()
                job = queue.popleft()
                try:
                    connection.send(job)
                except OSError:  # it died while idle: start another, try the job again
                    self._forget(process, connection)
                    self.idle.append(self._start())
                    queue.appendleft(job)
                    continue
                self.busy[connection] = (process, job)
                self.deadlines[connection] = time.monotonic() + self.job_seconds
            if not self.busy:
                continue
            if sent is not None:
                sent([job for _, job in self.busy.values()])
            sentinels = {process.sentinel: connection for connection, (process, _) in self.busy.items()}
            first = min(self.deadlines[connection] for connection in self.busy)
            left = None if first == math.inf else max(0.0, first - time.monotonic())
            for ready in wait(list(self.busy) + list(sentinels), timeout=left):
                connection = sentinels.get(ready, ready)
                if connection not in self.busy:
                    continue  # both its pipe and its sentinel were ready: handled already
                process, job = self.busy.pop(connection)
                del self.deadlines[connection]
                reply = self._reply(connection)
                if reply is None:
                    self._forget(process, connection)
                    yield job, Died(process.exitcode)
                    if queue:
                        self.idle.append(self._start())
                else:
                    self.idle.append((process, connection))
                    yield job, reply
            now = time.monotonic()
            for connection in [c for c in self.busy if self.deadlines[c] <= now]:
                process, job = self.busy.pop(connection)
                del self.deadlines[connection]
                self._forget(process, connection)  # SIGKILL: it ends whatever the grader was stuck in, C code too
                yield job, Died(process.exitcode, f"it took more than {self.job_seconds:g} s")
                if queue:
                    self.idle.append(self._start())

    def close(self, interrupted: bool = False) -> None:
        """End every process and wait for it. Idle ones are told to stop; busy ones, and all of them when
        `interrupted`, get SIGTERM (which ends a grading at once); any left after STOP_GRACE_SECONDS, SIGKILL."""
        idle = {id(connection) for _, connection in self.idle}
        for process, connection in self.started:
            if id(connection) in idle and not interrupted:
                try:
                    connection.send(None)
                    continue
                except OSError:
                    pass
            if process.exitcode is None:
                try:
                    os.kill(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while (pending := [p.sentinel for p, _ in self.started if p.exitcode is None]) and time.monotonic() < deadline:
            wait(pending, timeout=max(0.0, deadline - time.monotonic()))
        for process, connection in self.started:
            if process.exitcode is None:
                process.kill()
            process.join()
            connection.close()
        self.started, self.idle, self.busy = [], [], {}

    def _start(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        ours, theirs = self.context.Pipe(duplex=True)
        process = self.context.Process(target=_serve, args=(theirs, self.work, self.initializer, os.getpid()),
                                       name="autograder-grader")
        # Forked with SIGINT and SIGTERM blocked: until the child has its own handlers, the parent's would raise
        # Interrupted in it (a traceback from multiprocessing); and here, a signal must not come between the
        # fork and the process being known, which close() needs. One that comes meanwhile waits, not lost.
        unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            process.start()
            self.started.append((process, ours))
        finally:
            theirs.close()
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        return process, ours

    @staticmethod
    def _reply(connection: Connection) -> bytes | None:
        try:
            return connection.recv_bytes()
        except (EOFError, OSError):
            return None

    def _forget(self, process: multiprocessing.process.BaseProcess, connection: Connection) -> None:
        self.started.remove((process, connection))
        connection.close()
        if process.exitcode is None:
            process.kill()
        process.join()


def _serve(connection: Connection, work: Callable[[Any], bytes], initializer: Callable[[], None],
           parent: int) -> None:
    """A grader process: jobs in, replies out, until told to stop (None) or its parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent decides
    signal.signal(signal.SIGTERM, _exit_now)
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by the fork (see _start); now ours
    if os.getppid() != parent:  # it died before the prctl
        return
    initializer()
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        connection.send_bytes(work(job))


def _exit_now(signum: int, frame: Any) -> None:
    """SIGTERM in a grader process: unwind now (the worker being graded and the zygote are closed on the way
    out by their context managers and finalizers), and die by SIGALRM if that takes too long."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(EXIT_ALARM_SECONDS)
    raise SystemExit(128 + signum)
