"""Hostile submissions against the worker's confinement itself (issue 11, items 5 and 8): the host's kernel memory
through the worker (inodes, keyrings, namespaces, mounts), what a grader killed with SIGKILL leaves behind, and
isolation where the grader runs without root or without CAP_SYS_ADMIN.

Same rules as tests/test_hostile.py, whose fixtures these tests use: every hostile loop is bounded, nothing can
hurt the machine, and the autouse fixture checks that no worker process or scratch folder is left.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import leftovers, sandbox
from autograder.config import GraderConfig
from autograder.isolation import UID_BASE, Limits
from autograder.syscall_filter import ARCHITECTURES, denied_calls
from tests.test_hostile import (  # noqa: F401  fixtures, used by name
    REFERENCE,
    ROOT,
    assert_full_marks_except,
    feedback,
    grade_appended,
    hostile_config,
    make_config,
    needs_root,
    workers,
)

known_machine = pytest.mark.skipif(not denied_calls(), reason="the syscall filter knows x86_64 and aarch64 only")


# ------------------------------------------------------------------------------------------ 5. host memory


INODE_BOMB = """
_inodes = {{"made": 0, "refused": None}}

def count_params(layer_dims, bias=True):
    # Once, at most {tries} empty files in the working directory (the worker's tmpfs): empty files cost no
    # bytes of its size, only inodes. The right answer only if they ran out in time.
    import errno, os
    if _inodes["refused"] is None and _inodes["made"] < {tries}:
        os.makedirs("inodes", exist_ok=True)
        while _inodes["made"] < {tries}:
            try:
                open(f"inodes/{{_inodes['made']}}", "w").close()
            except OSError as error:
                _inodes["refused"] = error.errno
                break
            _inodes["made"] += 1
    if _inodes["refused"] != errno.ENOSPC or _inodes["made"] > {limit}:
        raise ValueError(f"{{_inodes['made']}} files made, refused with {{_inodes['refused']}}")
    return sum(d_in * d_out + (d_out if bias else 0) for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]))
"""


@needs_root
def test_files_in_the_worker_tmpfs_are_bounded_by_inodes(tmp_path: Path, hostile_config: GraderConfig) -> None:
    """Do empty files (kernel memory that a tmpfs size does not count) run out at the worker's inode limit?"""
    limit = Limits().tmpfs_files
    result, elapsed = grade_appended(tmp_path, hostile_config, INODE_BOMB.format(tries=5 * limit, limit=limit))
    assert elapsed < 15
    assert result.isolation == "namespace"
    assert_full_marks_except(result, hostile_config)


SYSCALL_PROBE = """
import ctypes as _ctypes, errno as _errno, math as _math, os as _os

_NUMBERS = {numbers!r}

def _probe():
    # Each call once; what the kernel answered (an errno name), or "allowed".
    libc = _ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = _ctypes.c_long
    L, S = _ctypes.c_long, _ctypes.c_char_p
    calls = {{
        "unshare(CLONE_NEWUSER)": (_NUMBERS["unshare"], L(0x10000000)),
        "unshare(CLONE_NEWNS)": (_NUMBERS["unshare"], L(0x00020000)),
        # keys in the process keyring only (it goes with the process), should the call be allowed
        "add_key": (_NUMBERS["add_key"], S(b"user"), S(b"autograder-probe"), S(b"x"), L(1), L(-2)),
        "keyctl": (_NUMBERS["keyctl"], L(0), L(-2), L(1)),  # KEYCTL_GET_KEYRING_ID of the process keyring
        "request_key": (_NUMBERS["request_key"], S(b"user"), S(b"autograder-probe"), None, L(-2)),
    }}
    answers = {{}}
    for name, (number, *args) in calls.items():
        _ctypes.set_errno(0)
        done = libc.syscall(L(number), *args)
        answers[name] = _errno.errorcode.get(_ctypes.get_errno(), "?") if done == -1 else "allowed"
    # clone with CLONE_NEWUSER | SIGCHLD and no stack: a fork into a new user namespace; the child leaves at once
    child = libc.syscall(L(_NUMBERS["clone"]), L(0x10000000 | 17), L(0), L(0), L(0), L(0))
    if child == 0:
        _os._exit(0)
    if child > 0:
        _os.waitpid(child, 0)
    answers["clone(CLONE_NEWUSER)"] = _errno.errorcode.get(_ctypes.get_errno(), "?") if child == -1 else "allowed"
    return answers

def zero_init_loss(num_classes):
    answers = _probe()
    if set(answers.values()) != {{"EPERM"}}:
        raise ValueError(f"not refused: {{answers}}")
    return _math.log(num_classes)
"""


