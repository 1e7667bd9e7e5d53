"""The student passed the upstream gradient straight through ReLU without zeroing it where the input was negative.

task: relu_backward
misconception: relu-backward-no-mask
"""
import numpy as np


def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    return dx
