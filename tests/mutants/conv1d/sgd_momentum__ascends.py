"""The student added the scaled gradient to the velocity instead of subtracting it, so every step climbs the loss.

task: sgd_momentum
misconception: gradient-added-not-subtracted
"""
import numpy as np


def sgd_momentum(w, dw, v, learning_rate, momentum):
    next_v = momentum * v + learning_rate * dw
    next_w = w + next_v
    return next_w, next_v
