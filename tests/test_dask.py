"""Grading on a Dask cluster (issue 15, part 1): a LocalCluster of worker processes started here, no service outside.

The same class graded by the process pool and by the cluster gives the same bytes; a Dask worker killed in the
middle of a grading costs nothing; a worker with another grader.toml is refused before it grades anything.
"""
from __future__ import annotations

import collections
import csv
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from click.testing import CliRunner  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from autograder.batch import run  # noqa: E402
from autograder.batch.dask_worker import CONFIG_ENV, ClusterError  # noqa: E402
from autograder.batch.run import grade_batch  # noqa: E402
from autograder.cli import main  # noqa: E402
from autograder.course.config import ConfigError, GraderConfig, load_config  # noqa: E402
from autograder.course.registry import ASSIGNMENTS  # noqa: E402
from tests.conftest import ROOT, reference_source, write_submission  # noqa: E402

EXAMPLES = ROOT / "assignments" / "backprop" / "examples"
CLASS_OUTPUTS = ("gradebook.csv", "canvas.csv", "summary.json")
WAIT_SECONDS = 120  # the longest any one grading run of these tests may take


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory):
    """A copy of the grader's code, which the cluster's workers import and the client fingerprints: a worker
    reads its code once, and rightly refuses a client whose code changed since, so an edit of autograder/ in
    the working tree while these tests run must reach neither."""
    root = tmp_path_factory.mktemp("frozen")
    shutil.copytree(ROOT / "autograder", root / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "assignments").symlink_to(ROOT / "assignments")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run, "PACKAGE", root / "autograder")
        yield root


@pytest.fixture(scope="module")
def cluster(frozen: Path):
    """Two Dask worker processes of one thread each, importing the frozen code; closed (with their zygotes)
    after the module."""
    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                         preload=[f"import sys; sys.path.insert(0, {str(frozen)!r})"])
    try:
        with Client(local, timeout=30) as client:
            imported = set(client.run(lambda: __import__("autograder").__file__).values())
        assert imported == {str(frozen / "autograder" / "__init__.py")}, imported
        yield local
    finally:
        local.close(timeout=30)


@pytest.fixture
def bounded():
    """Every grading run of a test ends within WAIT_SECONDS: an alarm raises in the main thread otherwise, and
    the run's own cleanup (cancelled tasks, closed client) follows."""
    def expire(signum, frame):
        raise TimeoutError(f"a grading run took more than {WAIT_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(WAIT_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _class_of_examples(folder: Path) -> Path:
    """The bundled examples, a folder submission with its notebook one level down beside a helper, and a file
    that is no submission (its row is made by the client: no student code, nothing to send)."""
    folder.mkdir(parents=True)
    for example in sorted(EXAMPLES.iterdir()):
        shutil.copy2(example, folder / example.name)
    (folder / "fay" / "work").mkdir(parents=True)
    shutil.copy2(EXAMPLES / "ada.ipynb", folder / "fay" / "work" / "homework.ipynb")
    (folder / "fay" / "helpers.py").write_text("SCALE = 1.0\n")
    (folder / "zz_notes.txt").write_text("not a submission")
    return folder


def _outputs(out: Path) -> dict[str, bytes]:
    """The class outputs and every submission's results.json, the time it took left out."""
    files = {name: (out / name).read_bytes() for name in CLASS_OUTPUTS}
    for path in sorted(out.glob("*/results.json")):
        files[str(path.relative_to(out))] = re.sub(rb'"execution_time": [\d.]+,', b"", path.read_bytes())
    return files


def test_a_cluster_grades_byte_for_byte_as_the_process_pool(cluster, fast_config: GraderConfig, tmp_path: Path,
                                                            bounded) -> None:
    """Do the gradebook, canvas.csv, summary.json and every results.json of a class graded on the cluster
    equal those of the process pool, byte for byte, and does a rerun on the cluster resume from either?"""
    klass = _class_of_examples(tmp_path / "class")
    pool = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "pool", config=fast_config, jobs=2)
    dask = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "dask", config=fast_config,
                       scheduler=cluster.scheduler_address)
    assert pool.graded == dask.graded == 6
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "pool")
    rows = {row["id"]: row for row in csv.DictReader((tmp_path / "dask" / "gradebook.csv").open())}
    assert (rows["fay"]["percent"], rows["fay"]["status"]) == ("100", "graded")  # its notebook one level down
    for out in ("dask", "pool"):  # each resumes the other's records: nothing is graded again
        again = grade_batch([klass], assignment="backprop", out_dir=tmp_path / out, config=fast_config,
                            scheduler=cluster.scheduler_address)
        assert (again.graded, again.reused) == (0, 6), out


