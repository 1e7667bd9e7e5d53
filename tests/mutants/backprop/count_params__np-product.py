"""The student multiplies each weight matrix's shape with np.product, which NumPy 2.0 removed (np.prod stays).
The count is right under NumPy 1.x and raises AttributeError under NumPy 2: the feedback must name the removal.

task: count_params
misconception: removed-numpy-name
source: https://numpy.org/doc/stable/release/1.25.0-notes.html (np.product deprecated for np.prod, gone in NumPy 2.0; issue 10's real student files use it and score under NumPy 1.26 what they lose under 2.4)
"""
import numpy as np


def count_params(layer_dims, bias=True):
    total = 0
    for fan_in, fan_out in zip(layer_dims[:-1], layer_dims[1:]):
        total += int(np.product((fan_in, fan_out)))
        if bias:
            total += fan_out
    return total
