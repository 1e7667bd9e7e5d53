"""The student wrote ReLU with np.where and cached the boolean mask instead of the input.

task: none
misconception: none
"""
import numpy as np


def relu_forward(x):
    mask = x > 0
    out = np.where(mask, x, 0.0)
    return out, mask


def relu_backward(dout, cache):
    mask = cache
    dx = np.where(mask, dout, 0.0)
    return dx
