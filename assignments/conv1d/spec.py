"""The conv1d assignment: a 1D convolution with stride and zero padding, max pooling, one step of SGD with
momentum, a conv layer against a dense one on the back of an envelope, and a small CNN trained with the
student's layers to find a motif anywhere in a sequence.

Size letters: N batch, C input channels, W input length, F filters, K kernel width. The stride and padding of a
case come from conv_param (pool_param for pooling), taken in turn so that a few cases cover a stride above 1,
padding and overlapping windows; the output length, which depends on them, is read off the reference. The
points of every check are in grader.toml ([assignments.conv1d.points]), the solutions in reference/conv1d.py.
"""
from autograder.course.tasks import Arg, Assignment, BackwardTask, ForwardTask, Param, QuestionTask, Scalar, TrainTask

from .misconceptions import CATALOGUE
from .training import train_motif_cnn

CONV_PARAMS = ({"stride": 2, "pad": 1}, {"stride": 1, "pad": 2}, {"stride": 3, "pad": 0}, {"stride": 1, "pad": 1})
POOL_PARAMS = ({"pool": 3, "stride": 1}, {"pool": 2, "stride": 2}, {"pool": 4, "stride": 2}, {"pool": 3, "stride": 2})


def _stride_does_not_divide(values: dict) -> bool:
    """A conv_vs_dense case where the floor in 1 + (W + 2P - K) // S matters, and K fits in the padded input."""
    span = values["length"] + 2 * values["pad"] - values["kernel"]
    return span >= 0 and span % values["stride"] != 0


ASSIGNMENT = Assignment(
    name="conv1d",
    letters=("N", "C", "W", "F", "K"),
    sizes={"W": (10, 16), "K": (2, 5)},  # the widest kernel fits the shortest input, with any padding
    tasks=(
        ForwardTask("conv1d_forward",
                    (Arg("x", ("N", "C", "W")), Arg("w", ("F", "C", "K")), Arg("b", ("F",)),
                     Param("conv_param", CONV_PARAMS)),
                    "(N, F, 1 + (W + 2P - K) // S)"),
        BackwardTask("conv1d_backward", "conv1d_forward", "dout"),
        ForwardTask("maxpool1d_forward",
                    (Arg("x", ("N", "C", "W"), "well_separated"), Param("pool_param", POOL_PARAMS)),
                    "(N, C, 1 + (W - K) // S)"),
        BackwardTask("maxpool1d_backward", "maxpool1d_forward", "dout", single=True),
        QuestionTask("sgd_momentum",
                     (Arg("w", ("F", "C", "K")), Arg("dw", ("F", "C", "K")), Arg("v", ("F", "C", "K")),
                      Scalar("learning_rate", 0.001, 1.0), Scalar("momentum", 0.0, 0.99)),
                     inputs_unchanged=True),
        QuestionTask("conv_vs_dense",
                     (Scalar("length", 16, 2000, integer=True), Scalar("channels", 1, 16, integer=True),
                      Scalar("filters", 1, 64, integer=True), Scalar("kernel", 1, 15, integer=True),
                      Scalar("stride", 2, 4, integer=True), Scalar("pad", 0, 7, integer=True)),
                     requires=_stride_does_not_divide),
        TrainTask("motif_cnn", ("conv1d_forward", "conv1d_backward", "maxpool1d_forward", "maxpool1d_backward",
                                "sgd_momentum"), train_motif_cnn, 0.9),
    ),
    catalogue=CATALOGUE,
)
