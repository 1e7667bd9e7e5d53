"""The worker: a separate process that runs one student's code and answers calls into it.

Started by `sandbox.Worker` as ``python -m autograder.sandbox.worker``. It imports numpy, confines itself
(`isolation.confine`) and only then reads student code. It speaks `wire` frames on two private pipe
descriptors, and says which step of a request it is on in the progress page the grader shares with it; the
student's stdout and stderr go to a size-limited log file instead. It never sees the
reference or the checks: it runs what it is sent and reports what came back.
"""
from __future__ import annotations

import builtins
import copy
import io
import mmap
import os
import signal
import struct
import sys
import traceback
from types import CodeType
from typing import Any

import numpy as np
import numpy.fft  # noqa: F401  numpy imports these lazily; import them once here, before any fork,
import numpy.linalg  # noqa: F401  so that a student's first np.random call costs microseconds, not 12 ms
import numpy.random  # noqa: F401

from autograder.sandbox import wire
from autograder.sandbox.isolation import Limits, confine

MAX_MESSAGE_CHARS = 2000


class CallTimeout(BaseException):
    """Raised inside student code when its time budget runs out (BaseException: `except Exception` can't eat it)."""


class GivenUp(Exception):
    """Raised by a function the grader gave up on (it hung or crashed the worker), wherever it is called from,
    so that a hung step function costs its timeout once, not once more in every function that calls it."""


