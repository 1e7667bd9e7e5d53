"""The student counted the parameters with a single sum over a generator of per-layer counts.

task: none
misconception: none
"""
import numpy as np


def count_params(layer_dims, bias=True):
    dims = list(layer_dims)
    return sum(a * b + (b if bias else 0) for a, b in zip(dims, dims[1:]))
