"""Hostile submissions against the worker's confinement itself (issue 11, items 5 and 8): the host's kernel memory
through the worker (inodes, keyrings, namespaces, mounts), what a grader killed with SIGKILL leaves behind, and
isolation where the grader runs without root or without CAP_SYS_ADMIN.

Same rules as tests/test_hostile.py, whose fixtures these tests use: every hostile loop is bounded, nothing can
hurt the machine, and the autouse fixture checks that no worker process or scratch folder is left.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.course.config import GraderConfig
from autograder.sandbox import leftovers
from autograder.sandbox import workers as sandbox
from autograder.sandbox.isolation import UID_BASE, Limits
from autograder.sandbox.syscall_filter import ARCHITECTURES, denied_calls
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


# ------------------------------------------------------------------- 8. isolation without root or CAP_SYS_ADMIN


TA_USER = "autograder-ta"  # an ordinary user, made for these tests when missing
# Each call is a permission probe that changes nothing: signal 0, reading one rlimit, reading one byte.
PROCESS_PROBE = """
import ctypes as _ctypes, errno as _errno, math as _math, os as _os, resource as _resource

def _refused(call):
    try:
        call()
    except OSError as error:
        return error.errno == _errno.EPERM
    return False

def _read_memory(pid):
    libc = _ctypes.CDLL(None, use_errno=True)
    libc.process_vm_readv.restype = _ctypes.c_ssize_t
    buffer = _ctypes.create_string_buffer(1)
    local = (_ctypes.c_void_p * 2)(_ctypes.cast(buffer, _ctypes.c_void_p), 1)
    remote = (_ctypes.c_void_p * 2)(4096, 1)
    if libc.process_vm_readv(pid, local, 1, remote, 1, 0) < 0:
        raise OSError(_ctypes.get_errno(), "process_vm_readv")

def zero_init_loss(num_classes):
    # The worker's parent (the zygote, or the grader) is a process of the grader's user.
    parent = _os.getppid()
    probes = {"signal": lambda: _os.kill(parent, 0), "rlimit": lambda: _resource.prlimit(parent, _resource.RLIMIT_NOFILE),
              "memory": lambda: _read_memory(parent)}
    reached = sorted(name for name, call in probes.items() if not _refused(call))
    if reached:
        raise ValueError(f"reached the grader's processes: {reached}")
    return _math.log(num_classes)
"""
# Run before the grader, as a container runtime's seccomp profile would be: no namespaces, no mounts (and, for
# "nothing", no Landlock either: an older kernel). The grader's own filter is the very same as its workers'.
CONTAINER = """
import ctypes, os, platform, sys
sys.path.insert(0, {root!r})
from autograder.sandbox import syscall_filter
assert syscall_filter.install()
if sys.argv[1] == "nothing":
    ins = [(0x20, 0, 0, 0), (0x15, 3, 0, 444), (0x15, 2, 0, 445), (0x15, 1, 0, 446),
           (0x06, 0, 0, syscall_filter.SECCOMP_RET_ALLOW), (0x06, 0, 0, syscall_filter.SECCOMP_RET_ERRNO | 38)]
    array = (syscall_filter._Instruction * len(ins))(*[syscall_filter._Instruction(*i) for i in ins])
    program = syscall_filter._Program(len(ins), array)
    assert ctypes.CDLL(None).prctl(22, 2, ctypes.byref(program), 0, 0) == 0  # PR_SET_SECCOMP, FILTER: ENOSYS
os.execv(sys.argv[2], sys.argv[2:])
"""
NAMESPACE_PROBE = "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(0x10000000) != 0)"


def _ta_user() -> tuple[int, int]:
    """The uid and gid of the test's ordinary user, made (a system user without home or shell) when missing."""
    import pwd

    try:
        entry = pwd.getpwnam(TA_USER)
    except KeyError:
        if not shutil.which("useradd"):
            pytest.skip("no useradd to make an ordinary user with")
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TA_USER],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(TA_USER)
    return entry.pw_uid, entry.pw_gid


