"""The student computed the new velocity for the weight update but returned the velocity that was passed in.

task: sgd_momentum
misconception: velocity-not-updated
"""
import numpy as np


def sgd_momentum(w, dw, v, learning_rate, momentum):
    new_v = momentum * v - learning_rate * dw
    next_w = w + new_v
    return next_w, v
