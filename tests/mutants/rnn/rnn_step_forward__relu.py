"""The student used a ReLU instead of tanh as the RNN nonlinearity.

task: rnn_step_forward
misconception: relu-instead-of-tanh
"""
import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    h_next = np.maximum(0, x @ Wx + h_prev @ Wh + b)
    cache = (x, h_prev, Wx, Wh, h_next)
    return h_next, cache
