"""The student assigned the upstream gradient to each window's winner instead of adding it, so an entry that wins two overlapping windows keeps only the last gradient.

task: maxpool1d_backward
misconception: pool-overlaps-overwritten
"""
import numpy as np


def maxpool1d_backward(dout, cache):
    x, pool_param = cache
    K, S = pool_param["pool"], pool_param["stride"]
    N, C, W = x.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(dout.shape[2]):
                j = i * S + np.argmax(x[n, c, i * S:i * S + K])
                dx[n, c, j] = dout[n, c, i]
    return dx
