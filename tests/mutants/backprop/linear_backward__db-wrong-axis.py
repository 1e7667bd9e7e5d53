"""The student summed the upstream gradient along the output axis, so the bias gradient has one entry per example.

task: linear_backward
misconception: db-summed-wrong-axis
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    dx = dout @ W.T
    dW = x.T @ dout
    db = np.sum(dout, axis=1)
    return dx, dW, db