class CappedOutput(io.TextIOBase):
    """sys.stdout/sys.stderr for student code: writes go to the log until a cap, then are dropped silently,
    so a chatty but correct function never fails because its output filled the file-size limit."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd, self.room = fd, cap

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.room > 0:
            data = text.encode("utf-8", "replace")[:self.room]
            self.room -= len(data)
            try:
                os.write(self.fd, data if self.room > 0 else data + b"\n[output truncated]\n")
            except OSError:
                self.room = 0
        return len(text)


class Channel:
    """Frames over a pair of file descriptors, and the progress page (wire.write_progress) shared with the grader."""

    def __init__(self, read_fd: int, write_fd: int, progress_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self.progress = mmap.mmap(progress_fd, wire.PROGRESS_BYTES)
        os.close(progress_fd)  # the mapping stays; the descriptor would only be one more for student code

    def receive(self) -> tuple[Any, wire.Frame]:
        header = self._read_exactly(4)
        if header is None:
            return None, wire.Frame()
        (length,) = struct.unpack(">I", header)
        return wire.loads(self._read_exactly(length) or b"", max_head=None)  # the grader's requests

    def send(self, message: Any, frame: wire.Frame | None = None) -> None:
        view = memoryview(wire.dumps(message, frame))
        while view:
            view = view[os.write(self.write_fd, view):]

    def _read_exactly(self, n: int) -> bytes | None:
        chunks, remaining = [], n
        while remaining:
            chunk = os.read(self.read_fd, remaining)
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)


class Session:
    """Student namespace plus the objects (caches) the grader refers to by handle."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "__name__": "submission",
            "__builtins__": builtins,
            "get_ipython": _NoIPython,
            "display": lambda *args, **kwargs: None,
        }
        self.objects: dict[int, Any] = {}
        self.next_handle = 1

    def exec_statement(self, request: dict, inbox: wire.Frame, outbox: wire.Frame) -> dict:
        # Line numbers are moved in the compiled code, not by padding the source with newlines: padding made
        # loading quadratic in the length of a file (the 184 000th statement compiled 184 000 empty lines first).
        code = compile(request["source"], request["filename"], "exec")
        exec(_moved(code, request["line"] - 1), self.namespace)
        return {"ok": True}

    def load(self, request: dict, inbox: wire.Frame, outbox: wire.Frame, step: Any = None) -> dict:
        """Run many statements in one request, each with its own time budget; report each one's outcome.

        A statement that times out stops the batch (the grader resumes after it), so one slow statement can
        never use up the time of the ones after it.
        """
        return self._each(request, "statements", lambda statement: self.exec_statement(statement, inbox, outbox),
                          step, stop_on_timeout=True)

    def callables(self, request: dict, inbox: wire.Frame, outbox: wire.Frame) -> dict:
        names = [name for name in request["names"] if callable(self.namespace.get(name))]
        return {"ok": True, "names": names}

    def call(self, request: dict, inbox: wire.Frame, outbox: wire.Frame) -> dict:
        function = self.namespace[request["fn"]]
        sent = [inbox.decode(a) for a in request["args"]]
        args = [self._resolve(a) for a in sent]
        result = function(*args)
        if request.get("pick") is not None:  # a nudged call of a numeric gradient: only the output comes back
            result = result[request["pick"]]
        result = wire.keep_as_handles(result, request.get("keep") or [], self._store)
        reply = {"ok": True, "result": outbox.encode(result)}
        if request.get("echo"):  # inputs as they are after the call; a cache passed by handle is not sent back
            reply["echo"] = [None if isinstance(s, wire.Handle) else outbox.encode(a) for s, a in zip(sent, args)]
        return reply

    def calls(self, request: dict, inbox: wire.Frame, outbox: wire.Frame, step: Any = None) -> dict:
        """Independent calls in one request, each timed on its own and each with its own outcome; the first
        timeout ends the request (the function would only hang again on the next case)."""
        return self._each(request, "calls", lambda item: self.call(item, inbox, outbox), step,
                          stop_on_timeout=True)

    def sweep(self, request: dict, inbox: wire.Frame, outbox: wire.Frame) -> dict:
        """The calls of numeric gradients: for each job, its inputs decoded once and then, per nudge
        [argument, flat index, step], `fn` called on fresh copies of them with that one entry moved, and only
        item `pick` of what it returns sent back. Each call is timed on its own; the first timeout ends it.

        The nudges are the grader's: this only applies them, so a submission that patches it could change no
        more than which outputs come back, which its function can do anyway (it can tell a nudged input from
        the one before). Building the copies here spares sending every nudged copy of every input."""
        function = self.namespace[request["fn"]]
        items, sizes = [], []
        for job in request["sweep"]:
            inputs = [inbox.decode(a) for a in job["args"]]  # once per job: each call gets copies of them
            items.extend((inputs, nudge, job.get("pick")) for nudge in job["nudges"])
            sizes.append(len(job["nudges"]))

        def fresh(value: Any) -> Any:  # what decoding the value again would give: a copy, or the cache it names
            if isinstance(value, np.ndarray):
                return np.array(value, copy=True, order="C")
            return self._resolve(value) if isinstance(value, wire.Handle) else copy.deepcopy(value)

        def nudged_call(item: tuple[list, list, Any]) -> dict:
            inputs, (position, flat, step), pick = item
            args = [fresh(a) for a in inputs]
            args[position].reshape(-1)[flat] += step
            result = function(*args)
            output = result if pick is None else result[pick]
            if type(output) is np.ndarray and output.dtype.kind in "biuf":  # a copy: the next call may reuse it
                return {"ok": True, "array": np.array(output, copy=True, order="C")}
            return {"ok": True, "result": outbox.encode(output)}

        reply = self._each({"items": items, "each": request["each"], "quiet": True}, "items", nudged_call, None,
                           stop_on_timeout=True)
        reply["replies"] = _stacked(reply["replies"], sizes, outbox)
        return reply

    def give_up(self, reasons: dict) -> None:
        """Replace each function the grader gave up on by one that raises at once, with the reason."""
        for name, reason in reasons.items():
            current = self.namespace.get(name)
            if callable(current) and not getattr(current, "given_up", False):
                self.namespace[name] = _given_up(f"{name}: {reason}")

    def _each(self, request: dict, key: str, run: Any, step: Any, stop_on_timeout: bool = False) -> dict:
        """Run `run` on each item of request[key] under its own alarm; one reply per item run. Each item but
        the first (which is implied) is announced by `step(index)` unless the request is quiet: the grader
        gives each item it hears of its own deadline, and names the one under way if the worker is lost."""
        replies = []
        announce = step is not None and not request.get("quiet")
        for index, item in enumerate(request[key]):
            if announce and index:
                step(index)
            signal.setitimer(signal.ITIMER_REAL, float(request["each"]))
            try:
                replies.append(run(item))
            except CallTimeout:
                replies.append({"ok": False, "timeout": True})
                if stop_on_timeout:
                    break
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                replies.append({"ok": False, "error": describe_error(exc)})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        return {"ok": True, "replies": replies}

    def chain(self, request: dict, inbox: wire.Frame, outbox: wire.Frame) -> dict:
        """Run dependent calls in one request: an argument may be an earlier call's result (a Ref), passed on as
        the very object the student's function returned, as the student's own code would pass it."""
        results: list[Any] = []
        for call in request["calls"]:
            args = [self._resolve(wire.follow(inbox.decode(a), results)) for a in call["args"]]
            try:
                results.append(self.namespace[call["fn"]](*args))
            except BaseException as exc:
                exc.add_note(f"autograder-fn:{call['fn']}")
                raise
        replies = {}
        for index, keep in request["send"]:
            replies[str(index)] = outbox.encode(wire.keep_as_handles(results[index], keep, self._store))
        return {"ok": True, "results": replies}

    def _store(self, obj: Any) -> wire.Handle:
        ident = self.next_handle
        self.next_handle += 1
        self.objects[ident] = obj
        return wire.Handle(ident, type(obj).__name__)

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, wire.Handle):
            return self.objects[value.id]
        return value


def _stacked(replies: list[dict], sizes: list[int], outbox: wire.Frame) -> list[dict]:
    """A sweep's replies, each job's calls as one {"stack": n, "result": the n outputs stacked} when they all
    returned arrays of one shape and dtype (one array to send and decode instead of n), else one by one."""
    out, start = [], 0
    for size in sizes:
        job = replies[start:start + size]
        start += size
        arrays = [r.get("array") for r in job]
        if len(job) == size and size and all(a is not None for a in arrays) and \
                len({(a.shape, a.dtype.str) for a in arrays}) == 1:
            out.append({"ok": True, "stack": size, "result": outbox.encode(np.stack(arrays))})
            continue
        out.extend({"ok": True, "result": outbox.encode(r.pop("array"))} if "array" in r else r for r in job)
    return out


def _moved(code: CodeType, lines: int) -> CodeType:
    """`code` as if its source started `lines` lines further down: every code object's first line moves (the
    line table of each is relative to it), functions and classes defined inside it included."""
    if not lines:
        return code
    consts = tuple(_moved(c, lines) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=consts)


def _given_up(reason: str) -> Any:
    def stand_in(*args: Any, **kwargs: Any) -> Any:
        raise GivenUp(reason)

    stand_in.given_up = True  # type: ignore[attr-defined]
    return stand_in


class _NoIPython:
    """Stands in for `get_ipython()` so that magic calls left in a notebook do nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def describe_error(exc: BaseException) -> dict:
    """Type, message and the student-code part of the traceback, as plain strings."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<")]
    where = f"{frames[-1].filename}, line {frames[-1].lineno}" if frames else ""
    lines = traceback.format_list(frames[-6:])
    notes = [n for n in getattr(exc, "__notes__", []) if isinstance(n, str) and n.startswith("autograder-fn:")]
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:MAX_MESSAGE_CHARS],
        "fn": notes[-1].split(":", 1)[1] if notes else "",
        "where": where,
        "traceback": "".join(lines)[-MAX_MESSAGE_CHARS:],
    }


def _on_alarm(signum: int, frame: Any) -> None:
    raise CallTimeout()


def serve(channel: Channel, session: Session) -> None:
    seq: list[Any] = [None]  # the number of the request under way, sent back with every frame that answers it

    def send(message: dict, frame: wire.Frame | None = None) -> None:
        channel.send(dict(message, seq=seq[0]), frame)

    def step(index: int) -> None:
        wire.write_progress(channel.progress, seq[0] or 0, index)

    # Bound now, before any student code runs: a submission that patches Session later changes no handler.
    load, calls = session.load, session.calls
    handlers = {
        "load": lambda request, inbox, outbox: load(request, inbox, outbox, step),
        "calls": lambda request, inbox, outbox: calls(request, inbox, outbox, step),
        "sweep": session.sweep,
        "callables": session.callables,
        "chain": session.chain,
    }
    signal.signal(signal.SIGALRM, _on_alarm)
    while True:
        request, inbox = channel.receive()
        if request is None or request.get("op") == "exit":
            return
        seq[0] = request.get("seq")
        handler = handlers[request["op"]]
        for ident in request.get("drop", []):  # caches the grader is done with, sent along with any request
            session.objects.pop(ident, None)
        session.give_up(request.get("given_up") or {})
        outbox = wire.Frame()
        signal.setitimer(signal.ITIMER_REAL, float(request.get("timeout", 5.0)))
        try:
            reply = handler(request, inbox, outbox)
        except CallTimeout:
            reply = {"ok": False, "timeout": True}
        except BaseException as exc:  # student code may raise anything, SystemExit included
            reply = {"ok": False, "error": describe_error(exc)}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            send(reply, outbox)
        except ValueError:  # e.g. NaN in plain floats is encoded already; anything else is a bug report
            send({"ok": False, "error": {"type": "WireError", "message": "result could not be sent"}})


def run_worker(channel: Channel) -> None:
    """Receive the limits, confine this process, then answer requests until told to stop."""
    setup, _ = channel.receive()
    limits = Limits(**setup["limits"])
    level = confine(limits, setup["scratch"], setup["visible"])
    sys.stdout = sys.stderr = CappedOutput(1, limits.file_kb * 1024 // 2)
    channel.send({"ok": True, "isolation": level, "pid": os.getpid()})
    serve(channel, Session())


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--zygote":
        from autograder.sandbox.zygote import serve_zygote

        serve_zygote(int(sys.argv[2]), start_worker)
        return
    # The grader's pipes move to private descriptors; fd 0 becomes /dev/null, fd 1 joins fd 2 (the log).
    # Started as `... worker --progress FD`, FD being the progress page's descriptor.
    channel = Channel(os.dup(0), os.dup(1), int(sys.argv[2]))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    run_worker(channel)


def start_worker(request_fd: int, reply_fd: int, log_fd: int, progress_fd: int) -> None:
    """The body of a worker forked by the zygote: its pipes and progress page arrive as descriptors, its output
    goes to the log."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    run_worker(Channel(request_fd, reply_fd, progress_fd))


if __name__ == "__main__":
    main()
