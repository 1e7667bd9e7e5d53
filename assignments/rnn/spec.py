"""The rnn assignment: a vanilla tanh RNN step and backprop through time, exploding and vanishing gradients,
and a sentiment classifier trained with the student's RNN.

Size letters: N batch, T time steps, D input, H hidden. The points of every check are in grader.toml
([assignments.rnn.points]), the solutions in reference/rnn.py.
"""
from autograder.course.tasks import Arg, Assignment, BackwardTask, ForwardTask, QuestionTask, Scalar, TrainTask

from .misconceptions import CATALOGUE
from .training import train_sentiment_rnn

ASSIGNMENT = Assignment(
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
        TrainTask("sentiment_rnn", ("rnn_forward", "rnn_backward"), train_sentiment_rnn, 0.9),
    ),
    catalogue=CATALOGUE,
)
