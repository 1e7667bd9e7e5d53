"""What each assignment asks for, as data: task ids, input shapes and how inputs are drawn.

A task id is the name of the student's function. Shapes are written with size letters (N batch, D input,
M output, C classes, H hidden, T time) that `cases.draw_sizes` fills with pairwise different values, so a
missing transpose can never hide behind a square matrix.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arg:
    """One array input: its name, shape in size letters, and how its values are drawn (see `cases.draw_arg`)."""

    name: str
    shape: tuple[str, ...]
    draw: str = "normal"


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


Task = ForwardTask | BackwardTask | LossTask | CountTask


@dataclass(frozen=True)
class Assignment:
    name: str
    letters: tuple[str, ...]
    tasks: tuple[Task, ...]

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
}

BACKPROP = Assignment(
    name="backprop",
    letters=("N", "D", "M", "C"),
    tasks=(
        ForwardTask("linear_forward", (Arg("x", ("N", "D")), Arg("W", ("D", "M"), "weight"), Arg("b", ("M",))),
                    ("N", "M")),
        BackwardTask("linear_backward", "linear_forward", "dout"),
        ForwardTask("relu_forward", (Arg("x", ("N", "D"), "away_from_zero"),), ("N", "D")),
        BackwardTask("relu_backward", "relu_forward", "dout", single=True),
        LossTask("softmax_loss", (Arg("scores", ("N", "C"), "scores"), Arg("y", ("N",), "labels:C"))),
        CountTask("count_params"),
    ),
)

RNN = Assignment(
    name="rnn",
    letters=("N", "T", "D", "H"),
    tasks=(
        ForwardTask("rnn_step_forward",
                    (Arg("x", ("N", "D")), Arg("h_prev", ("N", "H")), Arg("Wx", ("D", "H"), "weight"),
                     Arg("Wh", ("H", "H"), "weight"), Arg("b", ("H",), "small")),
                    ("N", "H")),
        BackwardTask("rnn_step_backward", "rnn_step_forward", "dh_next"),
        ForwardTask("rnn_forward",
                    (Arg("x", ("N", "T", "D")), Arg("h0", ("N", "H")), Arg("Wx", ("D", "H"), "weight"),
                     Arg("Wh", ("H", "H"), "weight"), Arg("b", ("H",), "small")),
                    ("N", "T", "H")),
        BackwardTask("rnn_backward", "rnn_forward", "dh"),
    ),
)

ASSIGNMENTS = {a.name: a for a in (BACKPROP, RNN)}
