"""Grade a class on a Dask cluster: the client sends bytes, the workers reply with JSON text, the client writes.

The same design as grading here (batch/run.py): for each submission the client sends its id and the raw
bytes of its source file, a Dask worker grades them with its own grader and zygote (batch/dask_worker.py)
and returns its reply as a str of JSON (a task carries up to PER_TASK submissions, a list of replies back),
and the client alone turns replies into files (`accept_reply`), so resuming, atomic writes and the gradebook
are exactly those of a run here. A submission that cannot be read (a link, a refused zip, a file past its
cap) runs no student code and never leaves the client.

What comes back is trusted only as far as it must be: the client's Client deserializes results with msgpack
alone, so a worker's reply can be a list of str and nothing that would be unpickled; it is parsed as JSON and a
result filed under another id is refused. Student code never runs in a Dask worker process, only in the
sandboxed workers it forks from its zygote, so nothing a student wrote can shape what the Dask worker sends.
(Dask's own control messages, such as a task's exception, are still pickled; the task never raises.)

Each reply is accepted once: a submission is sent once, and the first completion of its task is the one
written (a completion seen again is ignored). A Dask worker that dies (a lost machine, a killed process)
has its tasks run again elsewhere by the scheduler; one that kills every worker it runs on (dask's
allowed-failures, 3 by default, then KilledWorker) is an internal error row for each submission of that task,
regraded by a rerun. Tasks are sent a few per worker thread ahead, so a large class never sits in the
scheduler's memory.

`local:N` starts a LocalCluster of N worker processes with one thread each, for a trial on one machine. Its
workers are daemonic processes; that does not stop them grading, since a zygote is started with subprocess,
not multiprocessing.
"""
from __future__ import annotations

import logging
import math
import re
import signal
import threading
import time
import uuid
from collections import deque
from concurrent.futures import CancelledError
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from distributed import Client, LocalCluster, as_completed
from distributed.scheduler import KilledWorker

from autograder.batch.dask_worker import ClusterError, grade_tasks, grader_identity
from autograder.batch.run import parse_reply
from autograder.course.config import GraderConfig
from autograder.intake.submission import SubmissionError, read_source

