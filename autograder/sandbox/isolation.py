"""Confinement a worker applies to itself before it runs any student code.

With root (as on CI and the grading machines) a worker gets: private mount, network and IPC namespaces; a
root whose only contents are read-only views of the Python installation, numpy and the system libraries,
plus a small private tmpfs as its working directory (so the reference, the checks, grader.toml, other
students' submissions and the results are simply not there); an unprivileged uid of its own; and rlimits on
memory, CPU, file size, open files and processes. Without root it falls back to the rlimits and a private
working directory, and says so, so that a grade never claims more isolation than it had.

The read-only root is built once by the zygote (`prepare_root`): it pivots into a mount namespace holding
only that tree, so each worker forked from it copies a handful of mounts instead of the host's, and adds
one: its own tmpfs on /tmp. The zygote also enters an empty network namespace (no interface up, so no
address to reach or be reached at); a worker alone in its zygote uses that one instead of creating and
destroying its own, which costs the kernel more than the rest of a worker's confinement. Nothing can pass
through it from one student to the next: a worker is started only after everything of the previous one has
been killed, and an unprivileged worker cannot configure it. IPC namespaces are never shared (a SysV segment
outlives its creator). A worker started without a zygote builds the whole view for itself (a chroot).

This module runs inside the worker and the zygote: it imports nothing from the grader.
"""
from __future__ import annotations

import ctypes
import os
import platform
import resource
import signal
from dataclasses import asdict, dataclass

from autograder.sandbox import landlock, syscall_filter

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
LINUX_CAPABILITY_VERSION_3 = 0x20080522
PR_SET_DUMPABLE = 4
# statvfs f_flag bits and the mount(2) flags they stand for: nodev, noexec, nosuid and the atime ones.
STATVFS_TO_MOUNT_FLAGS = ((4, 4), (8, 8), (2, 2), (1024, 1024), (2048, 2048), (4096, 1 << 21))
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}.get(platform.machine())
UID_BASE = 1_000_000
PREPARED_ROOT = False  # set in the zygote by prepare_root; its workers inherit it with the namespace
# Set with it: the zygote sits in a network namespace of its own with no interface up, which a worker may use
# while it is the zygote's only live worker (nothing of the one before is left, see zygote._end).
SHARED_NETWORK = False
OWN_NETWORK = False  # set in a forked worker when another worker of its zygote is still alive
# In the zygote's prepared root: visible paths under /tmp, as (path, where it is mounted again, or its symlink).
UNDER_TMP: list[tuple[str, str | None, str | None]] = []
TMP_STASH = "/.under-tmp"


@dataclass(frozen=True)
class Limits:
    """Resource bounds for one worker process."""

    memory_mb: int = 2048
    cpu_seconds: int = 300
    file_kb: int = 1024
    open_files: int = 64
    processes: int = 16
    tmpfs_mb: int = 32
    tmpfs_files: int = 4096  # inodes of the worker's tmpfs: each one is kernel memory that its size does not count

    def to_dict(self) -> dict:
        return asdict(self)


def worker_uid(pid: int) -> int:
    """The uid a worker with this pid runs as: unique among live workers, owned by nothing else."""
    return UID_BASE + pid


