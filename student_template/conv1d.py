"""Your solutions to the `conv1d` assignment: a 1D convolution, max pooling, SGD with momentum.

Shapes: N batch, C input channels, W input length, F filters, K kernel (or pool) width, W_out output length.
A convolution is computed as deep-learning libraries compute it, a cross-correlation: the kernel is not
flipped. Everything is float64.
"""
import numpy as np


def conv1d_forward(x, w, b, conv_param):
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
    raise NotImplementedError("conv1d_forward: implement this function")
    return out, cache


def conv1d_backward(dout, cache):
    """Gradients of the 1D convolution.

    Inputs:
      dout: (N, F, W_out) upstream gradient
      cache: what conv1d_forward returned
    Returns (dx, dw, db): (N, C, W), (F, C, K), (F,)
    """
    raise NotImplementedError("conv1d_backward: implement this function")
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
    raise NotImplementedError("maxpool1d_forward: implement this function")
    return out, cache


def maxpool1d_backward(dout, cache):
    """Gradient of 1D max pooling: each window passes its upstream gradient to its largest entry only (the first
    one on a tie); an entry that wins several overlapping windows receives the sum of their gradients.

    Inputs:
      dout: (N, C, W_out) upstream gradient
      cache: what maxpool1d_forward returned
    Returns dx: (N, C, W)
    """
    raise NotImplementedError("maxpool1d_backward: implement this function")
    return dx


def sgd_momentum(w, dw, v, learning_rate, momentum):
    """One step of SGD with momentum: v' = momentum * v - learning_rate * dw, then w' = w + v'.

    Inputs:
      w: parameters, any shape; dw: their gradient, the shape of w; v: the velocity, the shape of w
      learning_rate: float > 0; momentum: float in [0, 1)
    Returns (next_w, next_v): new arrays, the shape of w (w and v themselves are left unchanged)
    """
    raise NotImplementedError("sgd_momentum: implement this function")
    return next_w, next_v


def conv_vs_dense(length, channels, filters, kernel, stride, pad):
    """A conv layer against a fully connected one on the same input: the conv layer's output length and its
    number of parameters, and the number of parameters of a fully connected layer (with biases) from the same
    flattened input (channels * length values) to the same flattened output (filters * out_length values).

    Inputs:
      length: W; channels: C; filters: F; kernel: K; stride: S; pad: P (integers, K <= W + 2P)
    Returns (out_length, conv_params, dense_params): three ints
    """
    raise NotImplementedError("conv_vs_dense: implement this function")
    return int(out_length), int(conv_params), int(dense_params)