def test_a_task_carries_several_submissions_and_changes_no_grade(cluster, fast_config: GraderConfig, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch, bounded) -> None:
    """A class of 24: are submissions sent several to a task (Dask's cost per task shared), each written once,
    and is everything the process pool's, byte for byte?"""
    klass = tmp_path / "class"
    klass.mkdir()
    for copy in range(6):
        for example in sorted(EXAMPLES.glob("*.ipynb")) + sorted(EXAMPLES.glob("*.py")):
            shutil.copy2(example, klass / f"{example.stem}{copy}{example.suffix}")
    count = len(list(klass.iterdir()))
    sizes: list[int] = []
    submit = Client.submit

    def counted(self, function, tasks, *args, **kwargs):
        sizes.append(len(tasks))
        return submit(self, function, tasks, *args, **kwargs)

    monkeypatch.setattr(Client, "submit", counted)
    pool = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "pool", config=fast_config, jobs=2)
    dask = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "dask", config=fast_config,
                       scheduler=cluster.scheduler_address)
    assert count >= 20 and pool.graded == dask.graded == count and sum(sizes) == count
    assert max(sizes) > 1 and len(sizes) < count, sizes
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "pool")


def test_a_grader_toml_changed_between_tasks_is_read_again(fast_config: GraderConfig, tmp_path: Path) -> None:
    """A worker checks its grader.toml once, not per task, but again as soon as the file changes: is a task after
    an edit that gives other points refused?"""
    from autograder.batch import dask_worker

    own = tmp_path / "grader.toml"
    own.write_text(fast_config.path.read_text())
    task = {"assignment": "backprop", "config_path": str(own), "config_over": None,
            "grader": dask_worker.grader_identity(load_config(own), "backprop")}
    assert dask_worker._checked_config(task).path == own
    assert dask_worker._checked_config(task).path == own  # from the cache
    own.write_text(re.sub(r"^(linear_forward = \{[^}]*values = )\d+", r"\g<1>9", own.read_text(), count=1,
                          flags=re.M))
    with pytest.raises(dask_worker.Refused, match="points.linear_forward.values"):
        dask_worker._checked_config(task)


def _hanging(folder: Path, name: str, functions: list[str]) -> Path:
    """The reference with these functions replaced by ones that sleep: each costs its 1 s timeout once."""
    source = reference_source("backprop") + "".join(
        f"\n\ndef {function}(*args, **kwargs):\n    import time\n    time.sleep(60)\n" for function in functions)
    return write_submission(folder, name, source)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
        except (OSError, ValueError, IndexError):
            pass
    return found


def test_a_dask_worker_killed_mid_grading_costs_nothing(cluster, fast_config: GraderConfig, tmp_path: Path,
                                                        bounded) -> None:
    """SIGKILL to the Dask worker process grading a slow submission, once the first result is in: is that
    submission graded again elsewhere, is every submission recorded exactly once, do the killed worker's zygote
    and its workers go with it, and is the gradebook still the process pool's?"""
    klass = _class_of_examples(tmp_path / "class")
    functions = ASSIGNMENTS["backprop"].function_names()
    _hanging(klass, "aaa_slow", [functions[0], functions[2], functions[4]])
    pool = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "pool", config=fast_config, jobs=2)

    seen: collections.Counter = collections.Counter()
    killed: dict[str, object] = {}
    with Client(cluster.scheduler_address, timeout=30) as probe:
        pids = probe.run(os.getpid)

        def progress(done: int, total: int, result) -> None:
            seen[result.id] += 1
            if killed:
                return
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the slow one was sent first: find the worker grading it
                busy = [address for address, keys in probe.processing().items()
                        if any("aaa_slow" in str(key) for key in keys)]
                if busy:
                    break
                time.sleep(0.05)
            assert busy, "the slow submission was not being graded"
            pid = pids[busy[0]]
            killed.update(pid=pid, children=_children(pid))
            os.kill(pid, signal.SIGKILL)

        dask = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "dask", config=fast_config,
                           scheduler=cluster.scheduler_address, progress=progress)
    assert killed["children"], "the killed worker had no zygote: it was not grading"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in killed["children"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in killed["children"] if Path(f"/proc/{pid}").exists()], "its zygote outlived it"
    assert dask.graded == pool.graded == 7 and set(seen.values()) == {1} and len(seen) == 7, seen
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "pool")
    assert "internal error" not in (tmp_path / "dask" / "gradebook.csv").read_text()