def confine(limits: Limits, scratch: str, visible: list[str]) -> str:
    """Confine the calling process; returns the isolation level reached, the first of these possible here:

    - "namespace" (as root with CAP_SYS_ADMIN): namespaces and a read-only view of `visible`, as a uid of its own;
    - "user-namespace": the same, inside a user namespace of its own (the kernel allows them to ordinary users),
      as a uid of its own when the grader is root without CAP_SYS_ADMIN (a container's default), else as the
      grader's uid (then signals and tracing reach no process but itself, see `syscall_filter`);
    - "landlock": no namespace at all, but Landlock lets it open nothing outside `visible` (read-only) and its
      working directory, and the syscall filter lets it make no socket but a local one it cannot connect;
    - "none": rlimits and a working directory of its own only; everything the grader's user can read, it can.
    """
    level = "none"
    root = os.geteuid() == 0
    if root:
        try:
            if PREPARED_ROOT:
                _own_namespaces_and_tmp(limits)
            else:
                _namespaces_and_chroot(scratch, visible, limits)
            level = "namespace"
        except OSError:
            pass  # e.g. a container without CAP_SYS_ADMIN: try the rest below
    own_uid = False
    if level == "namespace":
        own_uid = _become_worker_uid(strict=True)
    else:
        work = os.path.join(scratch, "work")
        os.makedirs(os.path.join(scratch, "root"), exist_ok=True)
        os.makedirs(work, mode=0o700, exist_ok=True)
        os.chmod(work, 0o700)
        if root:  # first: a user namespace made by this uid maps only this uid
            own_uid = _become_worker_uid(work)
        try:
            _user_namespace_and_chroot(scratch, visible, limits)
            level = "user-namespace"
        except OSError:
            os.chdir(work)
            tasks = 0 if own_uid else _tasks_of(os.getuid())  # counted while /proc is still open to it
            if landlock.restrict(visible, work):
                level = "landlock"
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after every change of credentials, which clears it
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails with an error instead of killing
    _set_limit(resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024)
    _set_limit(resource.RLIMIT_CPU, limits.cpu_seconds)
    _set_limit(resource.RLIMIT_FSIZE, limits.file_kb * 1024)
    _set_limit(resource.RLIMIT_NOFILE, limits.open_files)
    _set_limit(resource.RLIMIT_CORE, 0)
    if own_uid or level == "user-namespace":
        # Counted per uid (in a user namespace, per uid of that namespace), which is this worker's alone.
        _set_limit(resource.RLIMIT_NPROC, limits.processes)
    elif level == "landlock":
        # Counted over every process of the grader's user (its uid is the worker's): those it has, and more.
        _set_limit(resource.RLIMIT_NPROC, tasks + limits.processes)
    os.environ["HOME"] = os.environ["TMPDIR"] = os.getcwd()
    # Last, once nothing of the worker's own setup needs them: no keyrings, namespaces or mounts from here on.
    # Without the filter (an architecture it does not know), a worker claims no isolation at all.
    if not syscall_filter.install(own_pid=None if own_uid else os.getpid(), local_sockets_only=level == "landlock"):
        level = "none"
    return level


def _become_worker_uid(work: str | None = None, strict: bool = False) -> bool:
    """As root: become this worker's own uid (and gid, no groups), owning `work`; False without CAP_SETUID
    (unless `strict`: then the OSError, as a worker must not stay root in the view it was given)."""
    uid = worker_uid(os.getpid())
    try:
        if work is not None:
            os.chown(work, uid, uid)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    except OSError:
        if strict:
            raise
        return False
    # A process that changed uid is not dumpable, which makes its /proc/self files root's: it could not write
    # its own uid_map. Nothing else runs as this uid, so nothing could trace it.
    _libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    return True


def _tasks_of(uid: int) -> int:
    """How many tasks (threads included, as RLIMIT_NPROC counts them) this uid has now."""
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{name}/task"))
            except OSError:
                continue
    return count