@known_machine
@pytest.mark.parametrize("zygote", ["1", "0"])
def test_keyrings_namespaces_and_mounts_are_refused(tmp_path: Path, hostile_config: GraderConfig,
                                                     monkeypatch: pytest.MonkeyPatch, zygote: str) -> None:
    """Do the calls that reach kernel memory a worker's limits do not count (keyrings outlive every process of
    their uid) or would undo its confinement (a user namespace of its own, then mounts) fail with EPERM, in a
    worker forked from the zygote and in one started fresh, while fork and threads still work?"""
    monkeypatch.setenv("AUTOGRADER_ZYGOTE", zygote)
    numbers = dict(denied_calls(), clone=ARCHITECTURES[os.uname().machine]["clone"])
    probe = SYSCALL_PROBE.format(numbers=numbers) + """
import threading as _threading

def count_params(layer_dims, bias=True):
    # fork (clone without namespace flags) and threads (clone3 refused with ENOSYS, then clone) still work
    pid = _os.fork()
    if pid == 0:
        _os._exit(0)
    _os.waitpid(pid, 0)
    done = []
    thread = _threading.Thread(target=done.append, args=(1,))
    thread.start()
    thread.join()
    assert done == [1]
    return sum(d_in * d_out + (d_out if bias else 0) for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]))
"""
    result, elapsed = grade_appended(tmp_path, hostile_config, probe)
    assert elapsed < 15
    assert "not refused" not in feedback(result, "zero_init_loss"), feedback(result, "zero_init_loss")
    assert_full_marks_except(result, hostile_config)


def _processes_named(comm: str) -> list[tuple[int, int]]:
    """(pid, real uid) of every live process whose name is `comm`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if (entry / "comm").read_text().strip() != comm:
                continue
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if not fields.get("State", "").strip().startswith("Z"):
            found.append((int(entry.name), int(fields["Uid"].split()[0])))
    return found


DAEMON_THEN_SLEEP = """
import ctypes as _ctypes, os as _os, time as _time

def _leave_daemon():
    # A daemon in a session of its own, named {name!r} so the test can find it; it sleeps 60 s at most.
    if _os.fork() == 0:
        try:
            _os.setsid()
            if _os.fork() == 0:
                _os.closerange(0, 256)
                _ctypes.CDLL(None).prctl(15, {name!r}.encode(), 0, 0, 0)  # PR_SET_NAME
                _time.sleep(60)
        finally:
            _os._exit(0)
    _os.wait()
    return True

_left = _leave_daemon()
_slept = _time.sleep(20)  # the grader is killed while this statement runs
"""


def _grade_command(submission: Path, out: Path, config: Path) -> list[str]:
    """`autograder grade` from this checkout (the installed console script may be another copy's)."""
    return [sys.executable, "-m", "autograder.cli", "grade", str(submission), "-a", "backprop", "--out", str(out),
            "--config", str(config), "--no-report", "-j", "1"]


@needs_root
def test_what_a_killed_grader_leaves_is_swept_by_the_next(tmp_path: Path, make_config) -> None:
    """A grader killed with SIGKILL leaves a submission's daemon (under its worker's uid) and its scratch folder:
    are both removed when the next grader starts, while a third grader's live worker and scratch are kept?"""
    make_config(statement_timeout=20.0)
    (config,) = tmp_path.glob("grader-*-20.0.toml")  # the file make_config wrote
    name = f"agd-{os.getpid() % 100000}"
    hostile = tmp_path / "hostile.py"
    hostile.write_text(REFERENCE.read_text() + "\n\n" + DAEMON_THEN_SLEEP.format(name=name))
    scratch_dir = Path(sandbox.scratch_base() or "/tmp")
    before = set(scratch_dir.glob(f"{leftovers.SCRATCH_PREFIX}*"))
    killed = subprocess.Popen(_grade_command(hostile, tmp_path / "out-killed", config), cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    live = None
    try:
        deadline = time.monotonic() + 30
        while not _processes_named(name) and time.monotonic() < deadline and killed.poll() is None:
            time.sleep(0.05)
        daemons = _processes_named(name)
        assert daemons, "the hostile submission never started its daemon"
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
        time.sleep(0.5)  # the zygote and the worker follow the grader (parent-death signals)
        # The control: without the sweep, both would stay.
        assert _processes_named(name) == daemons and all(uid >= UID_BASE for _, uid in daemons)
        stale = {p for p in set(scratch_dir.glob(f"{leftovers.SCRATCH_PREFIX}{killed.pid}-*")) - before}
        assert stale, "the killed grader left no scratch folder"

        live = sandbox.Worker(Limits())  # another grader's worker, alive while the next one starts
        honest = tmp_path / "honest.py"
        honest.write_text(REFERENCE.read_text())
        subprocess.run(_grade_command(honest, tmp_path / "out-next", config), cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

        deadline = time.monotonic() + 5
        while _processes_named(name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _processes_named(name), "the daemon outlived the next grader's start"
        assert not [p for p in stale if p.exists()], "the killed grader's scratch folders were not removed"
        assert Path(live.scratch).exists()
        reply, _ = live.request({"op": "callables", "names": []}, timeout=5)
        assert reply == {"ok": True, "names": []}
    finally:
        if killed.poll() is None:
            os.killpg(killed.pid, signal.SIGKILL)
            killed.wait()
        for _, uid in _processes_named(name):
            sandbox.kill_uid(uid)
        if live is not None:
            live.close()
