"""The student kept the affine and ReLU caches as dictionaries with named entries.

task: none
misconception: none
"""
import numpy as np


def linear_forward(x, W, b):
    out = x.dot(W) + b
    cache = {'x': x, 'W': W, 'b': b}
    return out, cache


def linear_backward(dout, cache):
    x = cache['x']
    W = cache['W']
    dx = dout.dot(W.T)
    dW = x.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dW, db


def relu_forward(x):
    out = np.maximum(0, x)
    cache = {'x': x, 'out': out}
    return out, cache


def relu_backward(dout, cache):
    dx = dout.copy()
    dx[cache['x'] <= 0] = 0
    return dx
