"""The student updated the velocity and the weights in place with *= and +=, which changes the caller's arrays.

task: sgd_momentum
misconception: mutates-input-in-place
"""
import numpy as np


def sgd_momentum(w, dw, v, learning_rate, momentum):
    v *= momentum
    v -= learning_rate * dw
    w += v
    return w, v
