"""The student took the mean of the upstream gradient over the batch for the bias gradient instead of summing it.

task: linear_backward
misconception: db-averaged-not-summed
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    dx = dout @ W.T
    dW = x.T @ dout
    # average over the batch, like the loss
    db = np.mean(dout, axis=0)
    return dx, dW, db
