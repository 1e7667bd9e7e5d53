"""Confinement a worker applies to itself before it runs any student code.

With root (as on CI and the grading machines) a worker gets: private mount, network and IPC namespaces; a
chroot whose only contents are read-only views of the Python installation, numpy and the system libraries,
plus a small private tmpfs as its working directory (so the reference, the checks, grader.toml, other
students' submissions and the results are simply not there); an unprivileged uid of its own; and rlimits on
memory, CPU, file size, open files and processes. Without root it falls back to the rlimits and a private
working directory, and says so, so that a grade never claims more isolation than it had.

This module runs inside the worker: it imports nothing from the grader.
"""
from __future__ import annotations

import ctypes
import os
import resource
import signal
from dataclasses import asdict, dataclass

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
UID_BASE = 1_000_000


@dataclass(frozen=True)
class Limits:
    """Resource bounds for one worker process."""

    memory_mb: int = 2048
    cpu_seconds: int = 300
    file_kb: int = 1024
    open_files: int = 64
    processes: int = 16
    tmpfs_mb: int = 32

    def to_dict(self) -> dict:
        return asdict(self)


def worker_uid(pid: int) -> int:
    """The uid a worker with this pid runs as: unique among live workers, owned by nothing else."""
    return UID_BASE + pid


def confine(limits: Limits, scratch: str, visible: list[str]) -> str:
    """Confine the calling process; returns the isolation level reached ("namespace" or "basic")."""
    level = "basic"
    root = os.geteuid() == 0
    if root:
        try:
            _namespaces_and_chroot(scratch, visible, limits.tmpfs_mb)
            level = "namespace"
        except OSError:
            pass  # e.g. a container without CAP_SYS_ADMIN: keep the uid and rlimits below
    if level == "basic":
        work = os.path.join(scratch, "work")
        os.makedirs(work, mode=0o777, exist_ok=True)
        os.chmod(work, 0o777)
        os.chdir(work)
    if root:
        uid = worker_uid(os.getpid())
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with an error instead of killing
    _set_limit(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
    _set_limit(resource.RLIMIT_CPU, limits.cpu_seconds)
    _set_limit(resource.RLIMIT_FSIZE, limits.file_kb * 1024)
    _set_limit(resource.RLIMIT_NOFILE, limits.open_files)
    _set_limit(resource.RLIMIT_CORE, 0)
    if root:
        # Counted per uid, which is this worker's alone; as root this limit would not apply at all.
        _set_limit(resource.RLIMIT_NPROC, limits.processes)
    os.environ["HOME"] = os.getcwd()
    return level


def _namespaces_and_chroot(scratch: str, visible: list[str], tmpfs_mb: int) -> None:
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    root = os.path.join(scratch, "root")
    os.makedirs(root, exist_ok=True)
    options = f"size={tmpfs_mb}m,mode=755".encode()
    _check(libc.mount(b"tmpfs", root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount tmpfs")
    for path in visible:
        if not os.path.exists(path):
            continue
        target = root + path
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        _check(libc.mount(path.encode(), target.encode(), None, MS_BIND | MS_REC, None), f"bind {path}")
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID
        _check(libc.mount(None, target.encode(), None, flags, None), f"read-only {path}")
    work = os.path.join(root, "tmp")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o1777)
    os.chroot(root)
    os.chdir("/tmp")


def _set_limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def fork_uid_sweeper(uid: int) -> int:
    """Fork a child that kills every process of `uid` (a fork bomb can leave the process group, not its uid)
    and exits; returns its pid, for the caller to reap."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    return pid
