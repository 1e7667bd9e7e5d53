"""The student stored the affine layer's cache in a small class instance with attributes instead of a tuple.

task: none
misconception: none
"""
import numpy as np


class LinearCache:
    """What the affine layer remembers for the backward pass."""

    def __init__(self, x, W):
        self.x = x
        self.W = W

    @property
    def batch_size(self):
        return self.x.shape[0]


def linear_forward(x, W, b):
    out = np.matmul(x, W) + b
    return out, LinearCache(x, W)


def linear_backward(dout, cache):
    dx = np.matmul(dout, cache.W.T)
    dW = np.matmul(cache.x.T, dout)
    db = dout.sum(axis=0)
    assert db.shape == (cache.W.shape[1],)
    return dx, dW, db
