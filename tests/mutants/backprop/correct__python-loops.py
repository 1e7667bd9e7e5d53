"""The student implemented every layer with explicit Python loops over examples and units instead of vectorised numpy.

task: none
misconception: none
"""
import numpy as np


def linear_forward(x, W, b):
    n, d = x.shape
    m = W.shape[1]
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            s = b[j]
            for k in range(d):
                s += x[i, k] * W[k, j]
            out[i, j] = s
    return out, (x, W)


def linear_backward(dout, cache):
    x, W = cache
    n, d = x.shape
    m = W.shape[1]
    dx = np.zeros((n, d))
    dW = np.zeros((d, m))
    db = np.zeros(m)
    for i in range(n):
        for j in range(m):
            g = dout[i, j]
            db[j] += g
            for k in range(d):
                dx[i, k] += g * W[k, j]
                dW[k, j] += x[i, k] * g
    return dx, dW, db


def relu_forward(x):
    out = np.zeros(x.shape)
    flat_in = x.reshape(-1)
    flat_out = out.reshape(-1)
    for i in range(flat_in.size):
        if flat_in[i] > 0:
            flat_out[i] = flat_in[i]
    return out, x


def relu_backward(dout, cache):
    x = cache
    dx = np.zeros(x.shape)
    flat_x = x.reshape(-1)
    flat_d = np.asarray(dout).reshape(-1)
    flat_dx = dx.reshape(-1)
    for i in range(flat_x.size):
        if flat_x[i] > 0:
            flat_dx[i] = flat_d[i]
    return dx


def softmax_loss(scores, y):
    n, c = scores.shape
    loss = 0.0
    dscores = np.zeros((n, c))
    for i in range(n):
        row_max = max(scores[i, j] for j in range(c))
        exps = [np.exp(scores[i, j] - row_max) for j in range(c)]
        total = sum(exps)
        loss += -(scores[i, y[i]] - row_max - np.log(total))
        for j in range(c):
            dscores[i, j] = exps[j] / total
        dscores[i, y[i]] -= 1.0
    loss /= n
    dscores /= n
    return np.float64(loss), dscores


def count_params(layer_dims, bias=True):
    total = 0
    for i in range(1, len(layer_dims)):
        total += layer_dims[i - 1] * layer_dims[i]
        if bias:
            total += layer_dims[i]
    return total
