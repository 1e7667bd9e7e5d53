"""The student slid the filters over the unpadded sequence, so the output is shorter and the border positions are covered less often.

task: conv1d_forward
misconception: padding-ignored
"""
import numpy as np


def conv1d_forward(x, w, b, conv_param):
    stride = conv_param["stride"]
    N, C, W = x.shape
    F, _, K = w.shape
    W_out = 1 + (W - K) // stride
    out = np.zeros((N, F, W_out))
    for i in range(W_out):
        window = x[:, :, i * stride:i * stride + K]
        out[:, :, i] = np.tensordot(window, w, axes=([1, 2], [1, 2])) + b
    cache = (x, w, conv_param)
    return out, cache
