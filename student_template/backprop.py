"""Reference solutions for the `backprop` assignment: affine layer, ReLU, softmax loss, parameter counts.

Convention (CS231n style): ``forward(...) -> (out, cache)`` and ``backward(dout, cache) -> grads`` with the
gradients in the order of the forward's inputs. Everything is float64.
"""
import numpy as np


def linear_forward(x, W, b):
    """Affine layer: out = x @ W + b.

    Inputs:
      x: (N, D) inputs
      W: (D, M) weights
      b: (M,) biases
    Returns (out, cache):
      out: (N, M)
      cache: anything linear_backward needs
    """
    raise NotImplementedError("linear_forward: implement this function")
    return out, cache


def linear_backward(dout, cache):
    """Gradients of the affine layer.

    Inputs:
      dout: (N, M) upstream gradient
      cache: what linear_forward returned
    Returns (dx, dW, db): (N, D), (D, M), (M,)
    """
    raise NotImplementedError("linear_backward: implement this function")
    return dx, dW, db


def relu_forward(x):
    """ReLU: out = max(x, 0) elementwise.

    Inputs:
      x: array of any shape
    Returns (out, cache): out has the shape of x
    """
    raise NotImplementedError("relu_forward: implement this function")
    return out, cache


def relu_backward(dout, cache):
    """Gradient of ReLU.

    Inputs:
      dout: upstream gradient, the shape of x
      cache: what relu_forward returned
    Returns dx: the shape of x
    """
    raise NotImplementedError("relu_backward: implement this function")
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
    raise NotImplementedError("softmax_loss: implement this function")
    return loss, dscores


def count_params(layer_dims, bias=True):
    """Number of trainable parameters of a fully connected net.

    Inputs:
      layer_dims: sizes of the layers, input first, e.g. [784, H, 10]
      bias: whether every affine layer has a bias vector
    Returns: int
    """
    raise NotImplementedError("count_params: implement this function")
    return total
