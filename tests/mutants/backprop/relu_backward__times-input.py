"""The student multiplied the upstream gradient by the ReLU output max(x, 0) instead of by the 0/1 mask x > 0.

task: relu_backward
misconception: relu-backward-times-input
"""
import numpy as np


def relu_backward(dout, cache):
    x = cache
    dx = dout * np.maximum(x, 0)
    return dx
