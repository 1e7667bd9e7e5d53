"""The student used np.argmax of each window as a position in the whole sequence, forgetting to add the window's start.

task: maxpool1d_backward
misconception: pool-argmax-not-offset
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
                window = x[n, c, i * S:i * S + K]
                dx[n, c, np.argmax(window)] += dout[n, c, i]
    return dx
