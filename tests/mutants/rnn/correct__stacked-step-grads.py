"""The student collected every step's parameter gradients in lists and summed them with np.sum at the end.

task: none
misconception: none
"""
import numpy as np


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    dxs, dWxs, dWhs, dbs = [], [], [], []
    carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        dx_t, carry, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + carry, cache[t])
        dxs.append(dx_t)
        dWxs.append(dWx_t)
        dWhs.append(dWh_t)
        dbs.append(db_t)
    dx = np.stack(dxs[::-1], axis=1)
    return dx, carry, np.sum(dWxs, axis=0), np.sum(dWhs, axis=0), np.sum(dbs, axis=0)
