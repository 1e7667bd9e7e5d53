"""The student looped over the examples and assigned dw for each one instead of adding to it, so only the last example's contribution survives.

task: conv1d_backward
misconception: dw-from-last-example
"""
import numpy as np


def conv1d_backward(dout, cache):
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, W = x.shape
    F, _, K = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        windows = np.stack([x_pad[n, :, i * stride:i * stride + K] for i in range(dout.shape[2])])  # (W_out, C, K)
        dw = np.einsum("fi,ick->fck", dout[n], windows)
        for i in range(dout.shape[2]):
            dx_pad[n, :, i * stride:i * stride + K] += np.einsum("f,fck->ck", dout[n, :, i], w)
    dx = dx_pad[:, :, pad:pad + W]
    db = dout.sum(axis=(0, 2))
    return dx, dw, db
