"""The grader's side of a worker: start it, talk to it with deadlines, and end it with everything it started."""
from __future__ import annotations

import atexit
import json
import mmap
import multiprocessing.util
import os
import secrets
import select
import shutil
import signal
import site
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from autograder.sandbox import leftovers, wire
from autograder.sandbox.isolation import Limits, fork_uid_sweeper, worker_uid
from autograder.sandbox.zygote import VISIBLE_ENV, Zygote

PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # the folder holding the autograder package
GRACE_SECONDS = 1.0
MEMORY_SAMPLE_SECONDS = 0.05  # while waiting for a reply, how often the worker's address space is looked at
START_TIMEOUT = 30.0
PASSED_ENV = ("PATH", "LANG", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # the last two keep OpenBLAS correct here


class WorkerLost(RuntimeError):
    """The worker died, hung past its deadline or broke the protocol; it has been killed."""


class NoIsolation(RuntimeError):
    """No isolation is possible here, and grading without it was not asked for."""


NO_ISOLATION = "none"
NO_ISOLATION_WHY = (
    "no isolation is possible here: not root with CAP_SYS_ADMIN, user namespaces refused, no Landlock; student "
    "code would read everything this user can (the reference, other submissions, the results)")


def require_isolation(unsafe_no_isolation: bool = False) -> str:
    """The isolation a worker reaches here (one is started and ended to find out); raises NoIsolation when that
    is none at all, unless `unsafe_no_isolation`."""
    worker = Worker(Limits())
    worker.close()
    if worker.isolation == NO_ISOLATION and not unsafe_no_isolation:
        raise NoIsolation(f"{NO_ISOLATION_WHY}. Give --unsafe-no-isolation to grade all the same.")
    return worker.isolation


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def visible_paths() -> tuple[str, ...]:
    """What a confined worker may see: the Python installation, its packages and the system libraries."""
    paths = {"/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "/dev/null", "/dev/urandom", "/dev/zero"}
    paths.update({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    paths.update(site.getsitepackages())
    paths.add(str(Path(np.__file__).resolve().parent.parent))
    paths.update([os.path.realpath(p) for p in paths if p])  # a venv's links lead out of it, anywhere
    existing = sorted(p for p in paths if p and os.path.exists(p))
    # A bind mount of a folder shows everything under it: mounting its subfolders again only costs time.
    return tuple(p for p in existing if not any(p.startswith(q.rstrip("/") + "/") for q in existing if q != p))


@lru_cache(maxsize=1)
def scratch_base() -> str | None:
    """Where workers' scratch folders go: memory-backed /dev/shm when it is there, else the system's temp folder.

    A scratch folder holds the student's capped output log (and, for a worker started without a zygote, the
    mount point of its root); on a disk, creating and removing it costs journal writes for every submission.
    """
    shm = "/dev/shm"
    if not (os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK)):
        return None
    room = os.statvfs(shm)
    return shm if room.f_bavail * room.f_frsize > 64 << 20 else None


def worker_env() -> dict[str, str]:
    """A clean environment: one BLAS thread (workers run side by side), no display for plotting."""
    env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    return env


@lru_cache(maxsize=1)
def sweep_leftovers() -> leftovers.Swept:
    """Once per grader process, before its first worker: what an earlier grader killed with SIGKILL left (daemons
    under worker uids, scratch folders), never what another running grader still uses."""
    return leftovers.sweep(scratch_base() or tempfile.gettempdir())


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def forget_inherited_zygote() -> None:
    """In a grader process forked from another (batch grading), start its own zygote when one is needed: the
    parent's answers the parent only, and this copy of its socket must not keep it alive. A forked process
    leaves without running atexit, so its own zygote is closed (and reaped) by a multiprocessing finalizer."""
    global _zygote
    if _zygote is not None:
        _zygote.control.close()
        _zygote = None
    multiprocessing.util.Finalize(None, _close_zygote, exitpriority=10)


def _close_zygote() -> None:
    if _zygote is not None:
        _zygote.close()


def shared_zygote() -> Zygote | None:
    """The process-wide zygote, started on first use (None when AUTOGRADER_ZYGOTE=0 asks for fresh processes)."""
    global _zygote
    if os.environ.get("AUTOGRADER_ZYGOTE", "1") == "0":
        return None
    with _zygote_lock:
        if _zygote is None or not _zygote.alive():
            _zygote = Zygote(dict(worker_env(), **{VISIBLE_ENV: json.dumps(visible_paths())}), str(PACKAGE_PARENT))
            atexit.register(_zygote.close)
        return _zygote


class Worker:
    """One worker process running one submission's code. Not thread-safe; one grader thread per worker."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        sweep_leftovers()
        self.scratch = tempfile.mkdtemp(prefix=leftovers.scratch_prefix(), dir=scratch_base())
        os.chmod(self.scratch, 0o755)
        self.log_path = Path(self.scratch) / "output.log"
        request_read, self.request_fd = os.pipe()
        self.reply_fd, reply_write = os.pipe()
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        # Which step of a request the worker is on (wire.read_progress): shared memory, read only when needed.
        progress_fd = os.memfd_create("autograder-progress", os.MFD_CLOEXEC)
        os.ftruncate(progress_fd, wire.PROGRESS_BYTES)
        self.progress = mmap.mmap(progress_fd, wire.PROGRESS_BYTES)
        self.zygote = shared_zygote()
        self.popen: subprocess.Popen | None = None
        try:
            if self.zygote is not None:
                self.pid = self.zygote.spawn(request_read, reply_write, log_fd, progress_fd)
            else:
                self.popen = subprocess.Popen(
                    [sys.executable, "-E", "-s", "-m", "autograder.sandbox.worker", "--progress", str(progress_fd)],
                    stdin=request_read, stdout=reply_write, stderr=log_fd, pass_fds=[progress_fd],
                    cwd=PACKAGE_PARENT, env=worker_env(), start_new_session=True)
                self.pid = self.popen.pid
        finally:
            for fd in (request_read, reply_write, log_fd, progress_fd):
                os.close(fd)
        os.set_blocking(self.request_fd, False)  # writes wait in select, with a deadline
        self.isolation = "none"
        self.ended = False  # its exit status is known: it is reaped, and its pid may belong to another process
        self.cleaned_up = False  # killed, and its uid swept of anything it left behind
        self.started: int | None = None
        # The request under way: when its step ends (deadline), with `each` seconds per step, all by `final`.
        self.deadline = self.final = 0.0
        self.each: float | None = None
        # Address space (bytes) at the start, and the largest seen while the grader waited for the last reply:
        # a call that runs out of time while filling its memory is a memory failure, whichever limit came first.
        self.base_memory = self.call_memory = 0
        # The number of the last request; every frame that answers it carries the same number. It starts at
        # random so that a frame forged by student code cannot guess it.
        self.sequence = secrets.randbits(48)
        try:
            self._send({"limits": limits.to_dict(), "scratch": self.scratch, "visible": visible_paths()})
            hello, _ = self._receive(time.monotonic() + START_TIMEOUT)
        except BaseException:  # WorkerLost, or an interrupt of the batch (Ctrl-C, SIGTERM) while it starts
            self.close()
            raise
        self.isolation = hello.get("isolation", "unknown")
        self.base_memory = self._memory_in_use() or 0
        self.call_memory = self.base_memory

    def request(self, message: dict, timeout: float, frame: wire.Frame | None = None,
                each: float | None = None) -> tuple[dict, wire.Frame]:
        """Send one request (its arrays in `frame`) with a time budget; the reply and its frame, or WorkerLost
        after killing the worker.

        With `each`, the worker announces every step it starts on the progress page, and each step gets `each`
        seconds, within the overall `timeout`: when a step's time is up, the page says whether another has
        started since (a new deadline) or not (the worker is lost).
        """
        self.sequence += 1
        self._send(dict(message, timeout=timeout, seq=self.sequence), frame, timeout + GRACE_SECONDS)
        self.call_memory = self.base_memory
        self.started = 0 if each is not None else None  # the step under way, to name one that hangs or crashes
        self.final = time.monotonic() + timeout + GRACE_SECONDS
        self.each = each
        self.deadline = self.final if each is None else min(self.final, time.monotonic() + each + GRACE_SECONDS)
        reply, answer = self._receive()
        # A frame of another request (student code can write to the reply pipe) would shift every later
        # answer: the worker is lost, and the step under way named, instead.
        if reply.pop("seq", None) != self.sequence:
            raise self._lost("the worker broke the protocol (a reply out of turn)")
        return reply, answer

    def close(self) -> None:
        """End the worker and every process it started, then remove its scratch folder."""
        self._kill()  # nothing in a worker is worth a graceful exit: its results are already here
        for fd in (self.request_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.request_fd = self.reply_fd = -1
        self.progress.close()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _kill(self) -> None:
        """Kill the worker (unless it already ended) and, always, whatever it left running under its uid: a
        worker that crashed on its own may have started a daemon first."""
        if self.cleaned_up:
            return
        self.cleaned_up = True
        uid = worker_uid(self.pid) if os.geteuid() == 0 else None
        if self.zygote is not None:
            try:
                self.zygote.end(self.pid, uid)  # the zygote kills, sweeps the uid and reaps, without a reply
                self.ended = True
                return
            except OSError:
                pass  # the zygote is gone, and its children with it; sweep from here all the same
        if not self.ended:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._exit_status()
            self.ended = True
        if uid is not None:
            kill_uid(uid)

    def _exit_status(self) -> int | None:
        if self.popen is not None:
            try:
                return self.popen.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                return None
        try:
            return self.zygote.exit_status(self.pid)
        except (OSError, ValueError):
            return None

    def _send(self, message: Any, frame: wire.Frame | None = None, timeout: float = START_TIMEOUT) -> None:
        """Write one request; a worker that stops reading (its pipe full) is lost after `timeout` seconds, so
        the grader never blocks in a write."""
        view = memoryview(wire.dumps(message, frame))
        deadline = time.monotonic() + timeout
        try:
            while view:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._lost("stopped reading its requests")
                if select.select([], [self.request_fd], [], left)[1]:
                    try:
                        view = view[os.write(self.request_fd, view):]
                    except BlockingIOError:
                        pass
        except OSError:
            raise self._lost("the worker process ended") from None

    def _receive(self, deadline: float | None = None) -> tuple[dict, wire.Frame]:
        """One frame, by `deadline` or, in a request, by the deadline of the step under way (self.deadline)."""
        if deadline is not None:
            self.deadline, self.each = deadline, None
        header = self._read(4)
        (length,) = struct.unpack(">I", header)
        if length > wire.MAX_FRAME_BYTES:
            raise self._lost("the worker sent an oversized message")
        try:
            reply, frame = wire.loads(self._read(length))
        except wire.WireError as exc:
            raise self._lost(f"the worker broke the protocol ({exc})") from None
        if not isinstance(reply, dict):
            raise self._lost("the worker broke the protocol")
        return reply, frame

    def _read(self, n: int) -> bytes:
        chunks, remaining = [], n
        while remaining:
            left = self.deadline - time.monotonic()
            if left <= 0 and self._next_step():
                continue
            if left <= 0:
                self._sample_memory()
                raise self._lost("timed out")
            if not select.select([self.reply_fd], [], [], min(left, MEMORY_SAMPLE_SECONDS))[0]:
                self._sample_memory()
                continue
            chunk = os.read(self.reply_fd, min(remaining, 1 << 20))
            if not chunk:
                raise self._lost(self._death_reason())
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _next_step(self) -> bool:
        """Has the worker started a later step of the request since the last look? Then it is the one under way
        and the deadline is its own."""
        if not self._catch_up():
            return False
        self.deadline = min(self.final, time.monotonic() + self.each + GRACE_SECONDS)
        return self.deadline > time.monotonic()

    def _catch_up(self) -> bool:
        """Move `started` on to the step the progress page names, if the request has steps and it is a later one."""
        step = None if self.each is None or self.progress.closed else wire.read_progress(self.progress, self.sequence)
        if step is None or self.started is None or step <= self.started:
            return False
        self.started = step
        return True

    def _sample_memory(self) -> None:
        self.call_memory = max(self.call_memory, self._memory_in_use() or 0)

    def _memory_in_use(self) -> int | None:
        """The worker's address space (VmSize, bytes) as the kernel counts it for its memory limit; None once it
        has ended, or where /proc cannot tell (the pid is checked to still be a child of its parent)."""
        if self.ended:
            return None
        parent = self.zygote.process.pid if self.zygote is not None else os.getpid()
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines()
                          if ":" in line)
            if int(fields["PPid"]) != parent:
                return None
            return int(fields["VmSize"].split()[0]) * 1024
        except (OSError, KeyError, ValueError, IndexError):
            return None

    def _death_reason(self) -> str:
        code = self._exit_status()
        self.ended = code is not None
        if code is None:
            return "the worker closed its channel"
        if code < 0:
            name = signal.Signals(-code).name
            hint = {"SIGKILL": " (killed: memory or CPU limit?)", "SIGXCPU": " (CPU time limit)",
                    "SIGSEGV": " (segmentation fault)"}.get(name, "")
            return f"the worker died from {name}{hint}"
        return f"the worker exited with code {code}"

    def _lost(self, reason: str) -> WorkerLost:
        self._catch_up()  # before the worker is gone: the step that hung, crashed or broke the protocol
        self._kill()
        return WorkerLost(reason)


def kill_uid(uid: int) -> None:
    """Kill every process left with this uid, and wait for that to be done."""
    os.waitpid(fork_uid_sweeper(uid), 0)
