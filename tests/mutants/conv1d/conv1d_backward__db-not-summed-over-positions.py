"""The student summed the bias gradient over the batch only, as for an affine layer, and kept one entry per output position.

task: conv1d_backward
misconception: db-not-summed-over-positions
"""
import numpy as np


def conv1d_backward(dout, cache):
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    W, K = x.shape[2], w.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for i in range(dout.shape[2]):
        window = slice(i * stride, i * stride + K)
        dw += np.tensordot(dout[:, :, i], x_pad[:, :, window], axes=([0], [0]))
        dx_pad[:, :, window] += np.tensordot(dout[:, :, i], w, axes=([1], [0]))
    dx = dx_pad[:, :, pad:pad + W]
    db = dout.sum(axis=0)
    return dx, dw, db
