"""The student moved the window by one position for every output whatever the stride, so the output is as long as with stride 1.

task: conv1d_forward
misconception: stride-ignored
"""
import numpy as np


def conv1d_forward(x, w, b, conv_param):
    pad = conv_param["pad"]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)), mode="constant")
    N, C, W_pad = x_pad.shape
    F, _, K = w.shape
    W_out = W_pad - K + 1
    out = np.zeros((N, F, W_out))
    for i in range(W_out):
        out[:, :, i] = np.einsum("nck,fck->nf", x_pad[:, :, i:i + K], w) + b
    cache = (x, w, conv_param)
    return out, cache
