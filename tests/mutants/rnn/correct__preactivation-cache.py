"""The student cached the pre-activation instead of h_next and recomputed the tanh derivative from it in the backward step.

task: none
misconception: none
"""
import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    h_next = np.tanh(a)
    cache = (x, h_prev, Wx, Wh, a)
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, a = cache
    da = dh_next * (1.0 - np.tanh(a) ** 2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = np.sum(da, axis=0)
    return dx, dh_prev, dWx, dWh, db
