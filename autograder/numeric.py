"""Float comparisons and numeric gradients, always in float64."""
from __future__ import annotations

import numpy as np


def rel_error(received: np.ndarray, expected: np.ndarray, floor: float) -> float:
    """max|r - e| / max(max|r|, max|e|, floor): scale-aware, and it does not grow with the number of entries.

    The usual per-entry max(|r-e| / (|r|+|e|)) blows up on a single entry near zero, so a correct RNN step at
    N=32, D=64, H=128 scores ~3e-7 with it; this form stays at rounding level for any size. NaN or inf
    anywhere gives inf.
    """
    r = np.asarray(received, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(e))):
        return float("inf")
    if r.size == 0:
        return 0.0
    diff = float(np.max(np.abs(r - e)))
    scale = max(float(np.max(np.abs(r))), float(np.max(np.abs(e))), floor)
    return diff / scale


def perturbations(shapes: list[tuple[int, ...]], wrt: list[int], step: float) -> list[list]:
    """Every (+step, -step) nudge of every entry of the inputs in `wrt`, in the order `numeric_gradients` reads."""
    plan = []
    for arg in wrt:
        for flat in range(int(np.prod(shapes[arg], dtype=np.int64))):
            plan.append([arg, flat, step])
            plan.append([arg, flat, -step])
    return plan


def numeric_gradients(outputs: np.ndarray, upstream: np.ndarray, shapes: list[tuple[int, ...]], wrt: list[int],
                      step: float) -> list[np.ndarray]:
    """Centered differences of f = sum(out * upstream), one array per input in `wrt`.

    `outputs` stacks the forward's output at each nudge of `perturbations(shapes, wrt, step)`.
    """
    weighted = (outputs.reshape(outputs.shape[0], -1) * upstream.reshape(1, -1)).sum(axis=1)
    grads, offset = [], 0
    for arg in wrt:
        size = int(np.prod(shapes[arg], dtype=np.int64))
        pairs = weighted[offset:offset + 2 * size].reshape(size, 2)
        grads.append(((pairs[:, 0] - pairs[:, 1]) / (2 * step)).reshape(shapes[arg]))
        offset += 2 * size
    return grads
