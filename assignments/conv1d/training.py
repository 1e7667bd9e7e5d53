"""The trained-model task of the conv1d assignment: find a short motif anywhere in a noisy sequence.

The student's conv1d_forward, maxpool1d_forward, maxpool1d_backward, conv1d_backward and sgd_momentum compute
every training step, called as chains of `Call`s through an executor (the worker when grading, plain
functions in a notebook). The ReLU, the read-out, the loss and the read-out's update are the harness's own
numpy, and so is the forward pass that evaluates the trained parameters on the test set (`motif_cnn_scores`):
the accuracy measures what the student's layers trained, never what their forward returns. The data set is
generated from a seed; nothing is read or downloaded.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from autograder.course.training import Call, Executor, Ref, executor, softmax_gradient

LENGTH = 28  # W, the length of every sequence
CHANNELS = 2  # C
# The motif, (C, 4): class 1 sequences contain it at a random position; class 0 sequences contain the same
# values in another order (the decoy), so the two classes have the same values and the same energy, and only
# the pattern tells them apart.
MOTIF = np.array([[1.0, -1.0, 1.0, 1.0], [-1.0, 1.0, 1.0, -1.0]])
DECOY = MOTIF[:, ::-1]
NOISE = 0.5  # standard deviation of the background noise


def motif_dataset(seed: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Sequences x (n, C, W) of Gaussian noise with the motif (label 1) or the decoy (label 0) added at a random
    position; labels (n,) int64."""
    rng = np.random.default_rng([seed, 4])
    labels = rng.integers(0, 2, size=n)
    x = NOISE * rng.standard_normal((n, CHANNELS, LENGTH))
    starts = rng.integers(0, LENGTH - MOTIF.shape[1] + 1, size=n)
    for row, (label, start) in enumerate(zip(labels, starts)):
        x[row, :, start:start + MOTIF.shape[1]] += MOTIF if label == 1 else DECOY
    return x, labels.astype(np.int64)


def train_motif_cnn(layers: Mapping[str, Callable[..., Any]] | Executor, seed: int = 0, filters: int = 4,
                    kernel: int = 4, steps: int = 80, learning_rate: float = 0.5, momentum: float = 0.9) -> float:
    """conv1d -> global max pool -> ReLU -> affine -> softmax, full-batch SGD with momentum; the test accuracy.

    The ReLU comes after the pool: max pooling commutes with any increasing function, so this is the same
    network as conv -> ReLU -> pool, and it lets the student's four layers run as one chain per direction.
    Each step is two chains: (conv1d_forward, maxpool1d_forward) with both caches kept in the worker, then
    (maxpool1d_backward, conv1d_backward, sgd_momentum for w, sgd_momentum for b), each fed what the previous
    call returned. The read-out is updated by the harness with the same rule.
    """
    run = executor(layers)
    x_train, y_train = motif_dataset(seed)
    x_test, y_test = motif_dataset(seed + 1000)
    rng = np.random.default_rng([seed, 5])
    conv_param = {"stride": 1, "pad": 0}
    pooled_length = 1 + (LENGTH - kernel) // conv_param["stride"]
    pool_param = {"pool": pooled_length, "stride": pooled_length}  # one window: a global max
    params = {"w": rng.standard_normal((filters, CHANNELS, kernel)) / np.sqrt(CHANNELS * kernel),
              "b": np.zeros(filters), "Wy": rng.standard_normal((filters, 2)) / np.sqrt(filters), "by": np.zeros(2)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        forward = [Call("conv1d_forward", (x_train, params["w"], params["b"], conv_param)),  # 0: (a, conv cache)
                   Call("maxpool1d_forward", (Ref(0, 0), pool_param))]                     # 1: (m, pool cache)
        out = run(forward, [(0, (1,)), (1, (1,))])
        conv_cache, (pooled, pool_cache) = out[0][1], out[1]
        pooled = np.asarray(pooled, dtype=np.float64).reshape(len(x_train), filters)
        hidden = np.maximum(pooled, 0.0)
        dscores = softmax_gradient(hidden @ params["Wy"] + params["by"], y_train)
        dpooled = (dscores @ params["Wy"].T) * (pooled > 0)
        backward = [Call("maxpool1d_backward", (dpooled[:, :, None], pool_cache)),      # 0: da
                    Call("conv1d_backward", (Ref(0, None), conv_cache)),                # 1: (dx, dw, db)
                    Call("sgd_momentum", (params["w"], Ref(1, 1), velocity["w"], learning_rate, momentum)),
                    Call("sgd_momentum", (params["b"], Ref(1, 2), velocity["b"], learning_rate, momentum))]
        out = run(backward, [(2, ()), (3, ())])
        for name, index in (("w", 2), ("b", 3)):
            params[name], velocity[name] = (np.asarray(a, dtype=np.float64).reshape(params[name].shape)
                                            for a in out[index])
        for name, grad in (("Wy", hidden.T @ dscores), ("by", dscores.sum(axis=0))):
            velocity[name] = momentum * velocity[name] - learning_rate * grad
            params[name] = params[name] + velocity[name]
    scores = motif_cnn_scores(x_test, params)
    return float(np.mean(np.argmax(scores, axis=1) == y_test))


def motif_cnn_scores(x: np.ndarray, params: Mapping[str, np.ndarray]) -> np.ndarray:
    """The harness's conv (stride 1, no padding) -> ReLU -> global max -> affine: x (N, C, W) -> scores (N, 2),
    from w (F, C, K), b (F,), Wy (F, 2), by (2,)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, params["w"].shape[2], axis=2)  # (N, C, W_out, K)
    conv = np.einsum("ncik,fck->nfi", windows, params["w"]) + params["b"][:, None]
    hidden = np.maximum(conv, 0.0).max(axis=2)
    return hidden @ params["Wy"] + params["by"]


def train_dense(seed: int = 0, hidden: int = 1, steps: int = 80, learning_rate: float = 0.5,
                momentum: float = 0.9) -> float:
    """For comparison, all numpy: affine -> ReLU -> affine -> softmax on the flattened sequences (C * W inputs),
    trained like train_motif_cnn (same data, steps, learning rate and momentum); the test accuracy.

    With hidden = 1 it has C * W + 5 = 61 parameters against the CNN's 46: about as many, but each of them tied
    to one position, where every conv weight is used at every position.
    """
    x_train, y_train = motif_dataset(seed)
    x_test, y_test = motif_dataset(seed + 1000)
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    rng = np.random.default_rng([seed, 6])
    inputs = x_train.shape[1]
    params = {"W1": rng.standard_normal((inputs, hidden)) * np.sqrt(2 / inputs), "b1": np.zeros(hidden),
              "W2": rng.standard_normal((hidden, 2)) / np.sqrt(hidden), "b2": np.zeros(2)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        pre = x_train @ params["W1"] + params["b1"]
        h = np.maximum(pre, 0.0)
        dscores = softmax_gradient(h @ params["W2"] + params["b2"], y_train)
        dpre = (dscores @ params["W2"].T) * (pre > 0)
        grads = {"W1": x_train.T @ dpre, "b1": dpre.sum(axis=0), "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}
        for name, grad in grads.items():
            velocity[name] = momentum * velocity[name] - learning_rate * grad
            params[name] = params[name] + velocity[name]
    scores = np.maximum(x_test @ params["W1"] + params["b1"], 0.0) @ params["W2"] + params["b2"]
    return float(np.mean(np.argmax(scores, axis=1) == y_test))

