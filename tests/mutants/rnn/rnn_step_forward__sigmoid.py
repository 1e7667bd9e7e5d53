"""The student used the logistic sigmoid instead of tanh as the RNN nonlinearity.

task: rnn_step_forward
misconception: sigmoid-instead-of-tanh
"""
import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    h_next = 1.0 / (1.0 + np.exp(-a))
    cache = (x, h_prev, Wx, Wh, h_next)
    return h_next, cache
