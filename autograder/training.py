"""Training harnesses for the trained-model tasks, written against the student's layer functions.

The same code runs in a student's notebook (with the plain functions) and in the grader, where every layer
call goes through the worker (`remote_executor`). The student's layers compute every training step (forward,
loss, backward); the trained parameters are then evaluated on the test set by the harness's own forward pass in
plain numpy, never by the student's code, so the accuracy measures what their layers trained and not what
their forward returns (a forward that reads the answer out of its input, with no gradients, trains nothing).
Datasets are generated from a seed or read from files shipped in the repository: nothing is downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from autograder.wire import Ref, follow

REVIEWS = Path(__file__).resolve().parent / "data" / "reviews.tsv"


@dataclass(frozen=True)
class Call:
    """One call of a student's function; an argument may be a `Ref` to an earlier call's result."""

    fn: str
    args: tuple


# run(calls, send) -> {index: result} for each (index, keep) in send; `keep` positions may come back as handles.
Executor = Callable[[list[Call], list[tuple[int, tuple[int, ...]]]], dict[int, Any]]


def local_executor(functions: Mapping[str, Callable[..., Any]]) -> Executor:
    """Run chains of calls on plain functions, in this process (a student's notebook)."""

    def run(calls: list[Call], send: list[tuple[int, tuple[int, ...]]]) -> dict[int, Any]:
        results: list[Any] = []
        for call in calls:
            args = [follow(a, results) for a in call.args]
            results.append(functions[call.fn](*args))
        return {index: results[index] for index, _ in send}

    return run


def _executor(layers: Mapping[str, Callable[..., Any]] | Executor) -> Executor:
    return layers if callable(layers) and not isinstance(layers, Mapping) else local_executor(layers)


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
    run = _executor(layers)
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


def load_reviews(path: Path = REVIEWS) -> dict[str, tuple[list[list[str]], np.ndarray]]:
    """The shipped reviews, tokenized: {"train": (token lists, labels), "test": (...)}."""
    splits: dict[str, tuple[list[list[str]], list[int]]] = {"train": ([], []), "test": ([], [])}
    for line in path.read_text().splitlines()[1:]:
        split, label, text = line.split("\t")
        splits[split][0].append(text.split())
        splits[split][1].append(int(label))
    return {k: (tokens, np.array(labels, dtype=np.int64)) for k, (tokens, labels) in splits.items()}


def encode_reviews(reviews: list[list[str]], vocabulary: dict[str, int], length: int) -> np.ndarray:
    """Token ids, padded at the front with 0 so that the last step always sees the last word."""
    ids = np.zeros((len(reviews), length), dtype=np.int64)
    for row, words in enumerate(reviews):
        tail = [vocabulary.get(w, 1) for w in words][-length:]
        ids[row, length - len(tail):] = tail
    return ids


def train_sentiment_rnn(layers: Mapping[str, Callable[..., Any]] | Executor, seed: int = 0, embed: int = 8,
                        hidden: int = 16, steps: int = 150, batch: int = 64, learning_rate: float = 0.03) -> float:
    """Embedding -> your RNN -> last hidden state -> affine -> softmax, trained with Adam; test accuracy.

    Only rnn_forward and rnn_backward are yours; the embedding, the read-out and the loss are the harness's,
    and so is the forward pass that evaluates the trained parameters on the test set (`rnn_last_state`).
    """
    run = _executor(layers)
    data = load_reviews()
    train_tokens, train_labels = data["train"]
    words = sorted({w for review in train_tokens for w in review})
    vocabulary = {w: i + 2 for i, w in enumerate(words)}  # 0 pads, 1 is an unknown word
    length = max(len(r) for r in train_tokens)
    train_ids = encode_reviews(train_tokens, vocabulary, length)
    test_ids = encode_reviews(data["test"][0], vocabulary, length)
    rng = np.random.default_rng([seed, 3])
    params = {"E": 0.5 * rng.standard_normal((len(vocabulary) + 2, embed)),
              "Wx": rng.standard_normal((embed, hidden)) / np.sqrt(embed),
              "Wh": rng.standard_normal((hidden, hidden)) / np.sqrt(hidden), "b": np.zeros(hidden),
              "Wy": rng.standard_normal((hidden, 2)) / np.sqrt(hidden), "by": np.zeros(2)}
    adam = _Adam(params, learning_rate)
    for _ in range(steps):
        rows = rng.choice(len(train_ids), size=batch, replace=False)
        ids, labels = train_ids[rows], train_labels[rows]
        h0 = np.zeros((batch, hidden))
        forward = Call("rnn_forward", (params["E"][ids], h0, params["Wx"], params["Wh"], params["b"]))
        h, cache = run([forward], [(0, (1,))])[0]
        last = np.asarray(h, dtype=np.float64)[:, -1]
        dscores = _softmax_gradient(last @ params["Wy"] + params["by"], labels)
        dh = np.zeros((batch, length, hidden))
        dh[:, -1] = dscores @ params["Wy"].T
        dx, _, dWx, dWh, db = run([Call("rnn_backward", (dh, cache))], [(0, ())])[0]
        dE = np.zeros_like(params["E"])
        np.add.at(dE, ids, np.asarray(dx, dtype=np.float64))
        adam.step({"E": dE, "Wx": dWx, "Wh": dWh, "b": db, "Wy": last.T @ dscores, "by": dscores.sum(axis=0)})
    last = rnn_last_state(params["E"][test_ids], params["Wx"], params["Wh"], params["b"])
    scores = last @ params["Wy"] + params["by"]
    return float(np.mean(np.argmax(scores, axis=1) == data["test"][1]))


def rnn_last_state(x: np.ndarray, Wx: np.ndarray, Wh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The harness's tanh RNN from a zero state, h_t = tanh(x_t Wx + h_{t-1} Wh + b): x (N, T, D) -> h_T (N, H)."""
    h = np.zeros((x.shape[0], Wh.shape[0]))
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
    return h


def _softmax_gradient(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Gradient of the mean softmax cross-entropy (the harness's own, so only the RNN is the student's)."""
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    probs[np.arange(len(labels)), labels] -= 1
    return probs / len(labels)


class _Adam:
    def __init__(self, params: dict[str, np.ndarray], learning_rate: float) -> None:
        self.params, self.lr, self.t = params, learning_rate, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: dict[str, Any]) -> None:
        self.t += 1
        for name, grad in grads.items():
            grad = np.asarray(grad, dtype=np.float64).reshape(self.params[name].shape)
            self.m[name] = 0.9 * self.m[name] + 0.1 * grad
            self.v[name] = 0.999 * self.v[name] + 0.001 * grad**2
            m_hat = self.m[name] / (1 - 0.9**self.t)
            v_hat = self.v[name] / (1 - 0.999**self.t)
            self.params[name] = self.params[name] - self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)
