"""The student added the bias inside the loop over input channels, so every output gets C copies of it.

task: conv1d_forward
misconception: bias-added-per-channel
"""
import numpy as np


def conv1d_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, K = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    W_out = 1 + (W + 2 * pad - K) // stride
    out = np.zeros((N, F, W_out))
    for c in range(C):
        for i in range(W_out):
            window = x_pad[:, c, i * stride:i * stride + K]  # (N, K)
            out[:, :, i] += window @ w[:, c, :].T + b
    cache = (x, w, conv_param)
    return out, cache
