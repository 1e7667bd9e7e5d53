"""The student cached the whole input and hidden-state arrays, looped only to carry the gradient back in time, and then computed the weight gradients for all steps at once with einsum.

task: none
misconception: none
"""
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev = h0
    for t in range(T):
        prev = np.tanh(x[:, t, :] @ Wx + prev @ Wh + b)
        h[:, t, :] = prev
    cache = (x, h0, Wx, Wh, h)
    return h, cache


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, H = dh.shape
    h_prevs = np.concatenate([h0[:, None, :], h[:, :-1, :]], axis=1)
    da = np.zeros((N, T, H))
    carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da[:, t, :] = (dh[:, t, :] + carry) * (1 - h[:, t, :] ** 2)
        carry = da[:, t, :] @ Wh.T
    dx = np.einsum('nth,dh->ntd', da, Wx)
    dWx = np.einsum('ntd,nth->dh', x, da)
    dWh = np.einsum('ntk,nth->kh', h_prevs, da)
    db = da.sum(axis=(0, 1))
    return dx, carry, dWx, dWh, db
