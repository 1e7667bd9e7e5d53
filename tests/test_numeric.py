"""Relative errors in float64 that stay at rounding level for correct code of any size."""
from __future__ import annotations

import numpy as np

from autograder.checks.numeric import numeric_gradients, perturbations, rel_error, sample_entries


def test_rel_error_of_a_correct_rnn_step_does_not_grow_with_size():
    """Two correct formulations of an RNN step at N=32, D=64, H=128 agree to rounding level.

    CS231n's per-entry rel_error gives ~1e-7 here (entries near zero), which fails its own 1e-8 bar.
    """
    rng = np.random.default_rng(0)
    x, h, Wx, Wh, b = (rng.standard_normal(s) for s in ((32, 64), (32, 128), (64, 128), (128, 128), (128,)))
    a = np.tanh(x @ Wx + h @ Wh + b)
    e = np.tanh(np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h, Wh) + b)
    assert rel_error(a, e, 1e-8) < 1e-12


def test_rel_error_flags_nan_and_scale():
    assert rel_error(np.array([np.nan]), np.array([1.0]), 1e-8) == float("inf")
    assert rel_error(np.array([2.0, 0.0]), np.array([1.0, 0.0]), 1e-8) == 0.5
    assert rel_error(np.zeros(3), np.full(3, 1e-12), 1e-8) < 1e-3  # the floor: tiny values are not "100% off"


def test_numeric_gradients_of_a_linear_map_are_exact():
    """Does the centered difference of sum(out * upstream) recover x.T @ upstream for out = x @ W, also when
    only a sample of the entries is nudged?"""
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((3, 5)), rng.standard_normal((5, 40))
    upstream = rng.standard_normal((3, 40))
    entries = sample_entries([x.shape, W.shape], [0, 1], 24, rng)
    assert len(entries[0]) == 15 and len(entries[1]) == 24  # x whole, W sampled
    outputs = []
    for arg, flat, delta in perturbations(entries, 1e-5):
        args = [x.copy(), W.copy()]
        args[arg].reshape(-1)[flat] += delta
        outputs.append(args[0] @ args[1])
    numeric = numeric_gradients(np.stack(outputs), upstream, entries, 1e-5)
    assert rel_error(numeric[0], (upstream @ W.T).reshape(-1)[entries[0]], 1e-8) < 1e-8
    assert rel_error(numeric[1], (x.T @ upstream).reshape(-1)[entries[1]], 1e-8) < 1e-8
