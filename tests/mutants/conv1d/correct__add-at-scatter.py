"""The student scattered every gradient with np.add.at on index arrays instead of looping over the windows.

task: none
misconception: none
"""
import numpy as np


def conv1d_backward(dout, cache):
    x, w, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, K = w.shape
    W_out = dout.shape[2]
    positions = (np.arange(W_out)[:, None] * S + np.arange(K)[None, :]).ravel()  # (W_out * K,)
    xp = np.pad(x, ((0, 0), (0, 0), (P, P)))
    windows = xp[:, :, positions].reshape(N, C, W_out, K)
    dw = np.einsum("nfi,ncik->fck", dout, windows)
    db = dout.sum(axis=(0, 2))
    dwindows = np.einsum("nfi,fck->ncik", dout, w).reshape(N, C, W_out * K)
    dxp = np.zeros_like(xp)
    np.add.at(dxp, (slice(None), slice(None), positions), dwindows)
    return dxp[:, :, P:P + W], dw, db


def maxpool1d_backward(dout, cache):
    x, pool_param = cache
    K, S = pool_param["pool"], pool_param["stride"]
    N, C, W = x.shape
    W_out = dout.shape[2]
    starts = np.arange(W_out) * S
    windows = x[:, :, starts[:, None] + np.arange(K)]  # (N, C, W_out, K)
    winners = starts + windows.argmax(axis=3)  # (N, C, W_out)
    n, c, _ = np.indices(winners.shape)
    dx = np.zeros_like(x)
    np.add.at(dx, (n, c, winners), dout)
    return dx