def _reopen_for_others(paths: list[str]) -> str:
    """Shell lines that, in a private mount namespace, make `paths` reachable by any user where a folder on the
    way is closed to others (the interpreter under /root): a tmpfs over the closed folder, the way back mounted."""
    ways: dict[str, set[str]] = {}
    for found in {_first_closed(Path(p)) for p in paths} - {None}:
        ways.setdefault(found[0], set()).add(found[1])
    lines = []
    for closed, insides in sorted(ways.items()):
        stages = {inside: f"$stage{index}" for index, inside in enumerate(sorted(insides))}
        lines += [f"stage{index}=$(mktemp -d) && mount --bind {inside} $stage{index}"
                  for index, inside in enumerate(sorted(insides))]
        lines.append(f"mount -t tmpfs -o mode=755,size=1m tmpfs {closed}")
        lines += [f"mkdir -p {inside} && mount --move {stage} {inside} && rmdir {stage}"
                  for inside, stage in stages.items()]
    return " && ".join(lines) or "true"


def _first_closed(path: Path) -> tuple[str, str] | None:
    """The first folder on the way to `path` that others cannot enter, and its child on that way."""
    parts = path.resolve().parts
    for depth in range(1, len(parts) - 1):
        folder = Path(*parts[:depth + 1]) if depth else Path("/")
        if not os.stat(folder).st_mode & 0o001:
            below = Path(*parts[:depth + 2])
            if any(not os.stat(Path(*parts[:d + 1])).st_mode & 0o001 for d in range(depth + 1, len(parts) - 1)):
                pytest.skip(f"more than one folder closed to others on the way to {path}")
            return str(folder), str(below)
    return None


def _setting_prefix(setting: str, home: Path) -> list[str]:
    """The command prefix that runs a grader in `setting`."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is needed to drop capabilities or change user")
    drop = ["setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin"]
    python = os.path.realpath(sys.executable)
    container = [python, str(home / "container.py")]
    if setting == "root":
        return []
    if setting == "root without CAP_SYS_ADMIN":
        return drop
    if setting == "root in a container":
        return drop + container + ["container"]
    uid, gid = _ta_user()
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is needed to reach the interpreter as an ordinary user")
    reopen = _reopen_for_others([python, sys.base_prefix, sys.prefix, str(ROOT)])
    as_user = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
               f'{reopen} && exec setpriv --reuid={uid} --regid={gid} --clear-groups env HOME={home} "$@"', "sh"]
    if setting == "ordinary user":
        return as_user
    return as_user + container + ["container" if setting == "ordinary user in a container" else "nothing"]


def _expected_level(setting: str, prefix: list[str]) -> str:
    """What the setting allows: a user namespace where this kernel lets the setting make one, else Landlock."""
    if setting == "root":
        return "namespace"
    if setting == "ordinary user without any confinement":
        return "none"
    python = os.path.realpath(sys.executable)
    made = subprocess.run(prefix + [python, "-c", NAMESPACE_PROBE], cwd=ROOT, capture_output=True, timeout=30)
    return "user-namespace" if made.returncode == 0 else "landlock"


SETTINGS = ["root", "root without CAP_SYS_ADMIN", "root in a container", "ordinary user",
            "ordinary user in a container", "ordinary user without any confinement"]


@pytest.fixture
def grading_home(tmp_path: Path, make_config):
    """A folder any user can use (pytest's own are closed to others): the grader.toml of these tests (2 s
    timeouts), the container wrapper, then the submissions and outputs."""
    make_config(call_timeout=2.0)
    (config,) = tmp_path.glob("grader-*.toml")
    home = Path(tempfile.mkdtemp(prefix="autograder-settings-", dir="/tmp"))
    try:
        os.chmod(home, 0o755)
        shutil.copy(config, home / "grader.toml")
        (home / "container.py").write_text(CONTAINER.format(root=str(ROOT)))
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _steal_source() -> str:
    """The skeleton, functions that return the reference's answers if they can read it, and the process probe."""
    from autograder.authoring.skeleton import strip_solutions
    from tests.test_hostile import GRADER_TOML, STEAL

    candidates = [str(REFERENCE), str(GRADER_TOML), f"/proc/1/root{REFERENCE}", "../" * 12 + str(REFERENCE)[1:],
                  f"/proc/self/cwd/../{REFERENCE}"]
    return strip_solutions(REFERENCE.read_text()) + "\n\n" + STEAL.format(candidates=candidates) + PROCESS_PROBE


def _grade_in(prefix: list[str], home: Path, *extra: str) -> subprocess.CompletedProcess:
    command = _grade_command(home / "steal.py", home / "out", home / "grader.toml") + list(extra)
    command[0] = os.path.realpath(sys.executable)
    return subprocess.run(prefix + command, cwd=ROOT, capture_output=True, text=True, timeout=240)


