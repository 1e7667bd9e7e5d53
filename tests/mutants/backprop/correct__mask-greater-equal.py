"""The student masked with (x >= 0), which only differs from (x > 0) at exactly 0, where ReLU has no derivative.

task: none
misconception: none
"""
import numpy as np


def relu_backward(dout, cache):
    x = cache
    return dout * (x >= 0)
