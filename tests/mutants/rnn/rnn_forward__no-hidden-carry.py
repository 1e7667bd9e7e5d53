"""The student fed h0 into every time step instead of the hidden state produced by the previous step.

task: rnn_forward
misconception: forward-no-hidden-carry
"""
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = []
    for t in range(T):
        h_t, c = rnn_step_forward(x[:, t, :], h0, Wx, Wh, b)
        h[:, t, :] = h_t
        cache.append(c)
    return h, cache
