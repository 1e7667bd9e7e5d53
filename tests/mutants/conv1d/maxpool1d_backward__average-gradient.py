"""The student shared each window's upstream gradient equally among its entries, which is the gradient of average pooling, not of max pooling.

task: maxpool1d_backward
misconception: pool-gradient-spread-over-window
"""
import numpy as np


def maxpool1d_backward(dout, cache):
    x, pool_param = cache
    K, S = pool_param["pool"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        dx[:, :, i * S:i * S + K] += dout[:, :, i:i + 1] / K
    return dx
