"""Student code held in a worker: load it once, call into it, and survive the worker being lost.

When a worker dies or hangs it is killed; the next call starts a fresh one and replays the submission's
definitions (minus the statement that killed it), so one bad function costs only its own checks.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.course.config import GradingSettings
from autograder.sandbox import wire
from autograder.sandbox.isolation import Limits
from autograder.sandbox.numpy_removals import with_removal
from autograder.sandbox.program import Program, Statement
from autograder.sandbox.workers import Worker, WorkerLost

MAX_RESTARTS = 16
# A call that ran out of time after its address space grew by this share of the memory limit: the summary
# counts it as a memory failure, as it does a MemoryError, since which limit stops a memory hog first (the
# clock or the memory) depends on how fast the machine is at the time.
FILLING_MEMORY = "while filling its memory"
FILLING_SHARE = 0.25
OUT_OF_LOADING_TIME = "out of loading time"


@dataclass
class StudentError(Exception):
    """Student code raised; `where` is like '<cell 4>, line 12'."""

    type: str
    message: str
    where: str = ""
    traceback: str = ""
    fn: str = ""  # in a chain of calls: the function that raised

    @property
    def not_implemented(self) -> bool:
        return self.type == "NotImplementedError"

    def summary(self) -> str:
        place = f" ({self.where})" if self.where else ""
        return f"{self.type}: {self.message}{place}" if self.message else f"{self.type}{place}"


class StudentTimeout(Exception):
    """A call ran past its time budget."""


class StudentCrash(Exception):
    """The worker was lost during a call (died, hung past the grace period, broke the protocol)."""


class BudgetSpent(StudentCrash):
    """The submission's wall-clock budget is used up: nothing more of it is run, and what was not reached scores 0."""


