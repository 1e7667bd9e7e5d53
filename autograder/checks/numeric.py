"""Float comparisons and numeric gradients, always in float64."""
from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np


def rel_error(received: np.ndarray, expected: np.ndarray, floor: float) -> float:
    """max|r - e| / max(max|r|, max|e|, floor): scale-aware, and it does not grow with the number of entries.

    The usual per-entry max(|r-e| / (|r|+|e|)) blows up on a single entry near zero, so a correct RNN step at
    N=32, D=64, H=128 scores ~3e-7 with it; this form stays at rounding level for any size. NaN or inf
    anywhere gives inf.
    """
    r = np.asarray(received, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if r.size == 0:
        return 0.0 if np.all(np.isfinite(r)) and np.all(np.isfinite(e)) else float("inf")
    # The largest magnitudes are NaN or inf exactly when some entry is: one reduction each tells both. The
    # methods, not np.max: the grader makes ~80 of these per notebook and np.max's dispatch is a third of each.
    largest_r, largest_e = float(np.abs(r).max()), float(np.abs(e).max())
    if not (math.isfinite(largest_r) and math.isfinite(largest_e)):
        return float("inf")
    return float(np.abs(r - e).max()) / max(largest_r, largest_e, floor)


def sample_entries(shapes: list[tuple[int, ...]], wrt: list[int], limit: int,
                   rng: np.random.Generator) -> dict[int, np.ndarray]:
    """Which entries of each input to nudge: all of them, or `limit` seeded random ones of a larger input.

    A wrong gradient is almost never wrong in only a handful of entries, and the comparison with the
    reference covers every entry anyway; sampling keeps the numeric check cheap (as CS231n's sparse check).
    """
    entries = {}
    for arg in wrt:
        size = int(np.prod(shapes[arg], dtype=np.int64))
        entries[arg] = np.arange(size) if size <= limit else np.sort(rng.choice(size, size=limit, replace=False))
    return entries


def perturbations(entries: dict[int, np.ndarray], step: float) -> list[list]:
    """A (+step, -step) nudge of every chosen entry, in the order `numeric_gradients` reads them."""
    plan = []
    for arg, flat_indices in entries.items():
        for flat in flat_indices:
            plan.append([arg, int(flat), step])
            plan.append([arg, int(flat), -step])
    return plan


def nudged_inputs(args: list[Any], perturb: list[list]) -> Iterator[list[Any]]:
    """The inputs once per nudge of `perturb`, fresh copies of every array, with that one entry moved (in the
    student's kernel; in grading the worker applies the nudges, see worker.Session.sweep)."""
    for arg_index, flat_index, delta in perturb:
        nudged = [np.array(a, copy=True, order="C") if isinstance(a, np.ndarray) else a for a in args]
        nudged[arg_index].reshape(-1)[flat_index] += delta
        yield nudged


def stack_outputs(outputs: list[Any]) -> np.ndarray:
    """The outputs at every nudge, as one float64 array (ValueError or TypeError if they are not alike)."""
    return np.stack([np.asarray(o, dtype=np.float64) for o in outputs]) if outputs else np.zeros((0,))


def outputs_at(function: Callable[..., Any], arg_lists: list[list[Any]], pick: int | None) -> np.ndarray:
    """`function`'s output (item `pick` of its result) at each argument list, stacked as float64: in the
    student's own kernel. In grading, StudentRunner.sweep_many has the worker make the same calls."""
    return stack_outputs([function(*args) if pick is None else function(*args)[pick] for args in arg_lists])


def numeric_gradients(outputs: np.ndarray, upstream: np.ndarray, entries: dict[int, np.ndarray],
                      step: float) -> dict[int, np.ndarray]:
    """Centered differences of f = sum(out * upstream) at the chosen entries of each input.

    `outputs` stacks the forward's output at each nudge of `perturbations(entries, step)`.
    """
    weighted = (outputs.reshape(outputs.shape[0], -1) * upstream.reshape(1, -1)).sum(axis=1)
    grads, offset = {}, 0
    for arg, flat_indices in entries.items():
        pairs = weighted[offset:offset + 2 * len(flat_indices)].reshape(len(flat_indices), 2)
        grads[arg] = (pairs[:, 0] - pairs[:, 1]) / (2 * step)
        offset += 2 * len(flat_indices)
    return grads
