"""The backprop assignment: an affine layer, ReLU, softmax cross-entropy, back-of-the-envelope questions and a
two-layer net trained with the student's own layers.

Size letters: N batch, D input, M output, C classes. The points of every check are in grader.toml
([assignments.backprop.points]), the solutions in reference/backprop.py.
"""
from autograder.course.tasks import (
    Arg,
    Assignment,
    BackwardTask,
    CountTask,
    ForwardTask,
    LossTask,
    QuestionTask,
    Scalar,
    TrainTask,
)

from .misconceptions import CATALOGUE
from .training import train_two_layer_net

ASSIGNMENT = Assignment(
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
                                    "softmax_loss"), train_two_layer_net, 0.9),
    ),
    catalogue=CATALOGUE,
)
