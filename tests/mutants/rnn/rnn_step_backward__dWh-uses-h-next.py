"""The student built the recurrent weight gradient from the new hidden state h_next instead of the previous one h_prev.

task: rnn_step_backward
misconception: dWh-wrong-hidden-state
"""
import numpy as np


def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next ** 2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_next.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db
