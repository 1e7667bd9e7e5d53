"""The trained model of the rnn assignment: the student's RNN reads short movie reviews (shipped in data/)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from autograder.course.training import Adam, Call, Executor, executor, softmax_gradient

REVIEWS = Path(__file__).resolve().parent / "data" / "reviews.tsv"


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
    run = executor(layers)
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
    adam = Adam(params, learning_rate)
    for _ in range(steps):
        rows = rng.choice(len(train_ids), size=batch, replace=False)
        ids, labels = train_ids[rows], train_labels[rows]
        h0 = np.zeros((batch, hidden))
        forward = Call("rnn_forward", (params["E"][ids], h0, params["Wx"], params["Wh"], params["b"]))
        h, cache = run([forward], [(0, (1,))])[0]
        last = np.asarray(h, dtype=np.float64)[:, -1]
        dscores = softmax_gradient(last @ params["Wy"] + params["by"], labels)
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
