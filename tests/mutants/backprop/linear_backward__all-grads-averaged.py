"""The student divided every gradient by the batch size "to average", although dout already carries the loss's 1/N.

task: linear_backward
misconception: every-gradient-divided-by-N
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    n = x.shape[0]
    dx = dout @ W.T / n
    dW = x.T @ dout / n
    db = dout.sum(axis=0) / n
    return dx, dW, db
