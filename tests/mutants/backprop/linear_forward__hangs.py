"""The student's loop never ends (a while loop whose condition never changes): linear_forward times out once, and is not called again by its backward or the training.

task: linear_forward
misconception: hangs
"""
import numpy as np


def linear_forward(x, W, b):
    out = np.zeros((x.shape[0], W.shape[1]))
    i = 0
    while i < x.shape[0]:
        out[i] = x[i] @ W + b
    return out, (x, W)
