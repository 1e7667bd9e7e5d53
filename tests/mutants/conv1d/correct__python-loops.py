"""The student wrote every layer with explicit Python loops over examples, filters, channels and positions.

task: none
misconception: none
"""
import numpy as np


def conv1d_forward(x, w, b, conv_param):
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, K = w.shape
    xp = np.zeros((N, C, W + 2 * P))
    xp[:, :, P:P + W] = x
    W_out = (W + 2 * P - K) // S + 1
    out = np.zeros((N, F, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(W_out):
                total = b[f]
                for c in range(C):
                    for k in range(K):
                        total += w[f, c, k] * xp[n, c, i * S + k]
                out[n, f, i] = total
    return out, (x, w, b, conv_param)


def conv1d_backward(dout, cache):
    x, w, b, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, K = w.shape
    xp = np.zeros((N, C, W + 2 * P))
    xp[:, :, P:P + W] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                g = dout[n, f, i]
                db[f] += g
                for c in range(C):
                    for k in range(K):
                        dw[f, c, k] += g * xp[n, c, i * S + k]
                        dxp[n, c, i * S + k] += g * w[f, c, k]
    return dxp[:, :, P:P + W], dw, db


def maxpool1d_forward(x, pool_param):
    K, S = pool_param["pool"], pool_param["stride"]
    N, C, W = x.shape
    W_out = (W - K) // S + 1
    out = np.zeros((N, C, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(W_out):
                out[n, c, i] = max(x[n, c, i * S:i * S + K])
    return out, (x, pool_param)


def maxpool1d_backward(dout, cache):
    x, pool_param = cache
    K, S = pool_param["pool"], pool_param["stride"]
    N, C, W = x.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                best = i * S
                for j in range(i * S, i * S + K):
                    if x[n, c, j] > x[n, c, best]:
                        best = j
                dx[n, c, best] += dout[n, c, i]
    return dx


def sgd_momentum(w, dw, v, learning_rate, momentum):
    next_v = np.empty_like(v)
    next_w = np.empty_like(w)
    for index in np.ndindex(w.shape):
        next_v[index] = momentum * v[index] - learning_rate * dw[index]
        next_w[index] = w[index] + next_v[index]
    return next_w, next_v
