"""A warm parent for workers: Python and numpy are imported once, and each worker is a fork of it.

Starting a fresh interpreter and importing numpy costs ~100 ms; a fork costs ~2 ms. The zygote never runs
student code and holds nothing secret (it imports only what a worker imports), so a fork of it is exactly as
isolated as a freshly started worker: the child confines itself the same way before it reads any code.

The grader talks to the zygote over a SOCK_SEQPACKET socket: "spawn" carries the worker's three pipe ends as
passed descriptors and returns its pid; "status" returns how a worker ended (the zygote is its parent and
reaps it).
"""
from __future__ import annotations

import fcntl
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Callable

from autograder.sandbox import isolation
from autograder.sandbox.isolation import fork_uid_sweeper, prepare_root

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
MAX_STATUSES = 4096
END_WAIT_SECONDS = 1.0
# In the zygote: workers reaped, the largest peak RSS among them, how many needed a uid sweep, and the CPU
# time (user and system) the reaped workers used in all.
STATS = {"workers": 0, "peak_rss_kb": 0, "sweeps": 0, "worker_cpu_s": 0.0}
WORKERS: set[int] = set()  # in the zygote: pids of live workers
VISIBLE_ENV = "AUTOGRADER_VISIBLE"  # what workers may see, as a JSON list of paths
TASKS: list[int] = []  # in the zygote: a descriptor of its own /proc/self/task, kept across pivot_root


# ---------------------------------------------------------------------------------------------- in the zygote


def serve_zygote(fd: int, start_worker: Callable[[int, int, int, int], None]) -> None:
    """The zygote's loop: fork a worker per spawn request until the grader closes the socket."""
    import ctypes

    libc = ctypes.CDLL(None)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the grader gone, the zygote goes
    # Whatever a worker starts and leaves behind becomes our child when the worker dies, so ending a worker
    # can see at once whether anything of it is left, and fork a uid sweeper (a whole fork of this process,
    # about as costly as a worker's) only then.
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        opened = os.open("/proc/self/task", os.O_RDONLY | os.O_DIRECTORY)
        # Out of the way of the low descriptors a worker is handed, which stay numbered as they always were.
        TASKS.append(fcntl.fcntl(opened, fcntl.F_DUPFD_CLOEXEC, 200))
        os.close(opened)
    except OSError:
        pass  # then every ended worker is swept
    prepare_root(json.loads(os.environ.get(VISIBLE_ENV, "[]")))
    control = socket.socket(fileno=fd)
    statuses: dict[int, int] = {}
    gc.freeze()  # keep the collector from writing to every inherited object, which would copy every page
    while True:
        message, fds, _, _ = socket.recv_fds(control, 4096, 4)
        if not message:
            return
        request = json.loads(message)
        _reap(statuses)
        if request["op"] == "spawn":
            others_alive = bool(WORKERS)
            pid = os.fork()
            if pid == 0:
                try:
                    isolation.OWN_NETWORK = others_alive  # never share a network namespace at the same time
                    control.close()
                    for descriptor in TASKS:  # the zygote's window on /proc is not the worker's
                        os.close(descriptor)
                    os.setsid()
                    start_worker(*fds)
                finally:
                    os._exit(0)
            WORKERS.add(pid)
            for passed in fds:
                os.close(passed)
            control.send(json.dumps({"pid": pid}).encode())
        elif request["op"] == "status":
            control.send(json.dumps({"status": _status_of(request["pid"], statuses)}).encode())
        elif request["op"] == "end":  # no reply: the grader does not wait for this
            _end(request["pid"], request.get("uid"), statuses)
        elif request["op"] == "stats":
            time.sleep(0.05)  # let the last workers be reaped
            _reap(statuses)
            own = os.times()
            control.send(json.dumps(dict(STATS, zygote_cpu_s=own.user + own.system)).encode())


