"""The student summed over the batch with keepdims=True, so the bias gradient comes back as a (1, M) row instead of a (M,) vector.

task: linear_backward
misconception: db-keepdims-shape
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    dx = dout @ W.T
    dW = x.T @ dout
    db = np.sum(dout, axis=0, keepdims=True)
    return dx, dW, db
