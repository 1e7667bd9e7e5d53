"""A seccomp filter a worker installs on itself, last, before it runs any student code.

What a confined worker cannot be kept from by its uid, namespaces and rlimits, it is kept from here: kernel
keyrings (`add_key`, `keyctl`, `request_key`: a uid's keyring is kernel memory that outlives every process of
that uid), new namespaces (`unshare`, `setns`, `clone` with a CLONE_NEW* flag: an unprivileged user namespace
would give student code the capabilities to mount tmpfs after tmpfs) and mounts (`mount`, `umount2`,
`pivot_root` and the new mount API). Each of them fails with EPERM, as an unprivileged call would, rather
than killing the worker. `clone3` fails with ENOSYS, since its flags sit in memory a filter cannot read: the
C library then falls back to `clone`, whose flags the filter checks.

A worker that shares its uid with the grader (a grader run by an ordinary user) gets a stricter filter: the
kernel would let it signal, trace, read the memory of or lower the rlimits of every process of that user, the
grader's included. There, signals and `prlimit64` may name only the worker itself (or its process group, or
0), and `ptrace`, `process_vm_readv`/`writev`, `process_madvise`, `perf_event_open`, `kcmp`, the pidfd calls
and `migrate_pages`/`move_pages` fail with EPERM. (A process the student forks can signal the worker, not its
own children.)

A worker confined by Landlock alone (no namespace, so it shares the host's network and its named sockets)
may create no socket but an AF_UNIX one, and may neither `connect` nor send to an address (`sendto` with one,
`sendmsg`, `sendmmsg`): socketpair-style local use still works. Every worker is refused io_uring, whose
operations (a connect among them) would not pass through this filter.

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
BPF_LD_W_ABS, BPF_JA, BPF_JEQ, BPF_JGE, BPF_JSET, BPF_RET = 0x20, 0x05, 0x15, 0x35, 0x45, 0x06  # BPF_K
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
# Refused to a worker with the grader's uid; the first six are allowed on the worker itself.
OWN_PROCESS_ONLY = {
    "x86_64": {"kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
               "prlimit64": 302},
    "aarch64": {"kill": 129, "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240,
                "prlimit64": 261},
}
OTHER_PROCESSES = {
    "x86_64": {"ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "perf_event_open": 298,
               "kcmp": 312, "migrate_pages": 256, "move_pages": 279},
    "aarch64": {"ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "perf_event_open": 241,
                "kcmp": 272, "migrate_pages": 238, "move_pages": 239},
}
# Refused to a worker confined by Landlock alone; `socket` is allowed for AF_UNIX, `sendto` without an address.
SOCKETS = {
    "x86_64": {"socket": 41, "connect": 42, "sendto": 44, "sendmsg": 46, "sendmmsg": 307},
    "aarch64": {"socket": 198, "connect": 203, "sendto": 206, "sendmsg": 211, "sendmmsg": 269},
}
AF_UNIX = 1
# io_uring, the pidfd calls and process_madvise, and the new mount API, have the same numbers on both.
IO_URING = {"io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427}
PIDFD_CALLS = {"pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438, "process_madvise": 440}
NEW_MOUNT_API = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
                 "fspick": 433, "mount_setattr": 442}


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def denied_calls(machine: str | None = None, own_pid: int | None = None,
                 local_sockets_only: bool = False) -> dict[str, int]:
    """The system calls refused outright with EPERM on this machine (name -> number): those refused to every
    worker, with `own_pid` those refused to one that shares the grader's uid, with `local_sockets_only` those
    refused to one confined by Landlock alone; empty where there is no filter."""
    machine = machine or platform.machine()
    arch = ARCHITECTURES.get(machine)
    if arch is None:
        return {}
    denied = dict(arch["denied"], **NEW_MOUNT_API, **IO_URING)
    if own_pid is not None:
        denied.update(OTHER_PROCESSES[machine], **PIDFD_CALLS)
    if local_sockets_only:
        denied.update({name: SOCKETS[machine][name] for name in ("connect", "sendmsg", "sendmmsg")})
    return denied


def program(machine: str | None = None, own_pid: int | None = None,
            local_sockets_only: bool = False) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions (see the module docstring for `own_pid` and
    `local_sockets_only`); raises KeyError for an architecture it does not know."""
    machine = machine or platform.machine()
    arch = ARCHITECTURES[machine]

    def low(index: int) -> tuple:  # load the low word of args[index] (little-endian; the arguments checked are ints)
        return ("ld", 16 + 8 * index)

    # Instructions with symbolic jump targets, resolved below; the blocks after the first end in "allow"/"deny".
    body: list[tuple] = [("ld", 4), ("jeq", arch["audit"], None, "deny"), ("ld", 0)]
    if arch["x32"]:
        body.append(("jge", X32_SYSCALL_BIT, "deny", None))
    for number in sorted(denied_calls(machine, own_pid, local_sockets_only).values()):
        body.append(("jeq", number, "deny", None))
    if own_pid is not None:
        for number in sorted(OWN_PROCESS_ONLY[machine].values()):
            body.append(("jeq", number, "own", None))
    if local_sockets_only:
        body += [("jeq", SOCKETS[machine]["socket"], "unix", None), ("jeq", SOCKETS[machine]["sendto"], "to", None)]
    body += [("jeq", arch["clone"], "flags", None), ("jeq", arch["clone3"], "enosys", None), ("jmp", "allow")]
    labels = {"flags": len(body)}
    body += [low(0), ("jset", CLONE_NEW_FLAGS, "deny", "allow")]
    if own_pid is not None:  # the pid is this process, its group, or 0
        labels["own"] = len(body)
        body += [low(0), ("jeq", own_pid, "allow", None), ("jeq", -own_pid & 0xFFFFFFFF, "allow", None),
                 ("jeq", 0, "allow", "deny")]
    if local_sockets_only:
        labels["unix"] = len(body)
        body += [low(0), ("jeq", AF_UNIX, "allow", "deny")]
        labels["to"] = len(body)  # sendto(fd, buf, len, flags, NULL, 0): both words of the address are 0
        body += [low(4), ("jeq", 0, None, "deny"), ("ld", 16 + 8 * 4 + 4), ("jeq", 0, "allow", "deny")]
    labels["allow"] = len(body)
    body.append(("ret", SECCOMP_RET_ALLOW))
    labels["deny"] = len(body)
    body.append(("ret", SECCOMP_RET_ERRNO | errno.EPERM))
    labels["enosys"] = len(body)
    body.append(("ret", SECCOMP_RET_ERRNO | errno.ENOSYS))

    def offset(index: int, target: str | None) -> int:
        return 0 if target is None else labels[target] - index - 1

    codes = {"jeq": BPF_JEQ, "jge": BPF_JGE, "jset": BPF_JSET}
    out = []
    for index, (op, *rest) in enumerate(body):
        if op == "ld":
            out.append((BPF_LD_W_ABS, 0, 0, rest[0]))
        elif op == "ret":
            out.append((BPF_RET, 0, 0, rest[0]))
        elif op == "jmp":
            out.append((BPF_JA, 0, 0, offset(index, rest[0])))
        else:
            k, true, false = rest
            out.append((codes[op], offset(index, true), offset(index, false), k))
    assert all(0 <= jt < 256 and 0 <= jf < 256 for _, jt, jf, _ in out)
    return out


def install(own_pid: int | None = None, local_sockets_only: bool = False) -> bool:
    """Refuse the calls above in this process and everything it starts, for good (with `own_pid`, this process's
    pid, the calls that reach other processes of the same uid too); False where not possible."""
    machine = platform.machine()
    if machine not in ARCHITECTURES:
        return False
    instructions = program(machine, own_pid, local_sockets_only)
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
