"""The student wrote the affine layer's forward and backward passes with np.einsum.

task: none
misconception: none
"""
import numpy as np


def linear_forward(x, W, b):
    out = np.einsum('nd,dm->nm', x, W) + b[None, :]
    cache = (x, W)
    return out, cache


def linear_backward(dout, cache):
    x, W = cache
    dx = np.einsum('nm,dm->nd', dout, W)
    dW = np.einsum('nd,nm->dm', x, dout)
    db = np.einsum('nm->m', dout)
    return dx, dW, db
