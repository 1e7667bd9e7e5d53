"""The Dask worker's side of grading on a cluster: one task grades one submission sent as bytes, and replies
with JSON text.

A task carries the submission's id and the raw bytes of its source file (laid out again in a folder of the
worker's own, so it reads as the same submission), the assignment, where the client's grader.toml is, and
the client's grader identity. Before grading, the worker loads its own grader.toml (AUTOGRADER_CONFIG on the
worker, else the path the client used) and compares its identity: code, settings, points, reference, Python
and NumPy (the grader fingerprint) and the assignment's own code. Any difference, or a worker where student
code cannot be isolated, refuses the task ({"refused": why}) and the client stops the run: one class is
never graded by two graders. Otherwise it grades exactly as a grader process does at home (`grade_reply`):
student code runs in a sandboxed worker forked from this process's own zygote, started on the first task and
kept for the life of the Dask worker process. The dask worker itself runs none of it, so what it returns (a
str our own code made) is as trustworthy as a grader process's reply; the client takes it as msgpack only.

No Dask import at module level: the client's CLI imports ClusterError from here without starting Dask.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.batch.run import code_digest, grade_reply, grader_fingerprint, grader_settings
from autograder.course.config import ConfigError, GraderConfig, load_config
from autograder.course.registry import ASSIGNMENTS, assignment_digest, folder_of
from autograder.intake.submission import SourceFile, SubmissionError, write_source
from autograder.sandbox.numpy_removals import grader_versions
from autograder.sandbox.workers import NoIsolation, require_isolation

CONFIG_ENV = "AUTOGRADER_CONFIG"  # on a worker: its grader.toml, when it is not where the client's is


class ClusterError(Exception):
    """The cluster cannot grade this class: a worker grades with another grader or cannot run it, or the
    scheduler cannot be reached. The message says which worker and what differs."""


class Refused(Exception):
    """This worker must not grade the task; the message says why, for the client to stop with."""


def grader_identity(config: GraderConfig, assignment: str, code: Any = None,
                    assignment_code: str | None = None) -> dict[str, Any]:
    """What a worker's grader must share with the client's: the fingerprint, its parts (to name the one that
    differs) and the assignment's code. `code` and `assignment_code`: digests made earlier, to use instead."""
    code = code or code_digest()
    return {"fingerprint": grader_fingerprint(config, assignment, code), "code": code.hexdigest(),
            "settings": grader_settings(config, assignment),
            "reference": hashlib.sha256(config.assignments[assignment].reference.read_bytes()).hexdigest(),
            "versions": grader_versions(), "assignment": assignment_code or assignment_digest(assignment)}


def grade_tasks(tasks: list[dict[str, Any]]) -> list[str]:
    """A Dask task of several submissions (grade_task each, in turn): Dask's own cost per task, in the client,
    the scheduler and the worker, is paid once for them all."""
    return [grade_task(task) for task in tasks]


def grade_task(task: dict[str, Any]) -> str:
    """A Dask task: grade the submission in `task` on this worker with its own grader; the reply as JSON text
    (never raises: a task that raised would be retried, and its exception pickled to the client)."""
    try:
        config = _checked_config(task)
        _isolation(bool(task.get("unsafe_no_isolation")))
    except Refused as refusal:
        return json.dumps({"refused": f"the Dask worker {_where()} {refusal}"})
    # In the Dask worker's own folder, which dask removes when a worker killed mid-grading is replaced.
    folder = tempfile.mkdtemp(prefix="autograder-submission-", dir=_worker_folder())
    try:
        source = SourceFile(tuple(task["parts"]), task["name"], task["raw"])
        try:
            path = write_source(Path(folder), task["sid"], source)
        except (SubmissionError, OSError) as error:
            return json.dumps({"internal_error": f"the Dask worker {_where()} could not lay out the submission "
                                                 f"({error})"})
        return grade_reply(path, task["sid"], assignment=task["assignment"], config=config)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_checked: dict[str, Any] = {}  # the last task's: its key, the config read for it, the reference and its stamp


def _checked_config(task: dict[str, Any]) -> GraderConfig:
    """This worker's grader.toml, refused unless it grades as the client's does (_same_grader). Read and compared
    again only when the task names another grader or config, or one of the files has changed since (its size,
    mtime or inode): not for every task, which cost 1.3 ms of each."""
    where, over = os.environ.get(CONFIG_ENV) or task.get("config_path"), task.get("config_over")
    key = json.dumps([where, over, task["assignment"], task["grader"].get("fingerprint"),
                      task["grader"].get("assignment"), _stamp(where), _stamp(over)])
    if _checked.get("key") == key and _stamp(_checked["reference"]) == _checked["stamp"]:
        return _checked["config"]
    _checked.clear()
    config = _own_config(task.get("config_path"), over)
    reference = config.assignments[task["assignment"]].reference if task["assignment"] in config.assignments \
        else None
    stamp = _stamp(reference)  # before it is read: an edit meanwhile is seen by the next task
    _same_grader(config, task["assignment"], task["grader"])
    _checked.update(key=key, config=config, reference=reference, stamp=stamp)
    return config


