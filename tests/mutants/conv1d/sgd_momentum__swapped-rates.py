"""The student let the learning rate scale the old velocity and the momentum scale the gradient.

task: sgd_momentum
misconception: learning-rate-momentum-swapped
"""
import numpy as np


def sgd_momentum(w, dw, v, learning_rate, momentum):
    next_v = learning_rate * v - momentum * dw
    return w + next_v, next_v
