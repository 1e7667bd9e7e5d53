"""The grader's side of a worker: start it, talk to it with deadlines, and end it with everything it started."""
from __future__ import annotations

import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from autograder import wire
from autograder.isolation import Limits, worker_uid

PACKAGE_PARENT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 1.0
START_TIMEOUT = 30.0
LOG_LIMIT = 64 * 1024
PASSED_ENV = ("PATH", "LANG", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # the last two keep OpenBLAS correct here


class WorkerLost(RuntimeError):
    """The worker died, hung past its deadline or broke the protocol; it has been killed."""


def visible_paths() -> list[str]:
    """What a confined worker may see: the Python installation, its packages and the system libraries."""
    paths = {"/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", "/dev/null", "/dev/urandom", "/dev/zero"}
    paths.update({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    paths.add(str(Path(np.__file__).resolve().parent.parent))
    return sorted(p for p in paths if p and os.path.exists(p))


class Worker:
    """One worker process running one submission's code. Not thread-safe; one grader thread per worker."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.scratch = tempfile.mkdtemp(prefix="autograder-worker-")
        os.chmod(self.scratch, 0o755)
        self.log_path = Path(self.scratch) / "output.log"
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-E", "-s", "-m", "autograder.worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                cwd=PACKAGE_PARENT, env=env, start_new_session=True,
            )
        self.isolation = "none"
        try:
            self._send({"limits": limits.to_dict(), "scratch": self.scratch, "visible": visible_paths()})
            hello = self._receive(time.monotonic() + START_TIMEOUT)
        except WorkerLost:
            self.close()
            raise
        self.isolation = hello.get("isolation", "unknown")

    def request(self, message: dict, timeout: float) -> dict:
        """Send one request with a time budget; the reply dict, or WorkerLost after killing the worker."""
        message = dict(message, timeout=timeout)
        self._send(message)
        return self._receive(time.monotonic() + timeout + GRACE_SECONDS)

    def output(self) -> str:
        """The start of what the student's code printed (bounded)."""
        try:
            with open(self.log_path, "rb") as log:
                return log.read(LOG_LIMIT).decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self) -> None:
        """End the worker and every process it started, then remove its scratch folder."""
        self._kill()  # nothing in a worker is worth a graceful exit: its results are already here
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _kill(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        if os.geteuid() == 0:
            _kill_uid(worker_uid(self.process.pid))

    def _send(self, message: Any) -> None:
        try:
            self.process.stdin.write(wire.dumps(message))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._lost("the worker process ended") from None

    def _receive(self, deadline: float) -> dict:
        header = self._read(4, deadline)
        (length,) = struct.unpack(">I", header)
        if length > wire.MAX_FRAME_BYTES:
            raise self._lost("the worker sent an oversized message")
        try:
            reply = wire.loads(self._read(length, deadline))
        except wire.WireError as exc:
            raise self._lost(f"the worker broke the protocol ({exc})") from None
        if not isinstance(reply, dict):
            raise self._lost("the worker broke the protocol")
        return reply

    def _read(self, n: int, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        chunks, remaining = [], n
        while remaining:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise self._lost("timed out")
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                raise self._lost(self._death_reason())
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def _death_reason(self) -> str:
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return "the worker closed its channel"
        if code < 0:
            name = signal.Signals(-code).name
            hint = {"SIGKILL": " (killed: memory or CPU limit?)", "SIGXCPU": " (CPU time limit)",
                    "SIGSEGV": " (segmentation fault)"}.get(name, "")
            return f"the worker died from {name}{hint}"
        return f"the worker exited with code {code}"

    def _lost(self, reason: str) -> WorkerLost:
        self._kill()
        return WorkerLost(reason)


def _kill_uid(uid: int) -> None:
    """Kill every process left with this uid (a fork bomb can escape the process group, not its uid)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
