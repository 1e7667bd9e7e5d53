"""The student backpropagated through y = ReLU(Wx) as if it were the identity (no mask on the gradient).

task: relu_chain_grads
misconception: relu-backward-no-mask
"""
import numpy as np


def relu_chain_grads(W, Z, x):
    y = np.maximum(W @ x, 0)
    dm = 2 * (Z @ y)
    return np.outer(Z.T @ dm, x), np.outer(dm, y)
