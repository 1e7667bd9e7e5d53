"""The student unrolled the windows into a matrix (im2col), so the convolution is one matrix product, and scattered the gradient back (col2im).

task: none
misconception: none
"""
import numpy as np


def im2col(xp, K, S, W_out):
    N, C, _ = xp.shape
    cols = np.empty((N * W_out, C * K))
    for i in range(W_out):
        cols[i::W_out] = xp[:, :, i * S:i * S + K].reshape(N, C * K)
    return cols


def conv1d_forward(x, w, b, conv_param):
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, K = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (P, P)))
    W_out = (W + 2 * P - K) // S + 1
    cols = im2col(xp, K, S, W_out)  # (N * W_out, C * K), row n * W_out + i
    out = (cols @ w.reshape(F, C * K).T + b).reshape(N, W_out, F).transpose(0, 2, 1)
    cache = (cols, x.shape, w, conv_param)
    return out, cache


def conv1d_backward(dout, cache):
    cols, (N, C, W), w, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    F, _, K = w.shape
    W_out = dout.shape[2]
    dout_rows = dout.transpose(0, 2, 1).reshape(N * W_out, F)
    dw = (dout_rows.T @ cols).reshape(F, C, K)
    db = dout_rows.sum(axis=0)
    dcols = dout_rows @ w.reshape(F, C * K)
    dxp = np.zeros((N, C, W + 2 * P))
    for i in range(W_out):
        dxp[:, :, i * S:i * S + K] += dcols[i::W_out].reshape(N, C, K)
    dx = dxp[:, :, P:P + W]
    return dx, dw, db


def maxpool1d_forward(x, pool_param):
    K, S = pool_param["pool"], pool_param["stride"]
    N, C, W = x.shape
    W_out = (W - K) // S + 1
    cols = im2col(x.reshape(N * C, 1, W), K, S, W_out)  # (N * C * W_out, K)
    out = cols.max(axis=1).reshape(N, C, W_out)
    return out, (x, cols, pool_param)


def maxpool1d_backward(dout, cache):
    x, cols, pool_param = cache
    K, S = pool_param["pool"], pool_param["stride"]
    N, C, W = x.shape
    W_out = dout.shape[2]
    dcols = np.zeros_like(cols)
    dcols[np.arange(len(cols)), cols.argmax(axis=1)] = dout.reshape(-1)
    dx = np.zeros((N * C, W))
    for i in range(W_out):
        dx[:, i * S:i * S + K] += dcols[i::W_out]
    return dx.reshape(N, C, W)
