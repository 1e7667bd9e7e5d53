"""The student looped over the time steps from first to last in the backward pass, so the carried gradient comes from the wrong neighbour.

task: rnn_backward
misconception: bptt-loops-forward-in-time
"""
import numpy as np


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dh_prev = np.zeros((N, H))
    for t in range(T):
        dx[:, t, :], dh_prev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dh_prev, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dh_prev
    return dx, dh0, dWx, dWh, db