def _processes_of(uid: int) -> list[int]:
    return [pid for pid, owner in _all_processes() if owner == uid]


def _all_processes() -> list[tuple[int, int]]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if not fields.get("State", "").strip().startswith("Z"):
            found.append((int(status.parent.name), int(fields["Uid"].split()[0])))
    return found


@needs_root
@pytest.mark.parametrize("setting", SETTINGS)
def test_the_reference_stays_unreadable_in_every_setting(setting: str, grading_home: Path) -> None:
    """As root, as root without CAP_SYS_ADMIN (a container's default), as root in a container that refuses
    namespaces too, and as an ordinary user with and without user namespaces: does a submission that reads the
    reference (and probes the grader's processes) get nothing, and does results.json say how it was confined?
    Where nothing confines it, is grading refused, and said in every output when forced?"""
    prefix = _setting_prefix(setting, grading_home)
    expected = _expected_level(setting, prefix)
    (grading_home / "steal.py").write_text(_steal_source())
    user = setting.startswith("ordinary user")
    if user:
        uid, _ = _ta_user()
        for path in [grading_home, *grading_home.iterdir()]:
            os.chown(path, uid, -1)
    extra = []
    if expected == "none":
        refused = _grade_in(prefix, grading_home)
        assert refused.returncode != 0 and "--unsafe-no-isolation" in refused.stderr, refused.stderr
        assert not (grading_home / "out" / "gradebook.csv").exists()
        extra = ["--unsafe-no-isolation"]
    try:
        run = _grade_in(prefix, grading_home, *extra)
        assert run.returncode == 0, run.stderr[-3000:]
        results = json.loads((grading_home / "out" / "steal" / "results.json").read_text())
        assert results["extra_data"]["isolation"] == expected
        by_task = {}
        for test in results["tests"]:
            by_task.setdefault(test["tags"][0], []).append(test)
        probe = by_task["zero_init_loss"]
        assert sum(t["score"] for t in probe) == sum(t["max_score"] for t in probe), [t["output"] for t in probe]
        gradebook = (grading_home / "out" / "gradebook.csv").read_text()
        summary = json.loads((grading_home / "out" / "summary.json").read_text())
        if expected == "none":  # the reference was read, and every output says that nothing confined it
            assert results["score"] > results["max_score"] / 2
            assert results["extra_data"]["unsafe_no_isolation"] is True
            assert "WITHOUT ISOLATION" in gradebook
            assert summary["unsafe_no_isolation"] == ["steal"]
        else:
            assert "nothing to steal" in by_task["linear_forward"][0]["output"]
            assert results["score"] == sum(t["max_score"] for t in probe)
            assert "unsafe_no_isolation" not in results["extra_data"] and "unsafe_no_isolation" not in summary
            assert "WITHOUT ISOLATION" not in gradebook
    finally:
        if user:  # nothing of the ordinary user's grader is left (its workers ran as that user)
            deadline = time.monotonic() + 5
            while _processes_of(uid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _processes_of(uid), "processes of the grader's user outlived it"


VENV_PROBE = """
def count_params(layer_dims, bias=True):
    # Imported only now, in the confined worker: numpy.testing from the interpreter, a module from the venv.
    import numpy.testing
    import autograder_venv_probe
    return autograder_venv_probe.count(layer_dims, bias)
"""


@needs_root
def test_a_virtual_environment_under_tmp_stays_visible(tmp_path: Path) -> None:
    """A grader run from a venv under /tmp (whose packages a worker imports lazily, numpy.testing included): is
    the venv still there in a worker, whose own /tmp would cover it?"""
    assert str(tmp_path).startswith("/tmp/")
    venv = tmp_path / "venv"
    subprocess.run([os.path.realpath(sys.executable), "-m", "venv", "--system-site-packages", "--without-pip",
                    str(venv)], check=True, capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    site_packages = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip()
    assert site_packages.startswith(str(venv))
    (Path(site_packages) / "autograder_venv_probe.py").write_text(
        "def count(dims, bias):\n"
        "    return sum(a * b + (b if bias else 0) for a, b in zip(dims[:-1], dims[1:]))\n")
    submission = tmp_path / "venv_user.py"
    submission.write_text(REFERENCE.read_text() + "\n\n" + VENV_PROBE)
    config = tmp_path / "grader.toml"
    config.write_text((ROOT / "grader.toml").read_text().replace('reference = "reference/',
                                                                 f'reference = "{ROOT}/reference/'))
    command = _grade_command(submission, tmp_path / "out", config)
    command[0] = str(python)
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "out" / "venv_user" / "results.json").read_text())
    assert results["extra_data"]["isolation"] == "namespace"
    failed = [t["output"] for t in results["tests"] if t["score"] < t["max_score"]]
    assert results["score"] == results["max_score"], failed