def test_a_worker_with_another_grader_toml_is_refused(fast_config: GraderConfig, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, bounded) -> None:
    """A worker whose grader.toml gives other points (AUTOGRADER_CONFIG, inherited by a LocalCluster's
    workers): does the run stop with a message naming the worker, the key that differs and its file, with
    nothing written as graded?"""
    other = tmp_path / "other" / "grader.toml"
    other.parent.mkdir()
    text = fast_config.path.read_text()
    other.write_text(re.sub(r"^(linear_forward = \{[^}]*values = )\d+", r"\g<1>9", text, count=1, flags=re.M))
    assert other.read_text() != text
    monkeypatch.setenv(CONFIG_ENV, str(other))
    klass = _class_of_examples(tmp_path / "class")
    out = tmp_path / "out"
    with pytest.raises(ClusterError) as refusal:
        grade_batch([klass], assignment="backprop", out_dir=out, config=fast_config, scheduler="local:1")
    message = str(refusal.value)
    assert re.match(r"the Dask worker tcp://\S+ \(.+\) grades with another grader than the client's: ", message)
    assert "points.linear_forward.values (9 here, " in message and str(other) in message, message
    assert not list(out.glob("*/grade.json")) and not (out / "gradebook.csv").exists()


def test_the_command_takes_a_scheduler_or_a_local_cluster(cluster, tmp_path: Path, bounded) -> None:
    """`grade --scheduler ADDRESS --config PARTIAL` grades on that cluster, its workers layering the partial
    file over the project's as the client does; -j with --scheduler, --cluster other than local:N and an
    address that is none are refused in one line before anything runs."""
    partial = tmp_path / "grader.toml"
    partial.write_text("[grading]\ncall_timeout = 1.0\nstatement_timeout = 1.0\n")

    def grade(*flags: str):
        return CliRunner().invoke(main, ["grade", str(EXAMPLES / "ada.ipynb"), "-a", "backprop", "--out",
                                         str(tmp_path / "out"), "--no-report", "--config", str(partial), *flags])

    run = grade("--scheduler", cluster.scheduler_address)
    assert run.exit_code == 0 and "1 students (1 graded now" in run.output, run.output
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open()))
    assert [(row["id"], row["percent"]) for row in rows] == [("ada", "100")]
    for flags, why in ((["-j", "2", "--scheduler", cluster.scheduler_address], "give one of -j"),
                       (["--cluster", "local:0"], "is not local:N"),
                       (["--scheduler", "local:2"], "is not a Dask scheduler's address")):
        run = grade(*flags)
        assert run.exit_code == 2 and why in run.output, (flags, run.output)


@pytest.mark.parametrize("value,ok", [("", True), ("local:4", True), ("tcp://10.0.0.5:8786", True),
                                      ("node7:8786", True), ("local:0", False), ("node7", False), ("a b:1", False)])
def test_batch_scheduler_in_grader_toml_is_checked(tmp_path: Path, value: str, ok: bool) -> None:
    """Is [batch] scheduler '' (here), local:N or a scheduler's address, and anything else an error naming it?"""
    text = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    path = tmp_path / "grader.toml"
    path.write_text(f'{text}\n[batch]\nscheduler = "{value}"\n' if "[batch]" not in text else
                    text.replace("[batch]\n", f'[batch]\nscheduler = "{value}"\n', 1))
    if ok:
        assert load_config(path).batch.scheduler == value
    else:
        with pytest.raises(ConfigError, match=r"batch\.scheduler must be '', local:N, or a Dask scheduler address"):
            load_config(path)


def test_ctrl_c_of_a_run_on_a_local_cluster_is_one_line(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group, a LocalCluster's worker processes included: does a real
    `autograder grade --cluster local:2`, stopped while a submission hangs, print only its one line (no
    KeyboardInterrupt traceback from each worker, no warning of the cancelled tasks), exit with 130, and leave
    no process of the run behind?"""
    import subprocess
    import sys
    import uuid

    from tests.test_hostile_batch import _marked_env, _marked_processes

    klass = tmp_path / "class"
    klass.mkdir()
    hangs = (ROOT / "tests" / "mutants" / "backprop" / "linear_forward__hangs.py").read_text()
    write_submission(klass, "a_hangs", reference_source("backprop") + "\n\n" + hangs)
    for i in range(4):
        write_submission(klass, f"s{i}", reference_source("backprop"))
    out = tmp_path / "out"
    marker = f"autograder-test-{uuid.uuid4().hex}"
    process = subprocess.Popen([sys.executable, "-m", "autograder.cli", "grade", str(klass), "-a", "backprop",
                                "--cluster", "local:2", "--out", str(out)], cwd=ROOT, env=_marked_env(marker),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not list(out.glob("*/grade.json")) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be interrupted"
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        kept = len(list(out.glob("*/grade.json")))
        assert process.returncode == 130, (process.returncode, stderr)
        assert stderr.splitlines() == [f"interrupted: {kept} of 5 graded; rerun the same command to resume"], stderr
        deadline = time.monotonic() + 10
        while _marked_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _marked_processes(marker) == [], "processes of the interrupted run are still alive"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid, _ in _marked_processes(marker):
            os.kill(pid, signal.SIGKILL)
