"""Your solutions to the `backprop` assignment: affine layer, ReLU, softmax loss, parameter counts.

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


def zero_init_loss(num_classes):
    """Softmax cross-entropy of a classifier whose weights and biases are all zero.

    Inputs:
      num_classes: K, the number of classes
    Returns: float, the loss of every example at initialization
    """
    raise NotImplementedError("zero_init_loss: implement this function")


def preactivation_scale(weight_scale, d_in):
    """Standard deviation of one pre-activation z = w . x, i.e. sqrt(E[z^2]) since z has mean 0, when x has
    d_in entries of mean square 1 (E[x_i^2] = 1) and the weights w_i are independent, with mean 0.

    Inputs:
      weight_scale: s, the standard deviation of every weight
      d_in: D0, the number of inputs
    Returns: float, the standard deviation of z
    """
    raise NotImplementedError("preactivation_scale: implement this function")


def glorot_scale(d_in, d_out):
    """Weight standard deviation for a ReLU layer that compromises between keeping forward activations and
    backward gradients at a constant size: its variance is the harmonic mean of the forward calibration's
    variance 2/D0 and the backward calibration's 2/D1.

    Inputs:
      d_in: D0, inputs of the layer; d_out: D1, outputs of the layer
    Returns: float, the standard deviation s (the square root of that variance)
    """
    raise NotImplementedError("glorot_scale: implement this function")


def sgd_iterations(num_examples, batch_size, epochs):
    """Number of parameter updates minibatch SGD makes (the last batch of an epoch may be smaller).

    Inputs:
      num_examples: N; batch_size: B; epochs: E
    Returns: int
    """
    raise NotImplementedError("sgd_iterations: implement this function")


def relu_chain_grads(W, Z, x):
    """Gradients of L = sum(m**2) where m = Z @ y and y = ReLU(W @ x).

    Inputs:
      W: (H, D), Z: (K, H), x: (D,)
    Returns (dW, dZ): (H, D), (K, H)
    """
    raise NotImplementedError("relu_chain_grads: implement this function")
    return dW, dZ


def sigmoid_neuron_grads(w, x):
    """Gradients of f = sigmoid(w[0]*x[0] + w[1]*x[1] + w[2]), the 2-input neuron with a bias.

    Inputs:
      w: (3,) weights then bias; x: (2,) inputs
    Returns (dw, dx): (3,), (2,)
    """
    raise NotImplementedError("sigmoid_neuron_grads: implement this function")
    return dw, dx
