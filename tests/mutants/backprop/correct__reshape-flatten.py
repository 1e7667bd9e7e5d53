"""The student flattened the input with x.reshape(N, -1) in the affine layer, as for image batches, and reshaped dx back to x's shape.

task: none
misconception: none
"""
import numpy as np


def linear_forward(x, W, b):
    n = x.shape[0]
    x_flat = x.reshape(n, -1)
    out = x_flat @ W + b
    cache = (x, W)
    return out, cache


def linear_backward(dout, cache):
    x, W = cache
    n = x.shape[0]
    x_flat = x.reshape(n, -1)
    dx = (dout @ W.T).reshape(x.shape)
    dW = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
