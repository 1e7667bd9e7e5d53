"""The only format that crosses between the grader and a worker: tagged JSON, never pickle.

Plain data only: None, bools, ints, floats, complex, strings, numpy arrays and scalars of numeric dtypes, and
lists, tuples and string-keyed dicts of those. Anything else the worker holds (a student's cache object) travels
as an opaque handle. Decoding checks every tag, dtype, shape and byte count, so a hostile worker can send wrong
data but never make the grader build an object it did not ask for.

Frames are a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
"""
from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

NUMERIC_KINDS = frozenset("biufc")
MAX_DEPTH = 32
MAX_FRAME_BYTES = 64 * 1024 * 1024  # the largest legitimate reply (a gradient sweep) is well under 1 MiB


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


def encode(value: Any, _depth: int = 0) -> Any:
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
    if isinstance(value, float):
        return {"F": repr(value)}
    if isinstance(value, complex):
        return {"C": [repr(value.real), repr(value.imag)]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in NUMERIC_KINDS:
            return {"O": f"ndarray of dtype {value.dtype}"}
        data = np.ascontiguousarray(value)
        return {"A": [data.dtype.str, list(data.shape), _b64(data.tobytes())]}
    if isinstance(value, Handle):
        return {"H": [value.id, value.type_name]}
    if isinstance(value, Opaque):
        return {"O": value.type_name}
    if isinstance(value, Ref):
        return {"R": [value.call, value.part]}
    if isinstance(value, tuple):  # namedtuples too: plain data, and a common way to return (out, cache)
        return {"T": [encode(v, _depth + 1) for v in value]}
    if type(value) is list:
        return {"L": [encode(v, _depth + 1) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"D": {k: encode(v, _depth + 1) for k, v in value.items()}}
    return {"O": type(value).__name__}


def decode(data: Any, _depth: int = 0) -> Any:
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
        return float(_expect(body, str))
    if tag == "C":
        re, im = _expect_list(body, 2)
        return complex(float(_expect(re, str)), float(_expect(im, str)))
    if tag == "S":
        dtype_str, raw = _expect_list(body, 2)
        dtype = _numeric_dtype(dtype_str)
        return _array(dtype, (), raw)[()]
    if tag == "A":
        dtype_str, shape, raw = _expect_list(body, 3)
        dtype = _numeric_dtype(dtype_str)
        if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape) or len(shape) > 32:
            raise WireError(f"bad shape {shape!r}")
        return _array(dtype, tuple(shape), raw)
    if tag == "H":
        ident, type_name = _expect_list(body, 2)
        return Handle(_expect(ident, int), _expect(type_name, str))
    if tag == "O":
        return Opaque(_expect(body, str))
    if tag == "R":
        call, part = _expect_list(body, 2)
        return Ref(_expect(call, int), None if part is None else _expect(part, int))
    if tag == "T":
        return tuple(decode(v, _depth + 1) for v in _expect(body, list))
    if tag == "L":
        return [decode(v, _depth + 1) for v in _expect(body, list)]
    if tag == "D":
        return {_expect(k, str): decode(v, _depth + 1) for k, v in _expect(body, dict).items()}
    raise WireError(f"unknown tag {tag!r}")


def dumps(message: Any) -> bytes:
    """One frame holding an already-encoded message."""
    payload = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
    return struct.pack(">I", len(payload)) + payload


def loads(payload: bytes) -> Any:
    """Parse the JSON of one frame (its length prefix already removed)."""
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"frame is not JSON: {exc}") from None
    except RecursionError:
        raise WireError("frame is nested too deep") from None


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
        buffer = base64.b64decode(_expect(raw, str), validate=True)
    except ValueError:
        raise WireError("bad base64") from None
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(buffer):
        raise WireError(f"{len(buffer)} bytes do not fill shape {shape} of {dtype}")
    return np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()
