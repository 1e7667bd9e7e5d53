"""Your solutions to the `rnn` assignment: a vanilla tanh RNN, one step and backprop through time.

Shapes: N batch, T time steps, D input size, H hidden size. Everything is float64.
"""
import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One tanh RNN step: h_next = tanh(x @ Wx + h_prev @ Wh + b).

    Inputs:
      x: (N, D), h_prev: (N, H), Wx: (D, H), Wh: (H, H), b: (H,)
    Returns (h_next, cache): h_next (N, H)
    """
    raise NotImplementedError("rnn_step_forward: implement this function")
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    """Gradients of one RNN step.

    Inputs:
      dh_next: (N, H) upstream gradient of h_next
      cache: what rnn_step_forward returned
    Returns (dx, dh_prev, dWx, dWh, db): (N, D), (N, H), (D, H), (H, H), (H,)
    """
    raise NotImplementedError("rnn_step_backward: implement this function")
    return dx, dh_prev, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over a whole sequence.

    Inputs:
      x: (N, T, D), h0: (N, H), Wx: (D, H), Wh: (H, H), b: (H,)
    Returns (h, cache): h (N, T, H), the hidden state at every step
    """
    raise NotImplementedError("rnn_forward: implement this function")
    return h, cache


def rnn_backward(dh, cache):
    """Backprop through time.

    Inputs:
      dh: (N, T, H) upstream gradient of every hidden state h[:, t]
      cache: what rnn_forward returned
    Returns (dx, dh0, dWx, dWh, db): (N, T, D), (N, H), (D, H), (H, H), (H,)
    """
    raise NotImplementedError("rnn_backward: implement this function")
    return dx, dh0, dWx, dWh, db


def gradient_growth(eigenvalue, steps):
    """In a linear RNN h_t = W h_{t-1} with W = P D P^T, the factor by which the gradient component along an
    eigenvector with this eigenvalue is multiplied when it flows back `steps` time steps.

    Inputs:
      eigenvalue: lambda, a real eigenvalue of W
      steps: t - k >= 0
    Returns: float
    """
    raise NotImplementedError("gradient_growth: implement this function")
