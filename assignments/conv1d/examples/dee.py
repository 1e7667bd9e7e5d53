"""Reference solutions for the `conv1d` assignment: a 1D convolution, max pooling, SGD with momentum.

Shapes: N batch, C input channels, W input length, F filters, K kernel (or pool) width, W_out output length.
A convolution is computed as deep-learning libraries compute it, a cross-correlation: the kernel is not
flipped. Everything is float64.
"""
import numpy as np


def conv1d_forward(x, w, b, conv_param):
    while True:
        pass
    """1D convolution with stride and zero padding: out[n, f, i] = b[f] + sum over c, k of
    w[f, c, k] * xpad[n, c, i * S + k], where xpad is x with P zeros added at both ends.

    Inputs:
      x: (N, C, W) input sequences
      w: (F, C, K) filters
      b: (F,) biases, one per filter
      conv_param: {"stride": S, "pad": P}, integers with S >= 1, P >= 0 and K <= W + 2P
    Returns (out, cache):
      out: (N, F, W_out) with W_out = 1 + (W + 2P - K) // S
      cache: anything conv1d_backward needs
    """
    # BEGIN SOLUTION
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, _, width = x.shape
    filters, _, kernel = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    w_out = 1 + (width + 2 * pad - kernel) // stride
    out = np.zeros((n, filters, w_out))
    for i in range(w_out):
        window = x_pad[:, :, i * stride:i * stride + kernel]  # (N, C, K)
        out[:, :, i] = np.tensordot(window, w, axes=([1, 2], [1, 2])) + b
    cache = (x, w, conv_param)
    # END SOLUTION
    return out, cache


def conv1d_backward(dout, cache):
    """Gradients of the 1D convolution.

    Inputs:
      dout: (N, F, W_out) upstream gradient
      cache: what conv1d_forward returned
    Returns (dx, dw, db): (N, C, W), (F, C, K), (F,)
    """
    # BEGIN SOLUTION
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    width, kernel = x.shape[2], w.shape[2]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for i in range(dout.shape[2]):
        window = slice(i * stride, i * stride + kernel)
        dw += np.tensordot(dout[:, :, i], x_pad[:, :, window], axes=([0], [0]))  # (F, C, K)
        dx_pad[:, :, window] += np.tensordot(dout[:, :, i], w, axes=([1], [0]))  # (N, C, K)
    dx = dx_pad[:, :, pad:pad + width]
    db = dout.sum(axis=(0, 2))
    # END SOLUTION
    return dx, dw, db


def maxpool1d_forward(x, pool_param):
    """1D max pooling: out[n, c, i] = max of x[n, c, i * S : i * S + K].

    Inputs:
      x: (N, C, W)
      pool_param: {"pool": K, "stride": S}, integers with 1 <= K <= W and S >= 1
    Returns (out, cache):
      out: (N, C, W_out) with W_out = 1 + (W - K) // S
      cache: anything maxpool1d_backward needs
    """
    # BEGIN SOLUTION
    pool, stride = pool_param["pool"], pool_param["stride"]
    n, channels, width = x.shape
    w_out = 1 + (width - pool) // stride
    out = np.zeros((n, channels, w_out))
    for i in range(w_out):
        out[:, :, i] = x[:, :, i * stride:i * stride + pool].max(axis=2)
    cache = (x, pool_param)
    # END SOLUTION
    return out, cache


def maxpool1d_backward(dout, cache):
    """Gradient of 1D max pooling: each window passes its upstream gradient to its largest entry only (the first
    one on a tie); an entry that wins several overlapping windows receives the sum of their gradients.

    Inputs:
      dout: (N, C, W_out) upstream gradient
      cache: what maxpool1d_forward returned
    Returns dx: (N, C, W)
    """
    # BEGIN SOLUTION
    x, pool_param = cache
    pool, stride = pool_param["pool"], pool_param["stride"]
    n, channels, _ = x.shape
    rows, cols = np.ogrid[:n, :channels]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        winner = i * stride + np.argmax(x[:, :, i * stride:i * stride + pool], axis=2)  # (N, C)
        dx[rows, cols, winner] += dout[:, :, i]
    # END SOLUTION
    return dx


def sgd_momentum(w, dw, v, learning_rate, momentum):
    """One step of SGD with momentum: v' = momentum * v - learning_rate * dw, then w' = w + v'.

    Inputs:
      w: parameters, any shape; dw: their gradient, the shape of w; v: the velocity, the shape of w
      learning_rate: float > 0; momentum: float in [0, 1)
    Returns (next_w, next_v): new arrays, the shape of w (w and v themselves are left unchanged)
    """
    # BEGIN SOLUTION
    next_v = momentum * v - learning_rate * dw
    next_w = w + next_v
    # END SOLUTION
    return next_w, next_v


def conv_vs_dense(length, channels, filters, kernel, stride, pad):
    """A conv layer against a fully connected one on the same input: the conv layer's output length and its
    number of parameters, and the number of parameters of a fully connected layer (with biases) from the same
    flattened input (channels * length values) to the same flattened output (filters * out_length values).

    Inputs:
      length: W; channels: C; filters: F; kernel: K; stride: S; pad: P (integers, K <= W + 2P)
    Returns (out_length, conv_params, dense_params): three ints
    """
    # BEGIN SOLUTION
    out_length = 1 + (length + 2 * pad - kernel) // stride
    conv_params = filters * channels * kernel + filters
    dense_params = (channels * length + 1) * filters * out_length
    # END SOLUTION
    return int(out_length), int(conv_params), int(dense_params)