SOCKET_PROBE = """
import math as _math, socket as _socket

def zero_init_loss(num_classes):
    # The right answer only if nothing on the host could be reached: a TCP listener on its loopback, a named
    # unix socket (a user's session bus, say) and a UDP port (datagrams, which need no connection).
    reached = []
    for name, family, kind, address in [("tcp", _socket.AF_INET, _socket.SOCK_STREAM, ("127.0.0.1", {tcp})),
                                        ("unix", _socket.AF_UNIX, _socket.SOCK_STREAM, {unix!r})]:
        try:
            with _socket.socket(family, kind) as probe:
                probe.settimeout(0.5)
                probe.connect(address)
            reached.append(name)
        except OSError:
            pass
    try:
        with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as probe:
            probe.sendto(b"reached", ("127.0.0.1", {udp}))
    except OSError:
        pass
    if reached:
        raise ValueError(f"reached {{reached}}")
    return _math.log(num_classes)
"""


@needs_root
@pytest.mark.parametrize("setting", [s for s in SETTINGS if s != "ordinary user without any confinement"])
def test_no_socket_of_the_host_is_reached_in_any_setting(setting: str, grading_home: Path) -> None:
    """Without a network namespace (Landlock only), can student code still reach nothing on the host: no TCP
    listener on its loopback, no named unix socket it could write to, no UDP port?"""
    import socket

    prefix = _setting_prefix(setting, grading_home)
    with socket.socket() as tcp, socket.socket(socket.AF_UNIX) as unix, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        unix_path = str(grading_home / "listener.sock")
        unix.bind(unix_path)
        os.chmod(unix_path, 0o777)
        unix.listen()
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        probe = SOCKET_PROBE.format(tcp=tcp.getsockname()[1], unix=unix_path, udp=udp.getsockname()[1])
        (grading_home / "steal.py").write_text(REFERENCE.read_text() + "\n\n" + probe)
        if setting.startswith("ordinary user"):
            uid, _ = _ta_user()
            for path in [grading_home, *grading_home.iterdir()]:
                os.chown(path, uid, -1)
        run = _grade_in(prefix, grading_home)
        assert run.returncode == 0, run.stderr[-3000:]
        with pytest.raises(BlockingIOError):
            udp.recv(100)
    results = json.loads((grading_home / "out" / "steal" / "results.json").read_text())
    failed = [t["output"] for t in results["tests"] if t["score"] < t["max_score"]]
    assert results["score"] == results["max_score"], failed


@needs_root
@pytest.mark.parametrize("setting", ["ordinary user", "ordinary user in a container"])
def test_a_daemon_of_a_worker_with_the_graders_uid_is_killed(setting: str, grading_home: Path) -> None:
    """A worker of an ordinary user's grader has no uid of its own to sweep: is a daemon it leaves (its own
    session, sleeping 60 s) still killed when it ends, with the grades unaffected?"""
    from tests.test_hostile import ESCAPED_DAEMON

    prefix = _setting_prefix(setting, grading_home)
    uid, _ = _ta_user()
    (grading_home / "steal.py").write_text(REFERENCE.read_text() + "\n\n" + ESCAPED_DAEMON)
    for path in [grading_home, *grading_home.iterdir()]:
        os.chown(path, uid, -1)
    try:
        run = _grade_in(prefix, grading_home)
        assert run.returncode == 0, run.stderr[-3000:]
        results = json.loads((grading_home / "out" / "steal" / "results.json").read_text())
        assert results["score"] == results["max_score"]
        deadline = time.monotonic() + 5
        while _processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _processes_of(uid), "the daemon outlived its worker and the grader"
    finally:
        for pid in _processes_of(uid):  # only this test's user runs anything under this uid
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
