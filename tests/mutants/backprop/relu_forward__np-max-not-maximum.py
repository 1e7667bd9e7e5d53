"""The student called np.max(x, 0) instead of np.maximum(x, 0), which takes the column maximum over axis 0 instead of clipping elementwise.

task: relu_forward
misconception: np-max-instead-of-maximum
"""
import numpy as np


def relu_forward(x):
    out = np.max(x, 0)
    cache = x
    return out, cache
