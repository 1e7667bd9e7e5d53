"""The student cleared the upstream gradient in place after using it, as if zeroing a gradient buffer, so the returned gradients are right but the caller's dout is overwritten.

task: linear_backward
misconception: mutates-dout-in-place
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    # reset the gradient so it does not accumulate on the next call
    dout *= 0
    return dx, dW, db
