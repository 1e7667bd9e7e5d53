"""The student took the maximum of the window at every position, as if the stride were always 1.

task: maxpool1d_forward
misconception: pool-stride-ignored
"""
import numpy as np


def maxpool1d_forward(x, pool_param):
    K = pool_param["pool"]
    N, C, W = x.shape
    W_out = W - K + 1
    out = np.empty((N, C, W_out))
    for i in range(W_out):
        out[:, :, i] = np.max(x[:, :, i:i + K], axis=2)
    cache = (x, pool_param)
    return out, cache