def _stamp(path: str | Path | None) -> list[int] | None:
    try:
        found = os.stat(path) if path else None
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ino] if found else None


def _own_config(client_path: str | None, client_over: str | None) -> GraderConfig:
    """This worker's grader.toml: AUTOGRADER_CONFIG, else the file the client read (same path, this machine);
    layered, as the client's was, over the project's grader.toml at the client's path."""
    where = os.environ.get(CONFIG_ENV) or client_path
    if not where:
        raise Refused(f"has no grader.toml: the client's settings were not read from a file; set {CONFIG_ENV} "
                      "on the worker")
    try:
        return load_config(where, over=client_over)
    except ConfigError as error:
        raise Refused(f"cannot read its grader.toml ({error}); install it there or set {CONFIG_ENV}") from None


def _same_grader(config: GraderConfig, assignment: str, client: dict[str, Any]) -> None:
    """Refused unless this worker's grader is the client's; the message names what differs."""
    try:
        ASSIGNMENTS[assignment]
        own = grader_identity(config, assignment, _code(), _assignment_code(assignment))
    except (KeyError, ConfigError, OSError) as error:
        raise Refused(f"cannot grade {assignment}: {error}") from None
    _reload_changed_reference(config, assignment, own["reference"])
    if own["fingerprint"] == client["fingerprint"] and own["assignment"] == client["assignment"]:
        return
    differs = [what for key, what in (
        ("code", "its autograder code (read when the worker first graded: restart the workers after installing "
                 "new code)"),
        ("reference", "its reference"), ("assignment", f"its assignment folder ({folder_of(assignment)})"))
        if own[key] != client[key]]
    if own["versions"] != client["versions"]:
        differs.append(f"its Python/NumPy ({_versions(own['versions'])} here, {_versions(client['versions'])} on "
                       "the client)")
    differs += [f"{key} ({json.dumps(here)} here, {json.dumps(there)} on the client)"
                for key, here, there in _differences(own["settings"], client["settings"])[:3]]
    raise Refused(f"grades with another grader than the client's: {'; '.join(differs) or 'its fingerprint'} "
                  f"(its grader.toml: {config.path}). Install the same autograder, grader.toml and reference on "
                  "every worker")


def _differences(own: Any, client: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Dotted keys whose values differ between two settings trees."""
    if isinstance(own, dict) and isinstance(client, dict):
        found = []
        for key in sorted(set(own) | set(client)):
            found += _differences(own.get(key), client.get(key), f"{prefix}{key}.")
        return found
    return [] if own == client else [(prefix.rstrip("."), own, client)]


def _versions(versions: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in sorted(versions.items()))


@lru_cache(maxsize=1)
def _code() -> Any:
    """The code's digest, made once per Dask worker process: the code it runs is what it imported then."""
    return code_digest()


@lru_cache(maxsize=None)
def _assignment_code(name: str) -> str:
    """The assignment folder's digest, made once per Dask worker process, like the code's."""
    return assignment_digest(name)


_references: dict[Path, str] = {}


def _reload_changed_reference(config: GraderConfig, assignment: str, sha256: str) -> None:
    """A reference edited since this long-lived process imported it is imported again, so that it grades with
    the reference its fingerprint names."""
    from autograder.grading import load_reference

    path = config.assignments[assignment].reference
    if _references.setdefault(path, sha256) != sha256:
        load_reference.cache_clear()
        _references[path] = sha256


_isolation_refusals: dict[bool, str | None] = {}


def _isolation(unsafe_no_isolation: bool) -> None:
    """Refused where student code cannot be isolated on this worker (asked once per process)."""
    if unsafe_no_isolation not in _isolation_refusals:
        try:
            require_isolation(unsafe_no_isolation)
            _isolation_refusals[unsafe_no_isolation] = None
        except NoIsolation as error:
            _isolation_refusals[unsafe_no_isolation] = str(error)
    refusal = _isolation_refusals[unsafe_no_isolation]
    if refusal:
        raise Refused(f"cannot isolate student code: {refusal}")


def _where() -> str:
    """This worker's address (and host), for messages."""
    worker = _dask_worker()
    return f"{worker.address} ({socket.gethostname()})" if worker is not None else socket.gethostname()


def _worker_folder() -> str | None:
    worker = _dask_worker()
    return worker.local_directory if worker is not None else None


def _dask_worker() -> Any:
    """The Dask worker running this task; None outside one (a test calling grade_task)."""
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None
