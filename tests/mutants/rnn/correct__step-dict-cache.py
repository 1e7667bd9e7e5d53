"""The student used a dictionary as the per-step cache and wrote the sequence functions to read it by key.

task: none
misconception: none
"""
import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(np.dot(x, Wx) + np.dot(h_prev, Wh) + b)
    cache = {'x': x, 'h_prev': h_prev, 'Wx': Wx, 'Wh': Wh, 'h_next': h_next}
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    dtanh = (1 - cache['h_next'] ** 2) * dh_next
    dx = np.dot(dtanh, cache['Wx'].T)
    dh_prev = np.dot(dtanh, cache['Wh'].T)
    dWx = np.dot(cache['x'].T, dtanh)
    dWh = np.dot(cache['h_prev'].T, dtanh)
    db = np.sum(dtanh, axis=0)
    return dx, dh_prev, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[0]))
    caches = []
    h_t = h0
    for t in range(T):
        h_t, c = rnn_step_forward(x[:, t, :], h_t, Wx, Wh, b)
        h[:, t, :] = h_t
        caches.append(c)
    return h, caches


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0]['x'].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dh_t = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dh_t, gWx, gWh, gb = rnn_step_backward(dh[:, t, :] + dh_t, cache[t])
        dWx += gWx
        dWh += gWh
        db += gb
    return dx, dh_t, dWx, dWh, db
