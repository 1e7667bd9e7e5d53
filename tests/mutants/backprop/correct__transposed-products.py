"""The student thinks in column vectors: out^T = W^T x^T, and dW^T = dout^T x, transposed back at the end.

task: none
misconception: none
"""
import numpy as np


def linear_forward(x, W, b):
    out = (W.T @ x.reshape(x.shape[0], -1).T).T + b
    return out, (x, W)


def linear_backward(dout, cache):
    x, W = cache
    dx = (W @ dout.T).T
    dW = (dout.T @ x).T
    db = np.ones(dout.shape[0]) @ dout
    return dx, dW, db
