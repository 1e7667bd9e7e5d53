"""The student took the windows with np.lib.stride_tricks.sliding_window_view, keeping every S-th one.

task: none
misconception: none
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv1d_forward(x, w, b, conv_param):
    S, P = conv_param["stride"], conv_param["pad"]
    K = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (P, P)))
    windows = sliding_window_view(xp, K, axis=2)[:, :, ::S]  # (N, C, W_out, K)
    out = np.tensordot(windows, w, axes=([1, 3], [1, 2])).transpose(0, 2, 1) + b[:, None]
    return out, (x, w, conv_param)


def conv1d_backward(dout, cache):
    x, w, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    K = w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (P, P)))
    W_out = dout.shape[2]
    windows = sliding_window_view(xp, K, axis=2)[:, :, ::S][:, :, :W_out]
    dw = np.tensordot(dout, windows, axes=([0, 2], [0, 2]))  # (F, C, K)
    db = dout.sum(axis=(0, 2))
    dxp = np.zeros_like(xp)
    for k in range(K):
        dxp[:, :, k:k + S * (W_out - 1) + 1:S] += np.einsum("nfi,fc->nci", dout, w[:, :, k])
    return dxp[:, :, P:P + W], dw, db


def maxpool1d_forward(x, pool_param):
    K, S = pool_param["pool"], pool_param["stride"]
    out = sliding_window_view(x, K, axis=2)[:, :, ::S].max(axis=-1)
    return out.copy(), (x, pool_param)


def maxpool1d_backward(dout, cache):
    x, pool_param = cache
    K, S = pool_param["pool"], pool_param["stride"]
    windows = sliding_window_view(x, K, axis=2)[:, :, ::S]
    starts = np.arange(windows.shape[2]) * S
    winners = starts[None, None, :] + windows.argmax(axis=-1)  # (N, C, W_out)
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        np.put_along_axis(dx, winners[:, :, i:i + 1],
                          np.take_along_axis(dx, winners[:, :, i:i + 1], axis=2) + dout[:, :, i:i + 1], axis=2)
    return dx
