"""A seccomp filter a worker installs on itself, last, before it runs any student code.

What a confined worker cannot be kept from by its uid, namespaces and rlimits, it is kept from here: kernel
keyrings (`add_key`, `keyctl`, `request_key`: a uid's keyring is kernel memory that outlives every process of
that uid), new namespaces (`unshare`, `setns`, `clone` with a CLONE_NEW* flag: an unprivileged user namespace
would give student code the capabilities to mount tmpfs after tmpfs) and mounts (`mount`, `umount2`,
`pivot_root` and the new mount API). Each of them fails with EPERM, as an unprivileged call would, rather
than killing the worker. `clone3` fails with ENOSYS, since its flags sit in memory a filter cannot read: the
C library then falls back to `clone`, whose flags the filter checks.

A classic BPF program built here with ctypes (no libseccomp binding needed), for x86_64 and aarch64; any
other architecture tag in a system call (i386 via `int 0x80`, or x32 numbers) is refused too. Elsewhere
`install` returns False and changes nothing.

This module runs inside the worker: it imports nothing from the grader.
"""
from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
BPF_LD_W_ABS, BPF_JEQ, BPF_JGE, BPF_JSET, BPF_RET = 0x20, 0x15, 0x35, 0x45, 0x06  # with BPF_K
X32_SYSCALL_BIT = 0x40000000
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (CLONE_NEWTIME is 0x80, the exit signal for clone)
CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

# Audit architecture, the `seccomp` syscall, then the numbers of what is refused, `clone` and `clone3`.
ARCHITECTURES = {
    "x86_64": {"audit": 0xC000003E, "seccomp": 317, "clone": 56, "clone3": 435, "x32": True, "denied": {
        "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272, "setns": 308, "mount": 165,
        "umount2": 166, "pivot_root": 155}},
    "aarch64": {"audit": 0xC00000B7, "seccomp": 277, "clone": 220, "clone3": 435, "x32": False, "denied": {
        "add_key": 217, "request_key": 218, "keyctl": 219, "unshare": 97, "setns": 268, "mount": 40,
        "umount2": 39, "pivot_root": 41}},
}
# The new mount API has the same numbers on both.
NEW_MOUNT_API = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
                 "fspick": 433, "mount_setattr": 442}


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def denied_calls(machine: str | None = None) -> dict[str, int]:
    """The system calls refused with EPERM on this machine (name -> number); empty where there is no filter."""
    arch = ARCHITECTURES.get(machine or platform.machine())
    return {} if arch is None else dict(arch["denied"], **NEW_MOUNT_API)


def program(machine: str | None = None) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions; raises KeyError for an architecture it does not know."""
    arch = ARCHITECTURES[machine or platform.machine()]
    deny = ("ret", SECCOMP_RET_ERRNO | errno.EPERM)
    # Instructions with symbolic jump targets ("deny", "enosys", "flags"), resolved below.
    body: list[tuple] = [("ld", 4), ("jeq", arch["audit"], None, "deny"), ("ld", 0)]
    if arch["x32"]:
        body.append(("jge", X32_SYSCALL_BIT, "deny", None))
    for number in sorted(denied_calls(machine).values()):
        body.append(("jeq", number, "deny", None))
    body += [("jeq", arch["clone"], "flags", None), ("jeq", arch["clone3"], "enosys", None),
             ("ret", SECCOMP_RET_ALLOW)]
    labels = {"flags": len(body)}
    body += [("ld", 16), ("jset", CLONE_NEW_FLAGS, "deny", None), ("ret", SECCOMP_RET_ALLOW)]  # low word of args[0]
    labels["deny"] = len(body)
    body.append(deny)
    labels["enosys"] = len(body)
    body.append(("ret", SECCOMP_RET_ERRNO | errno.ENOSYS))

    def offset(index: int, target: str | None) -> int:
        return 0 if target is None else labels[target] - index - 1

    codes = {"jeq": BPF_JEQ, "jge": BPF_JGE, "jset": BPF_JSET}
    out = []
    for index, (op, k, *targets) in enumerate(body):
        if op == "ld":
            out.append((BPF_LD_W_ABS, 0, 0, k))
        elif op == "ret":
            out.append((BPF_RET, 0, 0, k))
        else:
            out.append((codes[op], offset(index, targets[0]), offset(index, targets[1]), k))
    return out


def install() -> bool:
    """Refuse the calls above in this process and everything it starts, for good; False where not possible."""
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        return False
    instructions = program(machine)
    array = (_Instruction * len(instructions))(*[_Instruction(*i) for i in instructions])
    prog = _Program(len(instructions), array)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    # seccomp(2) with TSYNC covers every thread of the process; prctl only the calling one (enough when it is alone).
    if libc.syscall(ctypes.c_long(ARCHITECTURES[machine]["seccomp"]), SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(prog)) == 0:
        return True
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0
