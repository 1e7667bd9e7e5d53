"""The student treated the RNN as many-to-one and backpropagated only the upstream gradient of the last hidden state, ignoring dh at the earlier steps.

task: rnn_backward
misconception: bptt-only-last-step-gradient
"""
import numpy as np


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dh_carry = dh[:, -1, :]
    for t in reversed(range(T)):
        dx[:, t, :], dh_carry, dWx_t, dWh_t, db_t = rnn_step_backward(dh_carry, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_carry, dWx, dWh, db
