"""The student kept each layer's cache in a dict and wrote the momentum step and the counts as single expressions.

task: none
misconception: none
"""
import math

import numpy as np


def conv1d_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, K = w.shape
    padded = np.concatenate([np.zeros(x.shape[:2] + (pad,)), x, np.zeros(x.shape[:2] + (pad,))], axis=2)
    n_out = 1 + (padded.shape[2] - K) // stride
    out = np.stack([padded[:, :, s:s + K].reshape(len(x), -1) @ w.reshape(F, -1).T
                    for s in range(0, n_out * stride, stride)], axis=-1) + b.reshape(1, F, 1)
    cache = {"padded": padded, "w": w, "stride": stride, "pad": pad, "width": x.shape[2]}
    return out, cache


def conv1d_backward(dout, cache):
    padded, w, stride, pad = cache["padded"], cache["w"], cache["stride"], cache["pad"]
    F, C, K = w.shape
    d_padded = np.zeros(padded.shape)
    dw = np.zeros(w.shape)
    for i in range(dout.shape[-1]):
        s = i * stride
        dw += (dout[:, :, i].T @ padded[:, :, s:s + K].reshape(len(padded), -1)).reshape(F, C, K)
        d_padded[:, :, s:s + K] += (dout[:, :, i] @ w.reshape(F, -1)).reshape(-1, C, K)
    dx = d_padded[:, :, pad:pad + cache["width"]]
    db = dout.sum(axis=2).sum(axis=0)
    return dx, dw, db


def maxpool1d_forward(x, pool_param):
    size, step = pool_param["pool"], pool_param["stride"]
    starts = range(0, x.shape[2] - size + 1, step)
    out = np.stack([x[:, :, s:s + size].max(axis=2) for s in starts], axis=2)
    return out, {"x": x, "size": size, "starts": list(starts)}


def maxpool1d_backward(dout, cache):
    x, size = cache["x"], cache["size"]
    dx = np.zeros(x.shape)
    n_idx, c_idx = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[1]), indexing="ij")
    for i, s in enumerate(cache["starts"]):
        j = s + x[:, :, s:s + size].argmax(axis=2)
        dx[n_idx, c_idx, j] += dout[:, :, i]
    return dx


def sgd_momentum(w, dw, v, learning_rate, momentum):
    return w + momentum * v - learning_rate * dw, momentum * v - learning_rate * dw


def conv_vs_dense(length, channels, filters, kernel, stride, pad):
    out_length = math.floor((length + 2 * pad - kernel) / stride) + 1
    outputs = filters * out_length
    return out_length, (channels * kernel + 1) * filters, channels * length * outputs + outputs
