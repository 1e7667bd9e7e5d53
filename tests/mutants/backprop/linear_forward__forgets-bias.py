"""The student computed only the matrix product in the affine forward pass and never added the bias.

task: linear_forward
misconception: forgets-bias
"""
import numpy as np


def linear_forward(x, W, b):
    out = np.dot(x, W)
    cache = (x, W)
    return out, cache
