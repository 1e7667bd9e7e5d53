"""The student matched dh_prev's product but wrote dx = da @ Wx, forgetting that Wx maps D to H and must be transposed on the way back.

task: rnn_step_backward
misconception: missing-transpose
"""
import numpy as np


def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next ** 2)
    dx = da @ Wx
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    return dx, dh_prev, dWx, dWh, db
