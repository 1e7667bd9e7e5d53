"""The student multiplied the upstream gradient by W itself rather than by its transpose when computing dx.

task: linear_backward
misconception: missing-transpose
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    dx = dout @ W
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db
