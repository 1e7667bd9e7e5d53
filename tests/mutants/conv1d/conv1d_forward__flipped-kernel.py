"""The student flipped each filter before sliding it, computing the convolution of signal processing instead of the cross-correlation of deep-learning layers.

task: conv1d_forward
misconception: kernel-flipped
"""
import numpy as np


def conv1d_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    N, C, W_pad = x_pad.shape
    F, _, K = w.shape
    W_out = 1 + (W_pad - K) // stride
    flipped = w[:, :, ::-1]  # convolution flips the kernel
    out = np.zeros((N, F, W_out))
    for i in range(W_out):
        window = x_pad[:, :, i * stride:i * stride + K]
        out[:, :, i] = np.tensordot(window, flipped, axes=([1, 2], [1, 2])) + b
    cache = (x, w, conv_param)
    return out, cache
