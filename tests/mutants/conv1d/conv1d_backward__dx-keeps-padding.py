"""The student returned the gradient of the padded input without cutting the padding off, so dx is 2P positions too long.

task: conv1d_backward
misconception: dx-keeps-padding
"""
import numpy as np


def conv1d_backward(dout, cache):
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    K = w.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    dx = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for i in range(dout.shape[2]):
        s = i * stride
        dw += np.tensordot(dout[:, :, i], x_pad[:, :, s:s + K], axes=([0], [0]))
        dx[:, :, s:s + K] += np.tensordot(dout[:, :, i], w, axes=([1], [0]))
    db = dout.sum(axis=(0, 2))
    return dx, dw, db
