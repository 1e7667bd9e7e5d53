"""The student counted a single affine layer from the input size straight to the output size and ignored the hidden layers.

task: count_params
misconception: counts-only-one-layer
"""
import numpy as np


def count_params(layer_dims, bias=True):
    d_in, d_out = layer_dims[0], layer_dims[-1]
    total = d_in * d_out
    if bias:
        total += d_out
    return total
