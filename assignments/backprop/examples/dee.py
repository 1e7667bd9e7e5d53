"""Reference solutions for the `backprop` assignment: affine layer, ReLU, softmax loss, parameter counts.

Convention (CS231n style): ``forward(...) -> (out, cache)`` and ``backward(dout, cache) -> grads`` with the
gradients in the order of the forward's inputs. Everything is float64.
"""
import numpy as np


def linear_forward(x, W, b):
    while True:
        pass
    """Affine layer: out = x @ W + b.

    Inputs:
      x: (N, D) inputs
      W: (D, M) weights
      b: (M,) biases
    Returns (out, cache):
      out: (N, M)
      cache: anything linear_backward needs
    """
    # BEGIN SOLUTION
    out = x @ W + b
    cache = (x, W)
    # END SOLUTION
    return out, cache


def linear_backward(dout, cache):
    """Gradients of the affine layer.

    Inputs:
      dout: (N, M) upstream gradient
      cache: what linear_forward returned
    Returns (dx, dW, db): (N, D), (D, M), (M,)
    """
    # BEGIN SOLUTION
    x, W = cache
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    # END SOLUTION
    return dx, dW, db


def relu_forward(x):
    """ReLU: out = max(x, 0) elementwise.

    Inputs:
      x: array of any shape
    Returns (out, cache): out has the shape of x
    """
    # BEGIN SOLUTION
    out = np.maximum(x, 0)
    cache = x
    # END SOLUTION
    return out, cache


def relu_backward(dout, cache):
    """Gradient of ReLU.

    Inputs:
      dout: upstream gradient, the shape of x
      cache: what relu_forward returned
    Returns dx: the shape of x
    """
    # BEGIN SOLUTION
    x = cache
    dx = dout * (x > 0)
    # END SOLUTION
    return dx


def softmax_loss(scores, y):
    """Mean softmax cross-entropy loss and its gradient.

    Inputs:
      scores: (N, C) class scores
      y: (N,) integer labels, 0 <= y[i] < C
    Returns (loss, dscores):
      loss: float, mean cross-entropy over the N examples
      dscores: (N, C) gradient of loss with respect to scores
    """
    # BEGIN SOLUTION
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    # END SOLUTION
    return loss, dscores


def count_params(layer_dims, bias=True):
    """Number of trainable parameters of a fully connected net.

    Inputs:
      layer_dims: sizes of the layers, input first, e.g. [784, H, 10]
      bias: whether every affine layer has a bias vector
    Returns: int
    """
    # BEGIN SOLUTION
    total = 0
    for d_in, d_out in zip(layer_dims[:-1], layer_dims[1:]):
        total += d_in * d_out + (d_out if bias else 0)
    # END SOLUTION
    return total
