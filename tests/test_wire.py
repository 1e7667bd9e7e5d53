"""Only plain data crosses from a worker, and malformed data is rejected, never turned into objects."""
from __future__ import annotations

import numpy as np
import pytest

from autograder.sandbox import wire


def test_round_trip_keeps_types_shapes_and_dtypes():
    """Do arrays, numpy scalars, tuples, lists, dicts and handles come back exactly as sent?"""
    value = (np.arange(6.0).reshape(2, 3), np.int32(7), [1, 2.5, "s", None, True, 1 + 2j],
             {"k": np.ones((0, 4))}, wire.Handle(3, "dict"), float("nan"))
    back = wire.decode(wire.loads(wire.dumps(wire.encode(value))[4:])[0])
    frame = wire.Frame()
    message, received = wire.loads(wire.dumps(frame.encode(value), frame)[4:])
    assert len(received.buffers) == 2  # the two arrays travel as raw bytes, not base64
    framed = received.decode(message)
    assert np.array_equal(framed[0], value[0]) and framed[3]["k"].shape == (0, 4)
    assert isinstance(back, tuple) and isinstance(back[2], list)
    assert back[0].dtype == np.float64 and back[0].shape == (2, 3) and np.array_equal(back[0], value[0])
    assert type(back[1]) is np.int32 and back[1] == 7
    assert back[3]["k"].shape == (0, 4)
    assert back[4] == wire.Handle(3, "dict")
    assert np.isnan(back[5])


def test_unsupported_objects_travel_as_descriptions_only():
    """Does an arbitrary object (or an object array) become an Opaque description, not a value?"""
    assert wire.decode(wire.encode(object())) == wire.Opaque("object")
    assert wire.decode(wire.encode(np.array([object()]))) == wire.Opaque("ndarray of dtype object")


@pytest.mark.parametrize("data", [
    {"A": ["|O", [1], "AAAA"]},            # object dtype
    {"A": ["<f8", [2], "AAAA"]},           # byte count does not fill the shape
    {"A": ["<f8", [-1], ""]},              # negative dimension
    {"A": [[("a", "<f8")], [1], "AAAAAAAAAAA="]},  # structured dtype
    {"S": ["<U3", "AAAA"]},                # string dtype
    {"P": "gASVAAAAAAAAAAA="},                 # unknown tag (a pickle would be here)
    {"T": [1], "L": [2]},                  # two tags
    1.5,                                   # untagged float
    [1, 2],                                # untagged list
])
def test_malformed_data_is_rejected(data):
    """Is anything that encode() would not produce refused with a WireError?"""
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_nesting_depth_is_bounded():
    """Can a hostile worker not exhaust the grader's stack with deep nesting?"""
    data: object = 1
    for _ in range(wire.MAX_DEPTH + 5):
        data = {"L": [data]}
    with pytest.raises(wire.WireError):
        wire.decode(data)


@pytest.mark.parametrize("payload", [
    b"\x00\x00",                                          # shorter than its header
    b"\x00\x00\x00\x09{}",                               # header says more JSON than there is
    b"\x00\x00\x00\x02{}\x00\x00\x00\x00\x00\x00\x00\x09ab",  # a buffer shorter than its length
])
def test_truncated_frames_are_rejected(payload):
    with pytest.raises(wire.WireError):
        wire.loads(payload)


def test_buffer_references_are_checked():
    """Is an array pointing at a missing buffer, or at one of the wrong size, refused?"""
    with pytest.raises(wire.WireError):
        wire.decode({"A": ["<f8", [2], 0]}, buffers=[])
    with pytest.raises(wire.WireError):
        wire.decode({"A": ["<f8", [2], 0]}, buffers=[b"\x00" * 8])
    with pytest.raises(wire.WireError):
        wire.decode({"A": ["<f8", [1], 0]})  # a buffer index outside a frame
