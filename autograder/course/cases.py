"""Seeded test cases: sizes with pairwise different values and inputs drawn to keep every check meaningful."""
from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

import numpy as np

from autograder.course.tasks import Arg, Input, Param, Scalar

SIZE_RANGE = range(2, 10)
STABILITY_SCALE = 1e3


@dataclass(frozen=True)
class Case:
    """One set of sizes; `number` is 1-based and stable for feedback."""

    number: int
    sizes: dict[str, int]

    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.sizes.items())


def hidden_seed(seed: int, secret: str) -> int:
    """The seed the hidden cases are drawn from: `seed` itself without a secret (so grades stay as they were),
    else 64 bits of sha256(seed, secret), so that knowing `seed` (shared by every course that keeps the default,
    and printed in grader.toml) is not knowing the cases, and a case leaked in one run exposes no other."""
    if not secret:
        return seed
    digest = hashlib.sha256(f"autograder hidden cases\0{seed}\0".encode() + secret.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator that depends only on the seed and the keys, never on the order checks run in."""
    words = [seed] + [zlib.crc32(k.encode()) if isinstance(k, str) else k for k in keys]
    return np.random.default_rng(words)


@lru_cache(maxsize=1024)
def _cases(seed: int, task: str, letters: tuple[str, ...], random_cases: int,
           ranges: tuple[tuple[str, int, int], ...]) -> tuple[Case, ...]:
    return tuple(_draw_cases(seed, task, letters, random_cases, dict((k, (a, b)) for k, a, b in ranges)))


def draw_cases(seed: int, task: str, letters: tuple[str, ...], random_cases: int,
               ranges: Mapping[str, tuple[int, int]] | None = None) -> list[Case]:
    """The cases of a task (the same for every submission, so drawn once per grader process); `ranges` gives
    some letters a range of their own (see Assignment.sizes)."""
    key = tuple((letter, low, high) for letter, (low, high) in sorted((ranges or {}).items()))
    return list(_cases(seed, task, letters, random_cases, key))


def _draw_cases(seed: int, task: str, letters: tuple[str, ...], random_cases: int,
                ranges: dict[str, tuple[int, int]]) -> list[Case]:
    """`random_cases` cases with all sizes pairwise different, then one with N = 1."""
    cases = []
    for number in range(1, random_cases + 2):
        rng = rng_for(seed, task, "sizes", number)
        if ranges:
            sizes = _sizes_in_ranges(rng, letters, ranges)
        else:  # one draw of distinct values: the cases of the assignments without ranges stay as they were
            values = rng.choice(np.array(SIZE_RANGE), size=len(letters), replace=False)
            sizes = {letter: int(v) for letter, v in zip(letters, values)}
        if number == random_cases + 1:
            sizes["N"] = 1
        cases.append(Case(number, sizes))
    return cases


def _sizes_in_ranges(rng: np.random.Generator, letters: tuple[str, ...], ranges: dict[str, tuple[int, int]]
                     ) -> dict[str, int]:
    """Each letter from its own range (SIZE_RANGE by default), different from the letters drawn before it
    whenever its range has another value left."""
    sizes: dict[str, int] = {}
    for letter in letters:
        low, high = ranges.get(letter, (SIZE_RANGE.start, SIZE_RANGE.stop - 1))
        free = [v for v in range(low, high + 1) if v not in sizes.values()] or list(range(low, high + 1))
        sizes[letter] = int(free[int(rng.integers(len(free)))])
    return sizes


def shape_of(letters: tuple[str | int, ...], sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(sizes[letter] if isinstance(letter, str) else letter for letter in letters)


def draw_arg(rng: np.random.Generator, arg: Arg, sizes: dict[str, int]) -> np.ndarray:
    """float64 inputs; `away_from_zero` keeps ReLU inputs off its kink (both `> 0` and `>= 0` masks are right)."""
    shape = shape_of(arg.shape, sizes)
    kind, _, size_letter = arg.draw.partition(":")
    if kind == "labels":
        return rng.integers(0, sizes[size_letter], size=shape).astype(np.int64)
    values = rng.standard_normal(shape)
    if kind == "weight":  # fan-in scaling keeps tanh away from saturation, so gradients are not all ~0
        return values / np.sqrt(shape[0])
    if kind == "small":
        return 0.1 * values
    if kind == "scores":
        return 2.0 * values
    if kind == "away_from_zero":
        return np.sign(values) * (0.05 + np.abs(values))
    if kind == "well_separated":  # distinct values at least 0.1 apart: a nudge never changes which is largest
        return (rng.permutation(values.size).reshape(shape) - values.size / 2) * 0.1 + 0.01 * rng.random(shape)
    return values


def draw_scalar(rng: np.random.Generator, scalar: Scalar) -> int | float:
    if scalar.integer:
        return int(rng.integers(int(scalar.low), int(scalar.high) + 1))
    return float(rng.uniform(scalar.low, scalar.high))


MAX_REDRAWS = 1000


def draw_inputs(seed: int, task: str, case: Case, args: tuple[Input, ...],
                requires: Callable[[dict[str, Any]], bool] | None = None) -> list:
    """Arrays for `Arg`s, plain Python numbers for `Scalar`s and dicts for `Param`s, in order (fresh copies:
    callers may keep them); drawn again, from the same generator, until `requires` accepts them by name."""
    drawn = _inputs(seed, task, case.number, tuple(sorted(case.sizes.items())), args, requires)
    return [a.copy() if isinstance(a, (np.ndarray, dict)) else a for a in drawn]


@lru_cache(maxsize=4096)
def _inputs(seed: int, task: str, number: int, sizes: tuple, args: tuple[Input, ...],
            requires: Callable[[dict[str, Any]], bool] | None = None) -> tuple:
    rng = rng_for(seed, task, "inputs", number)
    size_map = dict(sizes)
    for _ in range(MAX_REDRAWS):
        drawn = tuple(draw_scalar(rng, arg) if isinstance(arg, Scalar) else arg.option(number)
                      if isinstance(arg, Param) else draw_arg(rng, arg, size_map) for arg in args)
        if requires is None or requires({arg.name: value for arg, value in zip(args, drawn)}):
            return drawn
    raise ValueError(f"{task}: no inputs meeting its `requires` in {MAX_REDRAWS} draws")


def draw_upstream(seed: int, task: str, case: Case, shape: tuple[int, ...]) -> np.ndarray:
    return _upstream(seed, task, case.number, shape).copy()


@lru_cache(maxsize=1024)
def _upstream(seed: int, task: str, number: int, shape: tuple[int, ...]) -> np.ndarray:
    return rng_for(seed, task, "upstream", number).standard_normal(shape)


def draw_layer_dims(seed: int, task: str, number: int) -> list[int]:
    """Layer sizes for parameter counting: the 784-H-10 and 784-H1-H2-10 nets, then random depths."""
    rng = rng_for(seed, task, "dims", number)
    hidden = [int(h) for h in rng.integers(16, 1025, size=4)]
    if number == 1:
        return [784, hidden[0], 10]
    if number == 2:
        return [784, hidden[0], hidden[1], 10]
    depth = int(rng.integers(2, 6))
    return [int(d) for d in rng.integers(2, 600, size=depth)]
