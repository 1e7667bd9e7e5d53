"""The student wrote the time loop inline and left the bias b out of the pre-activation.

task: rnn_forward
misconception: forgets-bias
"""
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    cache = []
    h_prev = h0
    for t in range(T):
        x_t = x[:, t, :]
        h_next = np.tanh(x_t @ Wx + h_prev @ Wh)
        cache.append((x_t, h_prev, Wx, Wh, h_next))
        h[:, t, :] = h_next
        h_prev = h_next
    return h, cache
