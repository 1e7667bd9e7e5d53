"""The student averaged the bias gradient over the batch instead of summing it.

task: rnn_step_backward
misconception: db-averaged-not-summed
"""
import numpy as np


def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next ** 2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = np.mean(da, axis=0)
    return dx, dh_prev, dWx, dWh, db
