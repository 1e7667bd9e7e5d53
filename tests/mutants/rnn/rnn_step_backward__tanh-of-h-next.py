"""The student used 1 - tanh(h_next)**2 as the tanh derivative, applying tanh a second time to a value that is already tanh of the pre-activation.

task: rnn_step_backward
misconception: tanh-derivative-of-output
"""
import numpy as np


def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - np.tanh(h_next) ** 2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db
