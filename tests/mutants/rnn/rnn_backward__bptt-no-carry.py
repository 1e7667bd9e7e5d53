"""The student backpropagated each time step using only its own upstream gradient dh[:, t] and dropped the gradient flowing back from step t+1.

task: rnn_backward
misconception: bptt-no-carry
source: https://community.deeplearning.ai/t/week-1-assignment-1-backpropagation/15940 (student asks why rnn_backward cannot just pass da[:,:,t] to the cell; replies explain that da_prevt from the later step must be added)
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
        dx_t, dh_prev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :], cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dh_prev
    return dx, dh0, dWx, dWh, db
