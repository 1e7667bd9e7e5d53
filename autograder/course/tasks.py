"""The kinds of task an assignment is made of, as data: task ids, input shapes and how inputs are drawn.

An assignment declares its tasks with these kinds in its own folder (assignments/<name>/spec.py); the
package knows no assignment. A task id is the name of the student's function. Shapes are written with size
letters (e.g. N batch, D input, M output) that `cases.draw_cases` fills with pairwise different values, so a
missing transpose can never hide behind a square matrix.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence, Union


@dataclass(frozen=True)
class Arg:
    """One array input: its name, shape in size letters, and how its values are drawn (see `cases.draw_arg`)."""

    name: str
    shape: tuple[str | int, ...]
    draw: str = "normal"
    # a forward that updates it in place (a running mean) is right: the update is checked against the
    # reference's, and it is neither checked for being unchanged nor a gradient of the backward
    updated: bool = False


@dataclass(frozen=True)
class Scalar:
    """One number input drawn uniformly from [low, high] (an int when `integer`)."""

    name: str
    low: float
    high: float
    integer: bool = False


@dataclass(frozen=True)
class Param:
    """A dict input such as conv_param = {"stride": S, "pad": P}, taken in turn from `options` (case i gets
    option i - 1, cycling), so a few cases are sure to cover every option (a stride above 1, some padding).
    Never nudged by a gradient check, and not one of the gradients a backward returns."""

    name: str
    options: tuple[Mapping[str, Any], ...]

    def __post_init__(self) -> None:  # kept as tuples of pairs: hashable, so drawn inputs can be cached
        object.__setattr__(self, "options", tuple(tuple(dict(option).items()) for option in self.options))

    def option(self, case_number: int) -> dict[str, Any]:
        return dict(self.options[(case_number - 1) % len(self.options)])


Input = Union[Arg, Scalar, Param]


@dataclass(frozen=True)
class ForwardTask:
    """`name(*inputs) -> (out, cache)`. `output` is out's shape in size letters, or, where it depends on the
    parameters (a convolution's length), a description such as "(N, F, 1 + (W + 2P - K) // S)": the grader
    takes the shape from the reference's output."""

    name: str
    inputs: tuple[Input, ...]
    output: tuple[str | int, ...] | str

    def arrays(self) -> list[int]:
        """The positions of the array inputs: those a backward returns gradients of."""
        return [i for i, spec in enumerate(self.inputs) if isinstance(spec, Arg) and not spec.updated]

    def updated(self) -> list[int]:
        """The positions of the inputs the forward updates in place, as it should (running statistics)."""
        return [i for i, spec in enumerate(self.inputs) if isinstance(spec, Arg) and spec.updated]

    def output_text(self) -> str:
        return self.output if isinstance(self.output, str) else f"({', '.join(map(str, self.output))})"


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
    against the reference, so a number copied from a neighbour does not pass. The answer may be a number or
    a tuple of numbers or arrays (an update step). `requires` keeps only the draws it accepts (say, a length
    the stride does not divide); `inputs_unchanged` adds that check, for a function of arrays."""

    name: str
    inputs: tuple[Input, ...]
    requires: Callable[[dict[str, Any]], bool] | None = None
    inputs_unchanged: bool = False


@dataclass(frozen=True)
class TrainTask:
    """Train a model built from the student's own layers (`uses`) in the harness; graded on test accuracy."""

    name: str
    uses: tuple[str, ...]
    trainer: Callable[..., float]  # trainer(layers, seed=...) -> test accuracy (see autograder.course.training)
    threshold: float


Task = ForwardTask | BackwardTask | LossTask | CountTask | QuestionTask | TrainTask


@dataclass(frozen=True)
class Assignment:
    """An assignment: its size letters, its tasks in the order they are graded, and its catalogue of
    misconceptions (task id -> entries, see autograder.diagnosis.misconceptions)."""

    name: str
    letters: tuple[str, ...]
    tasks: tuple[Task, ...]
    catalogue: Mapping[str, Sequence[Any]] = field(default_factory=dict, hash=False, compare=False)
    # letter -> (lowest, highest) where the default range of sizes does not fit (a kernel shorter than the
    # sequence it slides over); sizes stay pairwise different wherever the ranges allow it
    sizes: Mapping[str, tuple[int, int]] = field(default_factory=dict, hash=False, compare=False)

    def function_names(self) -> list[str]:
        """Every student function the tasks call."""
        names: list[str] = []
        for task in self.tasks:
            for name in task.uses if isinstance(task, TrainTask) else (task.name,):
                if name not in names:
                    names.append(name)
        return names

    def task(self, name: str) -> Task:
        """The task called `name`; a typo is a LookupError that suggests the closest name and lists the tasks."""
        for task in self.tasks:
            if task.name == name:
                return task
        names = [t.name for t in self.tasks]
        close = difflib.get_close_matches(str(name), names, n=1)
        guess = f"; did you mean {close[0]!r}?" if close else "."
        raise LookupError(f"No task named {name!r}{guess} The tasks of {self.name}: {', '.join(names)}.")

    def check_names(self, task: Task) -> tuple[str, ...]:
        """The checks a task is graded on, each with its own points in grader.toml."""
        if isinstance(task, QuestionTask) and task.inputs_unchanged:
            return CHECKS[QuestionTask] + ("inputs_unchanged",)
        return CHECKS[type(task)]


CHECKS = {
    ForwardTask: ("structure", "values", "inputs_unchanged"),
    BackwardTask: ("structure", "values", "gradcheck", "inputs_unchanged"),
    LossTask: ("structure", "loss", "gradient", "gradcheck", "stability", "inputs_unchanged"),
    CountTask: ("with_bias", "without_bias"),
    QuestionTask: ("values",),
    TrainTask: ("accuracy",),
}