def _end(pid: int, uid: int | None, statuses: dict[int, int]) -> None:
    """Kill a worker's process group, then everything running under its uid (what escaped the group).

    Every process of that uid descends from the worker, so once the worker is reaped, any of them still
    alive is our child (we are their subreaper) or a descendant of one: with no such child, there is
    nothing to sweep and no sweeper to fork. A worker already reaped (it died, and the grader asked how)
    is not signalled again, since its pid may be reused; its uid is still checked.
    """
    if pid in WORKERS:  # not yet reaped, so the pid is still this worker's
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + END_WAIT_SECONDS
    while pid in WORKERS and time.monotonic() < deadline:
        _reap(statuses)
        if pid in WORKERS:
            time.sleep(0.0002)
    if uid is None:  # reaped, so what it left running is our child now
        _kill_strays(statuses)
        return
    if pid in WORKERS or _strays():
        # Waited for: the next worker must not start while anything of this one is alive (they may share
        # the zygote's network namespace).
        os.waitpid(fork_uid_sweeper(uid), 0)
        STATS["sweeps"] += 1


def _strays() -> bool:
    """Does this process have children other than live workers (True when it cannot tell)?"""
    children = _children()
    return children is None or bool(children - WORKERS)


def _children() -> set[int] | None:
    """This process's children (None when it cannot tell: a kernel without /proc/<pid>/task/<tid>/children)."""
    if not TASKS:
        return None
    try:
        children = set()
        for task in os.listdir(TASKS[0]):
            handle = os.open(f"{task}/children", os.O_RDONLY, dir_fd=TASKS[0])
            with open(handle) as listing:
                children.update(int(p) for p in listing.read().split())
    except (OSError, ValueError):
        return None
    return children


def _kill_strays(statuses: dict[int, int]) -> None:
    """Without a uid of their own to sweep (a grader that is not root, whose workers run as its own user): kill
    the children of this process that are not live workers, until none is left (END_WAIT_SECONDS at most).

    What an ended worker left running ends up our child, as the subreaper: a daemon's children follow it once it
    is killed. One that is our child cannot be another process under a reused pid: we have not reaped it yet.
    """
    deadline = time.monotonic() + END_WAIT_SECONDS
    while time.monotonic() < deadline:
        strays = (_children() or set()) - WORKERS
        if not strays:
            return
        for stray in strays:
            try:
                os.kill(stray, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.001)
        _reap(statuses)


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)
        if pid in WORKERS:  # not a process a worker left behind
            WORKERS.discard(pid)
            STATS["workers"] += 1
            STATS["peak_rss_kb"] = max(STATS["peak_rss_kb"], usage.ru_maxrss)
            STATS["worker_cpu_s"] += usage.ru_utime + usage.ru_stime
        if len(statuses) > MAX_STATUSES:
            statuses.pop(next(iter(statuses)))


def _status_of(pid: int, statuses: dict[int, int]) -> int | None:
    deadline = time.monotonic() + 1.0
    while pid not in statuses and time.monotonic() < deadline:
        _reap(statuses)
        time.sleep(0.002)
    return statuses.pop(pid, None)


# ---------------------------------------------------------------------------------------------- in the grader


class Zygote:
    """The grader's handle on one zygote process; safe to share between grading threads."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-E", "-s", "-m", "autograder.sandbox.worker", "--zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=cwd, env=env, start_new_session=True)
        theirs.close()
        self.lock = threading.Lock()

    def spawn(self, request_fd: int, reply_fd: int, log_fd: int, progress_fd: int) -> int:
        """Fork a worker wired to these descriptors; its pid."""
        with self.lock:
            socket.send_fds(self.control, [b'{"op": "spawn"}'], [request_fd, reply_fd, log_fd, progress_fd])
            return int(json.loads(self._receive())["pid"])

    def exit_status(self, pid: int) -> int | None:
        """How a worker that has been killed or has died ended (negative: by that signal), if known."""
        with self.lock:
            self.control.send(json.dumps({"op": "status", "pid": pid}).encode())
            return json.loads(self._receive())["status"]

    def end(self, pid: int, uid: int | None) -> None:
        """Kill a worker and sweep its uid; returns at once."""
        with self.lock:
            self.control.send(json.dumps({"op": "end", "pid": pid, "uid": uid}).encode())

    def stats(self) -> dict[str, float]:
        """Workers ended so far, the largest peak resident memory (KiB) any of them reached (from wait4), how
        many of them left processes behind that had to be swept, the CPU seconds they used in all
        (worker_cpu_s) and the zygote's own (zygote_cpu_s: mostly forking them)."""
        with self.lock:
            self.control.send(b'{"op": "stats"}')
            return json.loads(self._receive())

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.control.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _receive(self) -> bytes:
        self.control.settimeout(10)
        reply = self.control.recv(4096)
        if not reply:
            raise OSError("the zygote process ended")
        return reply
