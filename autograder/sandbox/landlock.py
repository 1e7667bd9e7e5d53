"""Landlock, for a worker that can have no namespace (no CAP_SYS_ADMIN, and user namespaces refused, as in a
container's default seccomp profile): it restricts itself to reading what it must and writing its own folder.

Landlock needs no privilege (Linux 5.13 and later, when the kernel enables it): a process hands the kernel a
set of rules and from then on, it and everything it starts can open nothing the rules do not name. Here, the
rules are: read (and execute) `visible`, the Python installation and system libraries; read and write its
working directory; write /dev/null. With Landlock ABI 4 (Linux 6.7) it also binds and connects no TCP port,
and with ABI 6 (Linux 6.12) it can signal no process outside itself and reach no abstract unix socket. The
reference, the checks, other submissions, the results and /proc all stay closed to it, whatever their modes.

This module runs inside the worker: it imports nothing from the grader.
"""
from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_ACCESS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # the rights a rule on a file may grant
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The Landlock ABI this kernel offers; 0 when it has none (too old, or not enabled)."""
    libc = _libc()
    version = libc.syscall(ctypes.c_long(SYS_CREATE_RULESET), None, ctypes.c_size_t(0),
                           ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(int(version), 0)


def handled_access(abi: int) -> tuple[int, int, int]:
    """What a ruleset of this ABI governs: file-system rights, network rights, scopes."""
    fs = (1 << 13) - 1  # ABI 1: execute ... make_sym
    if abi >= 2:
        fs |= REFER
    if abi >= 3:
        fs |= TRUNCATE
    if abi >= 5:
        fs |= IOCTL_DEV
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    return fs, net, scoped


def restrict(visible: list[str], work: str) -> bool:
    """Restrict this process (and what it starts, for good) to reading `visible` and writing `work`; False,
    with nothing changed, when the kernel has no Landlock."""
    abi = abi_version()
    if abi < 1:
        return False
    fs, net, scoped = handled_access(abi)
    libc = _libc()
    attr = _RulesetAttr(fs, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # an older kernel takes only the fields it knows
    ruleset = libc.syscall(ctypes.c_long(SYS_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        read = EXECUTE | READ_FILE | READ_DIR
        rules = [(path, read) for path in visible if path != "/dev/null"] + [("/dev/null", READ_FILE | WRITE_FILE),
                                                                            (work, fs)]
        for path, access in rules:
            if not _add_rule(libc, ruleset, path, access & fs):
                return False
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.syscall(ctypes.c_long(SYS_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) == 0
    finally:
        os.close(ruleset)


def _add_rule(libc: ctypes.CDLL, ruleset: int, path: str, access: int) -> bool:
    """Grant `access` beneath `path` (a missing path is skipped); False when the kernel refuses the rule."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return True
    try:
        if not os.path.isdir(path):
            access &= FILE_ACCESS
        rule = _PathBeneathAttr(access, fd)
        return libc.syscall(ctypes.c_long(SYS_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                            ctypes.byref(rule), ctypes.c_uint32(0)) == 0
    finally:
        os.close(fd)


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc
