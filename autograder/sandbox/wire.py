"""The only format that crosses between the grader and a worker: tagged JSON, never pickle.

Plain data only: None, bools, ints, floats, complex, strings, numpy arrays and scalars of numeric dtypes, and
lists, tuples and string-keyed dicts of those. Anything else the worker holds (a student's cache object) travels
as an opaque handle. Decoding checks every tag, dtype, shape and byte count, so a hostile worker can send wrong
data but never make the grader build an object it did not ask for.

A frame is a 4-byte big-endian length and a payload: a 4-byte length of UTF-8 JSON, the JSON, then each
array's raw bytes (an 8-byte length, the bytes). Arrays inside a `Frame` travel as those raw buffers,
referred to by index; outside one (checks files, hashing) they are base64 inside the JSON.

Beside the frames, one 8-byte word of shared memory (the progress page) says which step of a request the
worker has started: the low 32 bits of the request's number, then the step. The grader reads it only when
a step's deadline comes or the worker is lost, so hundreds of quick steps cost no frame and no wake-up each.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

NUMERIC_KINDS = frozenset("biufc")
MAX_DEPTH = 32
# The largest legitimate reply (the hidden states of a trained RNN on its test set) is under 2 MiB; the grader
# holds a frame, its JSON and the decoded arrays at once, so the cap bounds what one reply costs the grader.
MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_HEAD_BYTES = 1024 * 1024  # the JSON part: a plain-data reply is a few kB; arrays travel as raw buffers
MAX_ARRAY_ITEMS = 1 << 24  # also bounds an empty array's forged shape such as [10**30, 0]
MAX_TYPE_NAME = 60
MAX_FLOAT_TEXT = 40  # repr of a float is at most 24 characters
TYPE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_. ]*")


class WireError(ValueError):
    """Data from the other side is not well-formed plain data."""


@dataclass(frozen=True)
class Handle:
    """A reference to an object that stays inside the worker (a student's cache)."""

    id: int
    type_name: str


@dataclass(frozen=True)
class Ref:
    """In a chain of calls: the result of an earlier call (`part` picks an item of a tuple result)."""

    call: int
    part: int | None


@dataclass(frozen=True)
class Opaque:
    """A value the worker could not send as plain data: only its type name crosses."""

    type_name: str


class Frame:
    """The raw array buffers of one message, filled by `encode` and read by `decode`."""

    def __init__(self, buffers: list[bytes] | None = None) -> None:
        self.buffers: list[bytes] = [] if buffers is None else buffers
        self._sent: dict[int, tuple[Any, Any]] = {}  # id of an array encoded before -> (the array, its encoding)

    def encode(self, value: Any) -> Any:
        """`value` encoded, its arrays as raw buffers; an array object encoded before in this frame refers to
        the same buffer (the other side decodes a fresh copy for each reference)."""
        if isinstance(value, np.ndarray) and id(value) in self._sent:
            return self._sent[id(value)][1]
        encoded = encode(value, buffers=self.buffers)
        if isinstance(value, np.ndarray):
            self._sent[id(value)] = (value, encoded)  # the array is kept, so its id is not reused meanwhile
        return encoded

    def decode(self, data: Any) -> Any:
        return decode(data, buffers=self.buffers)


PROGRESS_BYTES = 8
_PROGRESS = struct.Struct("<Q")


def write_progress(page: Any, seq: int, step: int) -> None:
    """In the worker: step `step` of request `seq` has started (one aligned 8-byte store)."""
    _PROGRESS.pack_into(page, 0, ((seq & 0xFFFFFFFF) << 32) | (step & 0xFFFFFFFF))


def read_progress(page: Any, seq: int) -> int | None:
    """In the grader: the step of request `seq` the worker last said it started; None if it said nothing of
    this request. Two reads must agree, so a store under way is never half read (and a page that keeps
    changing, which only student code could do, says nothing)."""
    word = _PROGRESS.unpack_from(page, 0)[0]
    if _PROGRESS.unpack_from(page, 0)[0] != word:
        return None
    return word & 0xFFFFFFFF if word >> 32 == seq & 0xFFFFFFFF else None


def stack_size(item: Any) -> int:
    """How many calls a reply item answers at once ({"stack": n, "result": their n outputs stacked}, as a sweep's
    worker sends them); 0 for an item of one call."""
    size = item.get("stack") if isinstance(item, dict) else None
    return size if type(size) is int and size > 0 else 0


def follow(value: Any, results: list[Any]) -> Any:
    """In a chain of calls: a `Ref` becomes the earlier result it names (or an item of it); anything else stays."""
    if isinstance(value, Ref):
        return results[value.call] if value.part is None else results[value.call][value.part]
    return value


def keep_as_handles(result: Any, keep: list[int] | tuple[int, ...], store: Callable[[Any], Handle]) -> Any:
    """A returned tuple or list with the items at `keep` replaced by handles to them (`store` keeps each);
    a result of another shape is returned as it is, for the grader to judge."""
    if not keep or not isinstance(result, (tuple, list)) or len(result) <= max(keep):
        return result
    parts = list(result)
    for position in keep:
        parts[position] = store(parts[position])
    return parts if type(result) is list else tuple(parts)


def encode(value: Any, _depth: int = 0, buffers: list[bytes] | None = None) -> Any:
    """Turn plain data into JSON-ready tagged data; unsupported objects become `Opaque` descriptions."""
    if _depth > MAX_DEPTH:
        return {"O": "nested too deep"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind in NUMERIC_KINDS:
            return {"S": [value.dtype.str, _b64(np.asarray(value).tobytes())]}
        return {"O": type(value).__name__}
    if isinstance(value, int):
        return value
    if isinstance(value, float):  # float.__repr__: a subclass's own __repr__ may say anything
        return {"F": float.__repr__(value)}
    if isinstance(value, complex):
        return {"C": [float.__repr__(value.real), float.__repr__(value.imag)]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in NUMERIC_KINDS:
            return {"O": f"ndarray of dtype {value.dtype}"}
        data = np.ascontiguousarray(value)
        if buffers is not None:
            buffers.append(data.tobytes())
            return {"A": [data.dtype.str, list(data.shape), len(buffers) - 1]}
        return {"A": [data.dtype.str, list(data.shape), _b64(data.tobytes())]}
    if isinstance(value, Handle):
        return {"H": [value.id, type_name(value.type_name)]}
    if isinstance(value, Opaque):
        return {"O": type_name(value.type_name)}
    if isinstance(value, Ref):
        return {"R": [value.call, value.part]}
    if isinstance(value, tuple):  # namedtuples too: plain data, and a common way to return (out, cache)
        return {"T": [encode(v, _depth + 1, buffers) for v in value]}
    if type(value) is list:
        return {"L": [encode(v, _depth + 1, buffers) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"D": {k: encode(v, _depth + 1, buffers) for k, v in value.items()}}
    return {"O": type_name(type(value).__name__)}


def type_name(name: Any) -> str:
    """A type name fit to show in feedback: a student's class may be named anything, of any length."""
    if not isinstance(name, str) or len(name) > MAX_TYPE_NAME or not TYPE_NAME.fullmatch(name):
        return "object"
    return name


def decode(data: Any, _depth: int = 0, buffers: list[bytes] | None = None) -> Any:
    """Rebuild plain data from tagged JSON, rejecting anything that is not exactly what `encode` makes."""
    if _depth > MAX_DEPTH:
        raise WireError("nested too deep")
    if data is None or isinstance(data, (bool, str)):
        return data
    if isinstance(data, int):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise WireError(f"unexpected value of type {type(data).__name__}")
    (tag, body), = data.items()
    if tag == "F":
        return _float(body)
    if tag == "C":
        real, imag = _expect_list(body, 2)
        return complex(_float(real), _float(imag))
    if tag == "S":
        dtype_str, raw = _expect_list(body, 2)
        dtype = _numeric_dtype(dtype_str)
        return _array(dtype, (), raw)[()]
    if tag == "A":
        dtype_str, shape, raw = _expect_list(body, 3)
        dtype = _numeric_dtype(dtype_str)
        if not isinstance(shape, list) or len(shape) > 32 or \
                not all(type(n) is int and 0 <= n <= MAX_ARRAY_ITEMS for n in shape):
            raise WireError(f"bad shape {str(shape)[:100]}")
        if _count(shape) > MAX_ARRAY_ITEMS or _count([n for n in shape if n]) > MAX_ARRAY_ITEMS:
            raise WireError(f"shape {shape} is too large")
        if type(raw) is int:
            if buffers is None or not 0 <= raw < len(buffers):
                raise WireError(f"no buffer {raw}")
            return _from_bytes(dtype, tuple(shape), buffers[raw])
        return _array(dtype, tuple(shape), raw)
    if tag == "H":
        ident, name = _expect_list(body, 2)
        return Handle(_expect(ident, int), type_name(_expect(name, str)))
    if tag == "O":
        return Opaque(type_name(_expect(body, str)))
    if tag == "R":
        call, part = _expect_list(body, 2)
        return Ref(_expect(call, int), None if part is None else _expect(part, int))
    if tag == "T":
        return tuple(decode(v, _depth + 1, buffers) for v in _expect(body, list))
    if tag == "L":
        return [decode(v, _depth + 1, buffers) for v in _expect(body, list)]
    if tag == "D":
        return {_expect(k, str): decode(v, _depth + 1, buffers) for k, v in _expect(body, dict).items()}
    raise WireError(f"unknown tag {tag!r}")


def dumps(message: Any, frame: Frame | None = None) -> bytes:
    """One frame: an already-encoded message and the raw buffers of its arrays."""
    head = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    parts = [struct.pack(">I", len(head)), head]
    for buffer in frame.buffers if frame is not None else ():
        parts += [struct.pack(">Q", len(buffer)), buffer]
    payload = b"".join(parts)
    return struct.pack(">I", len(payload)) + payload


def loads(payload: bytes, max_head: int | None = MAX_HEAD_BYTES) -> tuple[Any, Frame]:
    """The JSON message of one frame (its length prefix already removed) and the frame's buffers; a JSON part
    over `max_head` bytes is refused (the grader's cap on replies: requests carry the student's source)."""
    view = memoryview(payload)
    if len(view) < 4:
        raise WireError("frame too short")
    (head_length,) = struct.unpack(">I", view[:4])
    end = 4 + head_length
    if end > len(view):
        raise WireError("frame shorter than its header says")
    if max_head is not None and head_length > max_head:
        raise WireError(f"the JSON part of the frame is over {max_head >> 10} kB")
    try:
        message = json.loads(bytes(view[4:end]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"frame is not JSON: {exc}") from None
    except RecursionError:
        raise WireError("frame is nested too deep") from None
    buffers = []
    while end < len(view):
        if end + 8 > len(view):
            raise WireError("truncated buffer length")
        (size,) = struct.unpack(">Q", view[end:end + 8])
        if end + 8 + size > len(view):
            raise WireError("truncated buffer")
        buffers.append(bytes(view[end + 8:end + 8 + size]))
        end += 8 + size
    return message, Frame(buffers)


def _float(text: Any) -> float:
    if type(text) is not str or len(text) > MAX_FLOAT_TEXT:
        raise WireError("a float that is not a short string")
    try:
        return float(text)
    except ValueError:
        raise WireError(f"{text!r} is not a float") from None


def _count(shape: list[int]) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _expect(value: Any, kind: type) -> Any:
    if type(value) is not kind:
        raise WireError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _expect_list(value: Any, length: int) -> list:
    if type(value) is not list or len(value) != length:
        raise WireError(f"expected a list of {length}")
    return value


def _numeric_dtype(dtype_str: Any) -> np.dtype:
    try:
        dtype = np.dtype(_expect(dtype_str, str))
    except TypeError:
        raise WireError(f"bad dtype {dtype_str!r}") from None
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"dtype {dtype_str!r} is not numeric")
    return dtype


def _array(dtype: np.dtype, shape: tuple, raw: Any) -> np.ndarray:
    try:
        buffer = binascii.a2b_base64(_expect(raw, str).encode("ascii"), strict_mode=True)
    except (ValueError, UnicodeEncodeError):
        raise WireError("bad base64") from None
    return _from_bytes(dtype, shape, buffer)


def _from_bytes(dtype: np.dtype, shape: tuple, buffer: bytes) -> np.ndarray:
    count = _count(list(shape))
    if count * dtype.itemsize != len(buffer):
        raise WireError(f"{len(buffer)} bytes do not fill shape {shape} of {dtype}")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()
