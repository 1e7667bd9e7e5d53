"""The student gave every layer a bias per input unit (d_in) instead of per output unit (d_out).

task: count_params
misconception: bias-sized-by-input
"""
import numpy as np


def count_params(layer_dims, bias=True):
    total = 0
    for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]):
        total += d_in * d_out
        if bias:
            total += d_in
    return total
