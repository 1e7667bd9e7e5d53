"""The student unpacked each step's weight and bias gradients straight into dWx, dWh and db, so every step overwrites them and only the first time step's gradients survive.

task: rnn_backward
misconception: overwrite-not-accumulate
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
    for t in reversed(range(T)):
        dx[:, t, :], dh_prev, dWx, dWh, db = rnn_step_backward(dh[:, t, :] + dh_prev, cache[t])
    dh0 = dh_prev
    return dx, dh0, dWx, dWh, db
