"""The student zeroed the negative entries of x in place and returned x itself, so the output is right but the caller's input array is modified.

task: relu_forward
misconception: mutates-input-in-place
"""
import numpy as np


def relu_forward(x):
    x[x < 0] = 0
    out = x
    cache = x
    return out, cache
