"""The student kept the sequence cache as a dictionary of per-step lists plus the shared weights, and rebuilt each step's tuple in the backward pass.

task: none
misconception: none
"""
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.empty((N, T, H))
    cache = {'xs': [], 'h_prevs': [], 'h_nexts': [], 'Wx': Wx, 'Wh': Wh}
    h_t = h0
    for t in range(T):
        cache['xs'].append(x[:, t, :])
        cache['h_prevs'].append(h_t)
        h_t, _ = rnn_step_forward(x[:, t, :], h_t, Wx, Wh, b)
        cache['h_nexts'].append(h_t)
        h[:, t, :] = h_t
    return h, cache


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache['Wx'].shape[0]
    dx = np.empty((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        step = (cache['xs'][t], cache['h_prevs'][t], cache['Wx'], cache['Wh'], cache['h_nexts'][t])
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dh_next, step)
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db
