"""The student moved the weights with the velocity passed in and only then computed the new velocity.

task: sgd_momentum
misconception: steps-with-old-velocity
"""
import numpy as np


def sgd_momentum(w, dw, v, learning_rate, momentum):
    next_w = w + v
    next_v = momentum * v - learning_rate * dw
    return next_w, next_v
