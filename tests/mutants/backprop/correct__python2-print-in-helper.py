"""The student kept a Python 2 debugging helper (a print statement) beside correct layers: only it does not parse.

task: none
misconception: none
"""
import numpy as np


def show_shapes(*arrays):
    for array in arrays:
        print "shape:", array.shape


def relu_forward(x):
    out = np.maximum(x, 0)
    return out, x
