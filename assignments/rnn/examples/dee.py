"""Reference solutions for the `rnn` assignment: a vanilla tanh RNN, one step and backprop through time.

Shapes: N batch, T time steps, D input size, H hidden size. Everything is float64.
"""
import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    while True:
        pass
    """One tanh RNN step: h_next = tanh(x @ Wx + h_prev @ Wh + b).

    Inputs:
      x: (N, D), h_prev: (N, H), Wx: (D, H), Wh: (H, H), b: (H,)
    Returns (h_next, cache): h_next (N, H)
    """
    # BEGIN SOLUTION
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    cache = (x, h_prev, Wx, Wh, h_next)
    # END SOLUTION
    return h_next, cache


def rnn_step_backward(dh_next, cache):
    """Gradients of one RNN step.

    Inputs:
      dh_next: (N, H) upstream gradient of h_next
      cache: what rnn_step_forward returned
    Returns (dx, dh_prev, dWx, dWh, db): (N, D), (N, H), (D, H), (H, H), (H,)
    """
    # BEGIN SOLUTION
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next**2)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    dWx = x.T @ da
    dWh = h_prev.T @ da
    db = da.sum(axis=0)
    # END SOLUTION
    return dx, dh_prev, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over a whole sequence.

    Inputs:
      x: (N, T, D), h0: (N, H), Wx: (D, H), Wh: (H, H), b: (H,)
    Returns (h, cache): h (N, T, H), the hidden state at every step
    """
    # BEGIN SOLUTION
    n, t_steps, _ = x.shape
    h = np.zeros((n, t_steps, h0.shape[1]))
    caches = []
    h_prev = h0
    for t in range(t_steps):
        h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
        caches.append(step_cache)
    cache = caches
    # END SOLUTION
    return h, cache


def rnn_backward(dh, cache):
    """Backprop through time.

    Inputs:
      dh: (N, T, H) upstream gradient of every hidden state h[:, t]
      cache: what rnn_forward returned
    Returns (dx, dh0, dWx, dWh, db): (N, T, D), (N, H), (D, H), (H, H), (H,)
    """
    # BEGIN SOLUTION
    n, t_steps, hidden = dh.shape
    d_in = cache[0][0].shape[1]
    dx = np.zeros((n, t_steps, d_in))
    dWx = np.zeros((d_in, hidden))
    dWh = np.zeros((hidden, hidden))
    db = np.zeros(hidden)
    dh_carry = np.zeros((n, hidden))
    for t in reversed(range(t_steps)):
        dx[:, t], dh_carry, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_carry, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dh_carry
    # END SOLUTION
    return dx, dh0, dWx, dWh, db


def gradient_growth(eigenvalue, steps):
    """In a linear RNN h_t = W h_{t-1} with W = P D P^T, the factor by which the gradient component along an
    eigenvector with this eigenvalue is multiplied when it flows back `steps` time steps.

    Inputs:
      eigenvalue: lambda, a real eigenvalue of W
      steps: t - k >= 0
    Returns: float
    """
    # BEGIN SOLUTION
    return float(eigenvalue ** steps)
    # END SOLUTION
