"""The student gathered every window with an index array and wrote the convolution and its gradients with np.einsum.

task: none
misconception: none
"""
import numpy as np


def _window_index(W_out, K, S):
    return np.arange(W_out)[:, None] * S + np.arange(K)[None, :]  # (W_out, K)


def conv1d_forward(x, w, b, conv_param):
    S, P = conv_param["stride"], conv_param["pad"]
    K = w.shape[2]
    xp = np.pad(x, [(0, 0), (0, 0), (P, P)])
    W_out = (xp.shape[2] - K) // S + 1
    windows = xp[:, :, _window_index(W_out, K, S)]  # (N, C, W_out, K)
    out = np.einsum("ncik,fck->nfi", windows, w) + b[None, :, None]
    return out, (windows, w, x.shape, conv_param)


def conv1d_backward(dout, cache):
    windows, w, x_shape, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, W = x_shape
    K = w.shape[2]
    dw = np.einsum("nfi,ncik->fck", dout, windows)
    db = np.einsum("nfi->f", dout)
    dwindows = np.einsum("nfi,fck->ncik", dout, w)
    dxp = np.zeros((N, C, W + 2 * P))
    index = _window_index(dout.shape[2], K, S)
    for k in range(K):
        for i in range(dout.shape[2]):
            dxp[:, :, index[i, k]] += dwindows[:, :, i, k]
    return dxp[:, :, P:P + W], dw, db


def maxpool1d_forward(x, pool_param):
    K, S = pool_param["pool"], pool_param["stride"]
    W_out = (x.shape[2] - K) // S + 1
    out = x[:, :, _window_index(W_out, K, S)].max(axis=3)
    return out, (x, pool_param)


def maxpool1d_backward(dout, cache):
    x, pool_param = cache
    K, S = pool_param["pool"], pool_param["stride"]
    index = _window_index(dout.shape[2], K, S)
    windows = x[:, :, index]  # (N, C, W_out, K)
    onehot = np.eye(K)[np.argmax(windows, axis=3)]  # (N, C, W_out, K)
    routed = np.einsum("nci,ncik->ncik", dout, onehot)
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        dx[:, :, index[i]] += routed[:, :, i]
    return dx
