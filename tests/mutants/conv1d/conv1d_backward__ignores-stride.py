"""The student's backward loop starts output i's window at position i, forgetting the stride that the forward pass used.

task: conv1d_backward
misconception: backward-ignores-stride
"""
import numpy as np


def conv1d_backward(dout, cache):
    x, w, conv_param = cache
    pad = conv_param["pad"]
    W, K = x.shape[2], w.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for i in range(dout.shape[2]):
        dw += np.einsum("nf,nck->fck", dout[:, :, i], x_pad[:, :, i:i + K])
        dx_pad[:, :, i:i + K] += np.einsum("nf,fck->nck", dout[:, :, i], w)
    dx = dx_pad[:, :, pad:pad + W]
    db = dout.sum(axis=(0, 2))
    return dx, dw, db
