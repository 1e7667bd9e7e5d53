"""Training harnesses for the trained-model tasks, written against the student's layer functions.

The same code runs in a student's notebook (with the plain functions) and in the grader, where every layer
call goes through the worker (`RemoteLayers`) and only the accuracy computed here counts. Datasets are
generated from a seed or read from files shipped in the repository: nothing is downloaded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

Layers = Mapping[str, Callable[..., Any]]
REVIEWS = Path(__file__).resolve().parent / "data" / "reviews.tsv"


def rings_dataset(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """2-D points labelled by their distance from the origin: a disk (class 0) inside a ring (class 1)."""
    rng = np.random.default_rng([seed, 1])
    labels = rng.integers(0, 2, size=n)
    radius = np.where(labels == 0, rng.uniform(0.0, 1.0, n), rng.uniform(1.4, 2.2, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, labels.astype(np.int64)


def train_two_layer_net(layers: Layers, seed: int = 0, hidden: int = 16, steps: int = 60,
                        learning_rate: float = 0.5, momentum: float = 0.9) -> float:
    """Train affine-ReLU-affine-softmax with full-batch SGD and momentum; return the test accuracy."""
    x_train, y_train = rings_dataset(seed)
    x_test, y_test = rings_dataset(seed + 1000)
    rng = np.random.default_rng([seed, 2])
    params = {"W1": rng.standard_normal((2, hidden)) * np.sqrt(2 / 2), "b1": np.zeros(hidden),
              "W2": rng.standard_normal((hidden, 2)) * np.sqrt(2 / hidden), "b2": np.zeros(2)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        z1, cache1 = layers["linear_forward"](x_train, params["W1"], params["b1"])
        h1, cache_relu = layers["relu_forward"](z1)
        scores, cache2 = layers["linear_forward"](h1, params["W2"], params["b2"])
        _, dscores = layers["softmax_loss"](scores, y_train)
        dh1, dW2, db2 = layers["linear_backward"](dscores, cache2)
        dz1 = layers["relu_backward"](dh1, cache_relu)
        _, dW1, db1 = layers["linear_backward"](dz1, cache1)
        grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
        for name in params:
            velocity[name] = momentum * velocity[name] - learning_rate * np.asarray(grads[name], dtype=np.float64)
            params[name] = params[name] + velocity[name]
    z1, _ = layers["linear_forward"](x_test, params["W1"], params["b1"])
    h1, _ = layers["relu_forward"](z1)
    scores, _ = layers["linear_forward"](h1, params["W2"], params["b2"])
    return float(np.mean(np.argmax(np.asarray(scores), axis=1) == y_test))
