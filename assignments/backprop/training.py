"""The trained model of the backprop assignment: a two-layer net on the rings, trained with the student's layers."""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from autograder.course.training import Call, Executor, Ref, executor


def rings_dataset(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """2-D points labelled by their distance from the origin: a disk (class 0) inside a ring (class 1)."""
    rng = np.random.default_rng([seed, 1])
    labels = rng.integers(0, 2, size=n)
    radius = np.where(labels == 0, rng.uniform(0.0, 1.0, n), rng.uniform(1.4, 2.2, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, labels.astype(np.int64)


def train_two_layer_net(layers: Mapping[str, Callable[..., Any]] | Executor, seed: int = 0, hidden: int = 16,
                        steps: int = 12, learning_rate: float = 1.0, momentum: float = 0.7) -> float:
    """Train affine-ReLU-affine-softmax with full-batch SGD and momentum; return the test accuracy.

    `layers` maps task ids to the student's functions (or is an executor that runs them elsewhere). Each
    step is one chain of calls: forward, loss and backward, each layer fed what the previous one returned.
    The test accuracy is that of the trained parameters under `two_layer_scores`, the harness's own forward.
    """
    run = executor(layers)
    x_train, y_train = rings_dataset(seed)
    x_test, y_test = rings_dataset(seed + 1000)
    rng = np.random.default_rng([seed, 2])
    params = {"W1": rng.standard_normal((2, hidden)) * np.sqrt(2 / 2), "b1": np.zeros(hidden),
              "W2": rng.standard_normal((hidden, 2)) * np.sqrt(2 / hidden), "b2": np.zeros(2)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        calls = _two_layer_forward(x_train, params) + [
            Call("softmax_loss", (Ref(2, 0), y_train)),              # 3: (loss, dscores)
            Call("linear_backward", (Ref(3, 1), Ref(2, 1))),         # 4: (dh1, dW2, db2)
            Call("relu_backward", (Ref(4, 0), Ref(1, 1))),           # 5: dz1
            Call("linear_backward", (Ref(5, None), Ref(0, 1))),      # 6: (dx, dW1, db1)
        ]
        out = run(calls, [(4, ()), (6, ())])
        grads = {"W1": out[6][1], "b1": out[6][2], "W2": out[4][1], "b2": out[4][2]}
        for name in params:
            velocity[name] = momentum * velocity[name] - learning_rate * np.asarray(grads[name], dtype=np.float64)
            params[name] = params[name] + velocity[name]
    return float(np.mean(np.argmax(two_layer_scores(x_test, params), axis=1) == y_test))


def two_layer_scores(x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
    """The harness's affine-ReLU-affine: x (N, D) -> scores (N, C), from W1 (D, H), b1 (H,), W2 (H, C), b2 (C,)."""
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    return hidden @ params["W2"] + params["b2"]


def _two_layer_forward(x: np.ndarray, params: dict[str, np.ndarray]) -> list[Call]:
    return [Call("linear_forward", (x, params["W1"], params["b1"])),        # 0: (z1, cache1)
            Call("relu_forward", (Ref(0, 0),)),                             # 1: (h1, cache_relu)
            Call("linear_forward", (Ref(1, 0), params["W2"], params["b2"]))]  # 2: (scores, cache2)
