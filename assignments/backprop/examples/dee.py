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


def zero_init_loss(num_classes):
    """Softmax cross-entropy of a classifier whose weights and biases are all zero.

    Inputs:
      num_classes: K, the number of classes
    Returns: float, the loss of every example at initialization
    """
    # BEGIN SOLUTION
    return float(np.log(num_classes))
    # END SOLUTION


def preactivation_scale(weight_scale, d_in):
    """Standard deviation of one pre-activation z = w . x, i.e. sqrt(E[z^2]) since z has mean 0, when x has
    d_in entries of mean square 1 (E[x_i^2] = 1) and the weights w_i are independent, with mean 0.

    Inputs:
      weight_scale: s, the standard deviation of every weight
      d_in: D0, the number of inputs
    Returns: float, the standard deviation of z
    """
    # BEGIN SOLUTION
    return float(weight_scale * np.sqrt(d_in))
    # END SOLUTION


def glorot_scale(d_in, d_out):
    """Weight standard deviation for a ReLU layer that compromises between keeping forward activations and
    backward gradients at a constant size: its variance is the harmonic mean of the forward calibration's
    variance 2/D0 and the backward calibration's 2/D1.

    Inputs:
      d_in: D0, inputs of the layer; d_out: D1, outputs of the layer
    Returns: float, the standard deviation s (the square root of that variance)
    """
    # BEGIN SOLUTION
    return float(np.sqrt(4.0 / (d_in + d_out)))
    # END SOLUTION


def sgd_iterations(num_examples, batch_size, epochs):
    """Number of parameter updates minibatch SGD makes (the last batch of an epoch may be smaller).

    Inputs:
      num_examples: N; batch_size: B; epochs: E
    Returns: int
    """
    # BEGIN SOLUTION
    return int(epochs * -(-num_examples // batch_size))
    # END SOLUTION


def relu_chain_grads(W, Z, x):
    """Gradients of L = sum(m**2) where m = Z @ y and y = ReLU(W @ x).

    Inputs:
      W: (H, D), Z: (K, H), x: (D,)
    Returns (dW, dZ): (H, D), (K, H)
    """
    # BEGIN SOLUTION
    pre = W @ x
    y = np.maximum(pre, 0)
    m = Z @ y
    dm = 2 * m
    dZ = np.outer(dm, y)
    dpre = (Z.T @ dm) * (pre > 0)
    dW = np.outer(dpre, x)
    # END SOLUTION
    return dW, dZ


def sigmoid_neuron_grads(w, x):
    """Gradients of f = sigmoid(w[0]*x[0] + w[1]*x[1] + w[2]), the 2-input neuron with a bias.

    Inputs:
      w: (3,) weights then bias; x: (2,) inputs
    Returns (dw, dx): (3,), (2,)
    """
    # BEGIN SOLUTION
    f = 1.0 / (1.0 + np.exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))
    local = f * (1 - f)
    dw = np.array([x[0], x[1], 1.0]) * local
    dx = np.array([w[0], w[1]]) * local
    # END SOLUTION
    return dw, dx
