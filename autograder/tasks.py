"""The kinds of task an assignment is made of, as data: task ids, input shapes and how inputs are drawn.

An assignment declares its tasks with these kinds in its own folder (assignments/<name>/spec.py); the
package knows no assignment. A task id is the name of the student's function. Shapes are written with size
letters (e.g. N batch, D input, M output) that `cases.draw_cases` fills with pairwise different values, so a
missing transpose can never hide behind a square matrix.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence


@dataclass(frozen=True)
class Arg:
    """One array input: its name, shape in size letters, and how its values are drawn (see `cases.draw_arg`)."""

    name: str
    shape: tuple[str | int, ...]
    draw: str = "normal"


@dataclass(frozen=True)
class Scalar:
    """One number input drawn uniformly from [low, high] (an int when `integer`)."""

    name: str
    low: float
    high: float
    integer: bool = False


@dataclass(frozen=True)
class ForwardTask:
    """`name(*inputs) -> (out, cache)`."""

    name: str
    inputs: tuple[Arg, ...]
    output: tuple[str, ...]


@dataclass(frozen=True)
class BackwardTask:
    """`name(dout, cache) -> grads`, the gradients of `forward`'s inputs in order (one bare array if `single`)."""

    name: str
    forward: str
    upstream: str
    single: bool = False


@dataclass(frozen=True)
class LossTask:
    """`name(scores, labels) -> (loss, dscores)` with loss the mean over the batch."""

    name: str
    inputs: tuple[Arg, ...]


@dataclass(frozen=True)
class CountTask:
    """`name(layer_dims, bias) -> int`, the parameter count of a fully connected net."""

    name: str


@dataclass(frozen=True)
class QuestionTask:
    """A back-of-the-envelope question answered by a function of its parameters, checked at random values
    against the reference, so a number copied from a neighbour does not pass."""

    name: str
    inputs: tuple[Arg | Scalar, ...]


@dataclass(frozen=True)
class TrainTask:
    """Train a model built from the student's own layers (`uses`) in the harness; graded on test accuracy."""

    name: str
    uses: tuple[str, ...]
    trainer: Callable[..., float]  # trainer(layers, seed=...) -> test accuracy (see autograder.training)
    threshold: float


Task = ForwardTask | BackwardTask | LossTask | CountTask | QuestionTask | TrainTask


@dataclass(frozen=True)
class Assignment:
    """An assignment: its size letters, its tasks in the order they are graded, and its catalogue of
    misconceptions (task id -> entries, see autograder.misconceptions)."""

    name: str
    letters: tuple[str, ...]
    tasks: tuple[Task, ...]
    catalogue: Mapping[str, Sequence[Any]] = field(default_factory=dict, hash=False, compare=False)

    def function_names(self) -> list[str]:
        """Every student function the tasks call."""
        names: list[str] = []
        for task in self.tasks:
            for name in task.uses if isinstance(task, TrainTask) else (task.name,):
                if name not in names:
                    names.append(name)
        return names

    def task(self, name: str) -> Task:
        return next(t for t in self.tasks if t.name == name)

    def check_names(self, task: Task) -> tuple[str, ...]:
        """The checks a task is graded on, each with its own points in grader.toml."""
        return CHECKS[type(task)]


CHECKS = {
    ForwardTask: ("structure", "values", "inputs_unchanged"),
    BackwardTask: ("structure", "values", "gradcheck", "inputs_unchanged"),
    LossTask: ("structure", "loss", "gradient", "gradcheck", "stability", "inputs_unchanged"),
    CountTask: ("with_bias", "without_bias"),
    QuestionTask: ("values",),
    TrainTask: ("accuracy",),
}
