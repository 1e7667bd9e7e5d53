"""The student multiplied the upstream gradient by the ReLU output max(x, 0) instead of by the 0/1 mask x > 0.

task: relu_backward
misconception: relu-backward-times-input
source: https://example-a.com/answer/51812911 (asker reports that many example ReLU backward passes keep the derivative as x for x > 0 instead of 1)
"""
import numpy as np


def relu_backward(dout, cache):
    x = cache
    dx = dout * np.maximum(x, 0)
    return dx