LOCAL = re.compile(r"local:([1-9]\d*)")
CONNECT_SECONDS = 10  # to reach the scheduler: a mistyped address fails in seconds, not minutes
AHEAD_PER_THREAD = 2  # tasks sent per worker thread before any of them is done
# Submissions per task at most: Dask's cost per task (~13 ms of a 2-core machine's time for one submission of
# ~40) is shared by them. Fewer when few are left, so that the last tasks still spread over every worker.
PER_TASK = 4
Job = tuple[Path, str, str]  # a submission's path, id and source digest
# Run first in a LocalCluster's worker process, one restarted later too: Ctrl-C, which reaches the whole process
# group, is the client's to handle (it closes the cluster), not a KeyboardInterrupt traceback of each worker.
# Its state machine's warning that a task was cancelled is what stopping early does, not news for the instructor.
IGNORE_CTRL_C = ("import logging, signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                 "logging.getLogger('distributed.worker.state_machine').setLevel(logging.ERROR)")


def grade_on_cluster(todo: list[Job], scheduler: str, *, assignment: str, config: GraderConfig,
                     grade: Callable[[Path, str], str], accept: Callable[[Path, str, str, dict[str, Any]], dict],
                     finished: Callable[[str, dict[str, Any]], None], unsafe_no_isolation: bool = False,
                     in_flight: Callable[[list[str]], None] | None = None) -> None:
    """Grade `todo` on the cluster `scheduler` (an address, or local:N), calling `finished` with each record as
    `accept` writes it, and `in_flight` with the ids sent and not yet back whenever they change; `grade` grades
    here what runs no student code. Raises ClusterError when a worker refuses (another grader, no isolation) or
    cannot run the grader; its reason is the message."""
    identity = grader_identity(config, assignment)
    queue = deque(todo)
    running: dict[str, tuple[Any, list[Job]]] = {}  # task key -> its future and its submissions
    threads = {"count": 1, "asked": -math.inf}

    def send_more(client: Client, completed: as_completed) -> None:
        """Tasks until each worker thread has AHEAD_PER_THREAD; what cannot be read is graded here at once. The
        scheduler is asked for the threads at most once a second, not after every task."""
        if time.monotonic() - threads["asked"] >= 1.0:
            threads.update(count=max(1, sum(client.nthreads().values())), asked=time.monotonic())
        ahead = AHEAD_PER_THREAD * threads["count"]
        while queue and len(running) < ahead:
            size = max(1, min(PER_TASK, len(queue) // ahead))
            jobs, tasks = [], []
            while queue and len(jobs) < size:
                path, sid, digest = queue.popleft()
                try:
                    source = read_source(path)
                except SubmissionError:  # no student code to run: its row is made here, as a grader would
                    finished(sid, accept(path, sid, digest, parse_reply(grade(path, sid))))
                    continue
                jobs.append((path, sid, digest))
                tasks.append({"sid": sid, "parts": list(source.parts), "name": source.name, "raw": source.raw,
                              "assignment": assignment, "config_path": str(config.path) if config.path else None,
                              "config_over": str(config.over) if config.over else None,
                              "grader": identity, "unsafe_no_isolation": unsafe_no_isolation})
            if not jobs:
                continue
            # A key of its own per task: two with the same bytes are two tasks, never one shared result.
            future = client.submit(grade_tasks, tasks, key=f"autograder-{jobs[0][1]}-{uuid.uuid4().hex[:12]}",
                                   pure=False)
            running[future.key] = (future, jobs)
            completed.add(future)

    with _client(scheduler) as client:
        completed = as_completed()
        try:
            while queue or running:
                send_more(client, completed)
                if not running:
                    continue
                if in_flight is not None:
                    in_flight([sid for _, jobs in running.values() for _, sid, _ in jobs])
                sent = running.pop(next(completed).key, None)
                if sent is None:
                    continue  # a completion seen already
                future, jobs = sent
                for (path, sid, digest), message in zip(jobs, _replies(future, scheduler, len(jobs))):
                    if "refused" in message:
                        raise ClusterError(str(message["refused"]))
                    finished(sid, accept(path, sid, digest, message))
        finally:
            if running:  # stopped early (a refusal, a full disk, an interrupt): what is out is called back
                client.cancel([future for future, _ in running.values()], force=True)


def _replies(future: Any, scheduler: str, count: int) -> list[dict[str, Any]]:
    """The replies of a task of `count` submissions; workers that kept dying on it, each one's internal error;
    a worker that cannot run the grader at all, ClusterError."""
    try:
        replies = future.result()
    except KilledWorker as error:
        return [{"internal_error": f"the Dask workers grading it died {error.allowed_failures + 1} times"}] * count
    except TypeError as error:  # a result msgpack cannot read: not the list of str a task of ours returns
        return [{"internal_error": "the Dask worker's reply was not text", "trace": str(error)}] * count
    except CancelledError:
        raise ClusterError(f"the Dask scheduler at {scheduler} dropped the tasks (was it restarted, or the client "
                           "cut off?); rerun the same command to resume") from None
    except Exception as error:  # noqa: BLE001 - the task could not even start: the worker lacks the grader
        raise ClusterError(f"a Dask worker of {scheduler} could not run the grader ({type(error).__name__}: "
                           f"{error}); install this autograder, at this version, on every worker") from None
    if not isinstance(replies, (list, tuple)) or len(replies) != count:
        return [{"internal_error": "the Dask worker's reply was not one text per submission"}] * count
    return [parse_reply(r) if isinstance(r, str) else {"internal_error": "the Dask worker's reply was not text"}
            for r in replies]


@contextmanager
def _deaf_to_ctrl_c() -> Iterator[None]:
    """While a LocalCluster starts its worker processes: SIGINT ignored, which they inherit through exec (so even
    their imports, before IGNORE_CTRL_C runs, print no traceback), and blocked here, so that a Ctrl-C meanwhile
    waits for the client's own handler instead of being lost (a blocked signal is never discarded as ignored).
    The threads the cluster starts inherit the block: the client's main thread alone takes the signal."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)


@contextmanager
def _client(scheduler: str) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, or of a LocalCluster started for local:N; both closed after."""
    cluster = None
    local = LOCAL.fullmatch(scheduler)
    try:
        if local:
            with _deaf_to_ctrl_c():
                cluster = LocalCluster(n_workers=int(local[1]), threads_per_worker=1, processes=True,
                                       dashboard_address=":0", preload=[IGNORE_CTRL_C])
        try:
            client = Client(cluster or scheduler, timeout=CONNECT_SECONDS, deserializers=["msgpack"])
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        try:
            yield client
        except BaseException:
            if cluster is not None:  # stopped early: the cluster's closing warns of the tasks it cut short
                logging.getLogger("distributed").setLevel(logging.ERROR)
            raise
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