def prepare_root(visible: list[str]) -> bool:
    """In the zygote, as root: move into a private mount namespace that holds only a read-only view of
    `visible` (pivot_root, then the host's mounts detached). False, and nothing changed that matters, when
    that is not possible here; its workers then build their own view (`_namespaces_and_chroot`)."""
    global PREPARED_ROOT, SHARED_NETWORK
    if os.geteuid() != 0 or SYS_PIVOT_ROOT is None:
        return False
    libc = _libc()
    try:
        _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
        _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
        # The new root is a tmpfs over a folder of this private namespace only (nothing is left on the host),
        # one that holds none of what must stay visible.
        root = next((d for d in ("/tmp", "/mnt", "/run", "/dev/shm") if os.path.isdir(d) and not os.path.islink(d)
                     and not any(v == d or v.startswith(d + "/") for v in visible)), None)
        if root is None:
            return False
        _check(libc.mount(b"tmpfs", root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,nr_inodes=4096,mode=755"),
               "mount root")
        _view(libc, root, visible)
        _stash_under_tmp(libc, root, visible)
        os.makedirs(root + "/tmp", exist_ok=True)
        os.chmod(root + "/tmp", 0o1777)
        os.chdir(root)
        _check(libc.syscall(SYS_PIVOT_ROOT, b".", b"."), "pivot_root")  # the old root is now stacked under "."
        _check(libc.umount2(b".", MNT_DETACH), "detach the host's mounts")
        os.chdir("/")
        # Read-only, so no worker can leave a file in the tree the next one sees (each gets its own /tmp).
        _check(libc.mount(None, b"/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None), "read-only root")
    except OSError:
        return False
    PREPARED_ROOT = SHARED_NETWORK = True
    return True


def _stash_under_tmp(libc: ctypes.CDLL, root: str, visible: list[str]) -> None:
    """Visible paths under /tmp (a virtual environment made there) would be hidden by each worker's own /tmp:
    mount each of them a second time at TMP_STASH, for the worker to mount back (`_unstash_under_tmp`)."""
    for path in sorted(v for v in visible if v.startswith("/tmp/") and os.path.lexists(root + v)):
        if os.path.islink(root + path):
            UNDER_TMP.append((path, None, os.readlink(root + path)))
            continue
        stash = f"{TMP_STASH}/{len(UNDER_TMP)}"
        if os.path.isdir(root + path):
            os.makedirs(root + stash)
        else:
            os.makedirs(root + TMP_STASH, exist_ok=True)
            open(root + stash, "a").close()
        _check(libc.mount((root + path).encode(), (root + stash).encode(), None, MS_BIND | MS_REC, None),
               f"stash {path}")
        UNDER_TMP.append((path, stash, None))


def _unstash_under_tmp(libc: ctypes.CDLL) -> None:
    for path, stash, link in UNDER_TMP:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if link is not None:
            os.symlink(link, path)
            continue
        _bind_read_only(libc, stash, path)


def _own_namespaces_and_tmp(limits: Limits) -> None:
    """In a worker forked from a prepared zygote: a private copy of the (small) mount namespace, its own IPC
    namespace, the zygote's empty network namespace or (when another worker is alive) one of its own, and a
    tmpfs of its own on /tmp as the working directory."""
    libc = _libc()
    network = CLONE_NEWNET if OWN_NETWORK or not SHARED_NETWORK else 0
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWIPC | network), "unshare")
    options = f"size={limits.tmpfs_mb}m,nr_inodes={limits.tmpfs_files},mode=1777".encode()
    _check(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount /tmp")
    _unstash_under_tmp(libc)
    os.chdir("/tmp")


def _namespaces_and_chroot(scratch: str, visible: list[str], limits: Limits) -> None:
    libc = _libc()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    _chroot_view(libc, scratch, visible, limits)


def _user_namespace_and_chroot(scratch: str, visible: list[str], limits: Limits) -> None:
    """A user namespace in which this process keeps its uid and gid (the only ones mapped) and, until the
    end of this function, the capabilities to build the same view as `_namespaces_and_chroot`."""
    uid, gid = os.geteuid(), os.getegid()
    libc = _libc()
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC), "unshare")
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        _chroot_view(libc, scratch, visible, limits)
    finally:  # built or not (then Landlock is tried next), none of the namespace's capabilities are kept
        header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
        _check(libc.capset(header, (ctypes.c_uint32 * 6)()), "drop capabilities")  # all of them, in both words


def _chroot_view(libc: ctypes.CDLL, scratch: str, visible: list[str], limits: Limits) -> None:
    """In a new mount namespace: chroot into a tmpfs holding read-only views of `visible`, its /tmp the
    working directory."""
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    root = os.path.join(scratch, "root")
    os.makedirs(root, exist_ok=True)
    # Its mount points take inodes too: a few per visible path.
    options = f"size={limits.tmpfs_mb}m,nr_inodes={limits.tmpfs_files + 16 * len(visible)},mode=755".encode()
    _check(libc.mount(b"tmpfs", root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount tmpfs")
    _view(libc, root, visible)
    work = os.path.join(root, "tmp")
    os.makedirs(work, exist_ok=True)
    os.chmod(work, 0o1777)
    os.chroot(root)
    os.chdir("/tmp")


def _view(libc: ctypes.CDLL, root: str, visible: list[str]) -> None:
    """Read-only bind mounts of `visible` under `root`; a symlink into another visible folder (merged /usr:
    /bin -> usr/bin) is copied as a symlink instead of mounted a second time."""
    for path in visible:
        if not os.path.lexists(path):
            continue
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        real = os.path.realpath(path)
        if os.path.islink(path) and any(real == v or real.startswith(v.rstrip("/") + "/")
                                        for v in visible if not os.path.islink(v)):
            os.symlink(os.readlink(path), target)
            continue
        _bind_read_only(libc, path, target)


def _bind_read_only(libc: ctypes.CDLL, source: str, target: str) -> None:
    """Mount `source` at `target` (made first, as a folder or a file like it), read-only and nosuid."""
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        open(target, "a").close()
    _check(libc.mount(source.encode(), target.encode(), None, MS_BIND | MS_REC, None), f"bind {source}")
    # The flags it has already are kept: in a user namespace, one left out would be refused (they are locked).
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | _mount_flags(source)
    _check(libc.mount(None, target.encode(), None, flags, None), f"read-only {source}")


def _mount_flags(path: str) -> int:
    """The per-mount flags of the mount `path` is on, as mount(2) flags."""
    try:
        have = os.statvfs(path).f_flag
    except OSError:
        return 0
    return sum(ms for st, ms in STATVFS_TO_MOUNT_FLAGS if have & st)


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
