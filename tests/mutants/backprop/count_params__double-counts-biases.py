"""The student used the (d_in + 1) * d_out trick that already includes the bias row and then added d_out biases again.

task: count_params
misconception: double-counts-biases
"""
import numpy as np


def count_params(layer_dims, bias=True):
    total = 0
    for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]):
        if bias:
            total += (d_in + 1) * d_out + d_out
        else:
            total += d_in * d_out
    return total
