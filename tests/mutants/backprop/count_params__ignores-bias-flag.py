"""The student always adds the biases and never looks at the bias argument.

task: count_params
misconception: ignores-bias-flag
"""


def count_params(layer_dims, bias=True):
    return sum(d_in * d_out + d_out for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]))