class StudentRunner:
    """One submission's code in a worker. Use as a context manager.

    `budget` bounds the wall-clock time of the whole submission (loading, calls, restarts and their replays):
    once it is spent, every request raises BudgetSpent, so a submission slow in every call, or one that makes
    the worker replay its loading again and again, costs its budget and no more.
    """

    def __init__(self, program: Program, settings: GradingSettings, limits: Limits,
                 budget: float | None = None) -> None:
        self.program = program
        self.settings = settings
        self.limits = limits
        self.budget = budget
        self.deadline = time.monotonic() + budget if budget else math.inf
        self.unreached: set[Statement] = set()  # not run by the first load (out of time or restarts): never run
        self.worker: Worker | None = None
        self.fatal: set[Statement] = set()  # statements that killed or hung the worker: never run again
        self.notes: list[str] = list(program.problems)
        self.restarts = 0
        self.isolation = "none"
        # function -> why it is not called again: one hang or crash costs its time and a restart once
        self.given_up: dict[str, tuple[type[Exception], str]] = {}
        self.timeouts = 0  # calls into student code that ran out of time: at most one per function
        self.load_singly = False  # set once a batched load lost the worker: find the culprit one by one
        self.pending_drops: list[int] = []

    def __enter__(self) -> "StudentRunner":
        self._start(first=True)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def spent(self) -> bool:
        """Is the submission's time budget used up?"""
        return time.monotonic() >= self.deadline

    def spent_reason(self) -> str:
        return f"the submission used up its {self.budget:g} s time budget"

    def defined(self, names: list[str]) -> set[str]:
        reply, _ = self._request({"op": "callables", "names": names}, self.settings.call_timeout)
        found = reply.get("names")
        if not isinstance(found, list) or not all(isinstance(n, str) for n in found):
            raise self._malformed("a malformed list of names")
        return set(found) & set(names)

    def call_many(self, fn: str, arg_lists: list[list[Any]], keep: tuple[int, ...] = (), echo: bool = False
                  ) -> list[tuple[Any, list] | Exception]:
        """Call `fn(*args)` for each argument list, in one round trip; each outcome is (result, echoed) or the
        exception. Positions in `keep` come back as Handles; `echo` sends the inputs back as they are after
        the call.

        If the worker is lost on the way, every call gets that failure (the function is not called again).
        """
        frame = wire.Frame()
        items = [{"fn": fn, "args": [frame.encode(a) for a in args], "keep": list(keep), "echo": echo}
                 for args in arg_lists]

        def outcome(item: dict, answer: wire.Frame) -> tuple[Any, list]:
            echoed = item.get("echo", [])
            if "result" not in item or not isinstance(echoed, list):
                raise self._malformed("a reply without its result")
            return answer.decode(item["result"]), [answer.decode(a) for a in echoed]

        return self._many("calls", fn, items, frame, outcome, self.settings.call_timeout)

    def sweep_many(self, fn: str, jobs: list[tuple[list[Any], list[list], int | None]]
                   ) -> list[np.ndarray | Exception]:
        """For each (args, nudges, pick): `fn`'s output (item `pick` of its result) at `args` with each nudge
        [argument, flat index, step] applied in turn, stacked as float64; in one round trip. Each outcome is
        the outputs or the failure.

        The inputs go once per job and the worker applies the nudges (see worker.Session.sweep): it only calls
        the function on them and sends back item `pick` of what it returned, so a submission that patches the
        worker can forge no more than its function could return (a function can tell a nudged input from the
        call before it, too). A sweep has call_timeout per call and call_timeout per 100 calls in all."""
        frame = wire.Frame()
        sent = [{"args": [frame.encode(a) for a in args], "nudges": [[int(p), int(f), float(d)] for p, f, d in nudges],
                 "pick": pick} for args, nudges, pick in jobs]
        owner = [index for index, (_, nudges, _) in enumerate(jobs) for _ in nudges]
        if not owner:
            return [np.zeros((0,)) for _ in jobs]

        def outcome(item: dict, answer: wire.Frame) -> Any:
            if "result" not in item:
                raise self._malformed("a reply without its result")
            return answer.decode(item["result"])

        longest = max(len(nudges) for _, nudges, _ in jobs)
        total = self.settings.call_timeout * max(1.0, longest / 100) * len(jobs)
        outputs: list[list[Any]] = [[] for _ in jobs]
        failures: dict[int, Exception] = {}
        for index, result in zip(owner, self._many("sweep", fn, sent, frame, outcome, self.settings.call_timeout,
                                                   total=total, count=len(owner))):
            if isinstance(result, Exception):
                failures.setdefault(index, result)
            else:
                outputs[index].append(result)
        stacked: list[np.ndarray | Exception] = []
        for index in range(len(jobs)):
            if index in failures:
                stacked.append(failures[index])
                continue
            try:
                stacked.append(np.stack([np.asarray(o, dtype=np.float64) for o in outputs[index]]))
            except (TypeError, ValueError):
                stacked.append(StudentError("TypeError", "its outputs at nearby inputs are not numeric arrays of "
                                                         "one shape", fn=fn))
        return stacked

    def _many(self, op: str, fn: str, items: list[dict], frame: wire.Frame, outcome: Any, each: float,
              total: float | None = None, count: int | None = None) -> list:
        """One request of independent items, each timed on its own (and all within `total`, by default `each`
        per item); a failure per item, or for all if the worker is lost or breaks the protocol. The request
        sends `items` under `op`; the reply has one answer per call: `count` of them (a sweep's job makes a call
        per nudge), by default one per item.

        With a `total`, the worker does not announce each item it starts (hundreds of nudged calls of one
        gradient check): each item still has its own alarm in the worker, and the grader waits `total`."""
        message = {"op": op, "fn": fn, op: items, "each": each, "quiet": total is not None}
        calls = len(items) if count is None else count
        try:
            reply, answer = self._request(message, total or each * max(1, calls), frame,
                                          each=None if total is not None else each)
            replies = reply.get("replies")
            answered = sum(wire.stack_size(item) or 1 for item in replies) if isinstance(replies, list) else 0
            # The worker stops at the first item that times out: the items after it were never called.
            if not isinstance(replies, list) or not replies or answered > calls or (
                    answered < calls and not (isinstance(replies[-1], dict) and replies[-1].get("timeout"))):
                raise self._malformed("a reply without one answer per item")
            outcomes: list = []
            for item in replies:
                item = item if isinstance(item, dict) else {}
                if item.get("ok"):
                    try:
                        result = outcome(item, answer)
                    except wire.WireError as exc:
                        raise self._malformed(str(exc)) from None
                    if wire.stack_size(item):  # the outputs of that many calls, stacked by the worker (a sweep's)
                        if not isinstance(result, np.ndarray) or result.ndim == 0 or len(result) != item["stack"]:
                            raise self._malformed("a stack of another number of answers")
                        outcomes.extend(result)
                    else:
                        outcomes.append(result)
                elif item.get("timeout") and self.spent():
                    return outcomes + [BudgetSpent(self.spent_reason())] * (calls - len(outcomes))
                elif item.get("timeout"):
                    self.timeouts += 1
                    timeout = self._timed_out(each, self.worker)
                    self.given_up[fn] = (StudentTimeout, f"{timeout}, so it was not called again")
                    outcomes.append(timeout)
                else:
                    outcomes.append(self._student_error(item.get("error")))
            skipped = StudentTimeout(f"not run: {fn} did not finish within {each:g} s in an earlier case, so it "
                                     "was not called again")
            return outcomes + [skipped] * (calls - len(outcomes))
        except (StudentTimeout, StudentCrash, StudentError) as failure:  # the request as a whole failed
            return [failure] * calls

    def chain(self, calls: list[tuple[str, list[Any]]], send: list[tuple[int, tuple[int, ...]]]) -> dict[int, Any]:
        """Dependent calls in one round trip (see worker.Session.chain); the results of the calls in `send`,
        with the positions given there kept in the worker as handles."""
        frame = wire.Frame()
        message = {"op": "chain", "calls": [{"fn": fn, "args": [frame.encode(a) for a in args]} for fn, args in calls],
                   "send": [[index, list(keep)] for index, keep in send]}
        reply, answer = self._request(message, self.settings.call_timeout * max(1, len(calls)), frame)
        results = reply.get("results")
        if not isinstance(results, dict):
            raise self._malformed("a chain reply without results")
        try:
            return {int(index): answer.decode(value) for index, value in results.items()}
        except (ValueError, wire.WireError) as exc:
            raise self._malformed(str(exc)) from None

    def drop(self, handles: list[wire.Handle]) -> None:
        """Forget caches the checks are done with; the worker is told along with the next request."""
        self.pending_drops.extend(h.id for h in handles)

    def _request(self, message: dict, timeout: float, frame: wire.Frame | None = None,
                 each: float | None = None) -> tuple[dict, wire.Frame]:
        fn = message.get("fn")
        for name in [fn] + [call["fn"] for call in message.get("calls", [])]:
            if name in self.given_up:  # a chain through a function that hung or crashed before fails at once
                kind, reason = self.given_up[name]
                raise kind(f"{name}: {reason}" if name != fn else reason)
        try:
            return self._send(message, timeout, frame, each)
        except (StudentTimeout, StudentCrash) as failure:
            if fn is not None:
                self.given_up[fn] = (type(failure), f"{failure}, so it was not called again")
            raise

    def _send(self, message: dict, timeout: float, frame: wire.Frame | None,
              each: float | None = None) -> tuple[dict, wire.Frame]:
        if self.spent():
            raise BudgetSpent(self.spent_reason())
        if self.worker is None:
            self._start(first=False)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise BudgetSpent(self.spent_reason())
        timeout = min(timeout, left)  # a call cut short by the budget is a spent budget, not a timeout
        each = None if each is None else min(each, left)
        if self.pending_drops:
            message = dict(message, drop=self.pending_drops)
            self.pending_drops = []
        if self.given_up:  # student code that calls a given-up function gets its failure at once
            message = dict(message, given_up={name: reason for name, (_, reason) in self.given_up.items()})
        try:
            reply, answer = self.worker.request(message, timeout, frame, each=each)
        except WorkerLost as lost:
            worker, self.worker = self.worker, None
            worker.close()
            if str(lost) == "timed out" and self.spent():
                raise BudgetSpent(self.spent_reason()) from None
            if str(lost) == "timed out":
                self.timeouts += 1
                raise self._timed_out(timeout, worker) from None
            raise StudentCrash(str(lost)) from None
        if reply.get("ok"):
            return reply, answer
        if reply.get("timeout") and self.spent():
            raise BudgetSpent(self.spent_reason())
        if reply.get("timeout"):
            self.timeouts += 1
            raise self._timed_out(timeout, self.worker)
        raise self._student_error(reply.get("error"))

    def _timed_out(self, seconds: float, worker: Worker | None) -> StudentTimeout:
        """A call ran out of time; one whose memory grew by FILLING_SHARE of its limit meanwhile says so."""
        limit = self.limits.memory_mb << 20
        if worker is not None and worker.call_memory - worker.base_memory >= FILLING_SHARE * limit:
            return StudentTimeout(f"did not finish within {seconds:g} s {FILLING_MEMORY} (more than "
                                  f"{FILLING_SHARE:.0%} of its {self.limits.memory_mb} MB limit)")
        return StudentTimeout(f"did not finish within {seconds:g} s")

    def _student_error(self, error: Any) -> StudentError | StudentTimeout:
        if not isinstance(error, dict):
            raise self._malformed("a reply that is neither a result nor an error")
        if error.get("type") == "GivenUp":  # it called a function that hung before: that hang, not a new one
            return StudentTimeout(f"it calls {str(error.get('message', ''))[:300]}")
        return StudentError(**{k: str(error.get(k, ""))[:2000] for k in ("type", "message", "where", "traceback",
                                                                          "fn")})

    def _malformed(self, what: str) -> StudentCrash:
        """A reply that breaks the protocol: the worker is replaced, since its pipe can no longer be trusted
        to pair replies with requests (a forged frame would shift every later answer)."""
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        return StudentCrash(f"the worker broke the protocol ({what})")

    def _start(self, first: bool) -> None:
        if self.restarts >= MAX_RESTARTS:
            raise StudentCrash("the worker was lost too many times; the remaining checks were not run")
        if not first:
            self.restarts += 1
        notes: dict[Statement, str] = {}
        while True:
            self.worker = Worker(self.limits)
            self.isolation = self.worker.isolation
            try:
                self._load(notes)
                break
            except _LostWhileLoading as lost:
                # Never run that statement again; start afresh so the definitions before it are replayed.
                self.worker.close()
                self.worker = None
                if lost.statement is None and lost.reason == OUT_OF_LOADING_TIME:
                    continue  # what the budget did not reach is never run: replay what it did
                if lost.statement is not None:
                    self.fatal.add(lost.statement)
                    notes[lost.statement] = f"skipped: {lost.reason} while loading"
                self.restarts += 1  # each replay costs a worker and the time of the statements before
                if self.restarts >= MAX_RESTARTS:
                    self._give_up_loading(lost.statement, notes)
        if first:
            self.notes.extend(f"{s.place}: {note}" for s, note in notes.items())

    def _give_up_loading(self, culprit: Statement | None, notes: dict[Statement, str]) -> None:
        """The worker was lost MAX_RESTARTS times while loading: the statements after the last one that killed it
        are not run (the next start replays only those before it), and no later call gets a fresh worker."""
        statements = self.program.statements
        after = statements.index(culprit) + 1 if culprit is not None else 0
        for statement in statements[after:]:
            if statement not in self.fatal and statement not in self.unreached:
                self.unreached.add(statement)
                notes[statement] = f"not run: the worker was lost {MAX_RESTARTS} times while loading"

    def _load(self, notes: dict[Statement, str]) -> None:
        """Run the planned definitions in order; a statement that errs or times out is noted and passed over.

        Statements go to the worker in one request; the worker announces each one it starts, so a statement
        that hangs or kills the worker is named and skipped on the replay. Only if the announcements cannot be
        trusted does the replay go one statement per request, to find it.

        What a load does not reach within load_timeout is never run again (a replay after a fatal statement, or
        a later restart, runs only what was reached), so replays cost at most what the first load ran, never a
        fresh load_timeout of new statements each (12 x sleep(4) took 183 s). Any load ends with the budget.
        """
        deadline = min(time.monotonic() + self.settings.load_timeout, self.deadline)
        pending = [s for s in self.program.statements if s not in self.fatal and s not in self.unreached]

        def out_of_time(rest: list[Statement]) -> None:
            why = self.spent_reason() if self.spent() else \
                f"the {self.settings.load_timeout:g} s loading budget was used up"
            for statement in rest:
                notes.setdefault(statement, f"not run: {why}")
                self.unreached.add(statement)

        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                out_of_time(pending)
                return
            batch = pending if not self.load_singly else pending[:1]
            message = {"op": "load", "each": self.settings.statement_timeout,
                       "statements": [{"source": s.source, "filename": s.filename, "line": s.line} for s in batch]}
            try:
                reply, _ = self.worker.request(message, min(self.settings.statement_timeout * len(batch), left),
                                               each=self.settings.statement_timeout)
            except WorkerLost as lost:
                started = self.worker.started
                if str(lost) == "timed out" and time.monotonic() >= deadline and started is not None and \
                        0 <= started < len(batch):  # the load's time ran out, not the statement's own
                    out_of_time(pending[started:])
                    raise _LostWhileLoading(None, OUT_OF_LOADING_TIME) from None
                if started is not None and 0 <= started < len(batch):
                    raise _LostWhileLoading(batch[started], str(lost)) from None
                if len(batch) > 1:
                    self.load_singly = True  # a forged announcement: find the statement one at a time
                    raise _LostWhileLoading(None, str(lost)) from None
                raise _LostWhileLoading(batch[0], str(lost)) from None
            outcomes = reply.get("replies") if isinstance(reply.get("replies"), list) else []
            if not outcomes:
                raise _LostWhileLoading(batch[0], "broke the protocol")
            for statement, outcome in zip(batch, outcomes):
                outcome = outcome if isinstance(outcome, dict) else {}
                if outcome.get("timeout"):
                    self.fatal.add(statement)  # it would time out again on every replay
                    notes[statement] = f"stopped after {self.settings.statement_timeout:g} s and skipped"
                elif not outcome.get("ok"):
                    error = outcome.get("error") if isinstance(outcome.get("error"), dict) else {}
                    kind, message = str(error.get("type", "error")), str(error.get("message", ""))
                    notes[statement] = with_removal(f"{kind}: {message[:300]}", kind, message)
            pending = pending[len(outcomes):]


class _LostWhileLoading(Exception):
    def __init__(self, statement: Statement | None, reason: str) -> None:
        super().__init__(reason)
        self.statement, self.reason = statement, reason
