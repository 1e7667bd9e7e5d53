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
    trainer: str  # a function of autograder.training: trainer(layers, seed) -> accuracy
    threshold: float


Task = ForwardTask | BackwardTask | LossTask | CountTask | QuestionTask | TrainTask


@dataclass(frozen=True)
class Assignment:
    name: str
    letters: tuple[str, ...]
    tasks: tuple[Task, ...]

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
        QuestionTask("zero_init_loss", (Scalar("num_classes", 2, 1000, integer=True),)),
        QuestionTask("preactivation_scale", (Scalar("weight_scale", 0.01, 2.0), Scalar("d_in", 1, 5000, True))),
        QuestionTask("glorot_scale", (Scalar("d_in", 1, 5000, integer=True), Scalar("d_out", 1, 5000, True))),
        QuestionTask("sgd_iterations", (Scalar("num_examples", 1, 100000, integer=True),
                                        Scalar("batch_size", 1, 512, integer=True),
                                        Scalar("epochs", 1, 100, integer=True))),
        QuestionTask("relu_chain_grads", (Arg("W", ("M", "D")), Arg("Z", ("C", "M")), Arg("x", ("D",)))),
        QuestionTask("sigmoid_neuron_grads", (Arg("w", (3,)), Arg("x", (2,)))),
        TrainTask("two_layer_net", ("linear_forward", "linear_backward", "relu_forward", "relu_backward",
                                    "softmax_loss"), "train_two_layer_net", 0.9),
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
        QuestionTask("gradient_growth", (Scalar("eigenvalue", 0.5, 1.5), Scalar("steps", 0, 50, integer=True))),
        TrainTask("sentiment_rnn", ("rnn_forward", "rnn_backward"), "train_sentiment_rnn", 0.9),
    ),
)

ASSIGNMENTS = {a.name: a for a in (BACKPROP, RNN)}
