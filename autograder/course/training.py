"""What the trainers of trained-model tasks are written with: chains of calls of the student's functions.

An assignment's trainer (in its folder, e.g. assignments/<name>/training.py) takes `layers` and a seed and
returns a test accuracy. The same code runs in a student's notebook (with the plain functions) and in the
grader, where every layer call goes through the worker (`remote_executor`). The student's layers compute every
training step (forward, loss, backward); a trainer evaluates the trained parameters on the test set with its own
forward pass in plain numpy, never with the student's code, so the accuracy measures what their layers trained
and not what their forward returns (a forward that reads the answer out of its input trains nothing).
Datasets are generated from a seed or read from files shipped in the repository: nothing is downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from autograder.sandbox.wire import Ref, follow

__all__ = ["Adam", "Call", "Executor", "Ref", "executor", "local_executor", "softmax_gradient"]


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


def executor(layers: Mapping[str, Callable[..., Any]] | Executor) -> Executor:
    """`layers` as an executor: a mapping of plain functions runs here, an executor is used as it is."""
    return layers if callable(layers) and not isinstance(layers, Mapping) else local_executor(layers)


def softmax_gradient(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Gradient of the mean softmax cross-entropy of `scores` (N, C), computed by the harness, not the student."""
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    probs[np.arange(len(labels)), labels] -= 1
    return probs / len(labels)



class Adam:
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
