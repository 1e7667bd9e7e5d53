"""The student wrote backprop through time entirely inline, without calling rnn_step_backward.

task: none
misconception: none
"""
import numpy as np


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dh0 = np.zeros((N, H))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    for t in reversed(range(T)):
        x_t, h_prev, Wx, Wh, h_t = cache[t]
        g = dh[:, t, :] + dh0
        da = g * (1 - h_t * h_t)
        dx[:, t, :] = da.dot(Wx.T)
        dWx += x_t.T.dot(da)
        dWh += h_prev.T.dot(da)
        db += da.sum(axis=0)
        dh0 = da.dot(Wh.T)
    return dx, dh0, dWx, dWh, db
