"""The student backpropagated dh_next straight into the affine part of the step and left out the tanh derivative.

task: rnn_step_backward
misconception: missing-tanh-derivative
"""
import numpy as np


def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db
