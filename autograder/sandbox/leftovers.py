"""What an earlier grader killed with SIGKILL left behind, found and removed when the next one starts.

A grader that ends normally kills every worker and whatever each one started, and removes their scratch
folders. One killed with SIGKILL cannot: its zygote and workers follow it (parent-death signals), but a
daemon a submission started in a session of its own lives on under its worker's uid, and the scratch folders
stay in /dev/shm. Neither may be taken from another grader that is running at the same time:

- a worker uid is left over when its worker is gone. A worker runs as `UID_BASE + its pid`, so the worker of
  uid U is the process with pid U - UID_BASE, if that process still has uid U and a parent that is a grader
  or zygote (not a process of a worker uid, and not init, which adopts orphans);
- a scratch folder is named after the process that made it (pid and start time), and is left over when that
  process has ended.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.isolation import UID_BASE, fork_uid_sweeper

SCRATCH_PREFIX = "autograder-worker-"
SCRATCH_NAME = re.compile(rf"{SCRATCH_PREFIX}(\d+)-(\d+)-")
PROC = Path("/proc")


@dataclass
class Swept:
    """What `sweep` removed: worker uids whose processes it killed, scratch folders it deleted."""

    uids: list[int] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)


def scratch_prefix() -> str:
    """The name prefix of this process's scratch folders: it says which process made them."""
    return f"{SCRATCH_PREFIX}{os.getpid()}-{_start_time(os.getpid())}-"


def sweep(scratch_dir: str) -> Swept:
    """Kill the processes of every left-over worker uid (as root) and remove left-over scratch folders in
    `scratch_dir` (those this user owns)."""
    swept = Swept()
    if os.geteuid() == 0:
        for uid in sorted(_left_over_uids()):
            os.waitpid(fork_uid_sweeper(uid), 0)
            swept.uids.append(uid)
    try:
        entries = list(os.scandir(scratch_dir))
    except OSError:
        return swept
    for entry in entries:
        match = SCRATCH_NAME.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue
        except OSError:
            continue
        pid, started = int(match[1]), int(match[2])
        if started and _start_time(pid) != started:  # its maker has ended (its pid may be another's by now)
            shutil.rmtree(entry.path, ignore_errors=True)
            swept.folders.append(entry.path)
    return swept


def _left_over_uids() -> set[int]:
    """Worker uids that have a process alive but no live worker."""
    uids = {uid for uid, _ in map(_uid_and_parent, _pids()) if uid is not None and uid >= UID_BASE}
    left = set()
    for uid in uids:
        worker = uid - UID_BASE
        uid_of_worker, parent = _uid_and_parent(worker)
        if uid_of_worker == uid and parent not in (None, 0, 1):
            parent_uid, _ = _uid_and_parent(parent)
            if parent_uid is not None and parent_uid < UID_BASE:
                continue  # a worker of a grader that is still running
        left.add(uid)
    return left


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return []


def _uid_and_parent(pid: int) -> tuple[int | None, int | None]:
    """The real uid and the parent pid of a live process (not a zombie), or (None, None)."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except (OSError, ValueError):
        return None, None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    if fields.get("State", "").strip().startswith(("Z", "X")):
        return None, None
    try:
        return int(fields["Uid"].split()[0]), int(fields["PPid"].strip())
    except (KeyError, ValueError, IndexError):
        return None, None


def _start_time(pid: int) -> int:
    """When a process started, in clock ticks since boot (0 when there is no such process, or no /proc)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0
