"""Off by one step: the student wrote h[:, t] before updating the state, so h holds h0, h1, ..., h_{T-1} instead of h1, ..., h_T.

task: rnn_forward
misconception: stores-previous-state
"""
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    cache = []
    h_prev = h0
    for t in range(T):
        h[:, t, :] = h_prev
        h_prev, step_cache = rnn_step_forward(x[:, t, :], h_prev, Wx, Wh, b)
        cache.append(step_cache)
    return h, cache
