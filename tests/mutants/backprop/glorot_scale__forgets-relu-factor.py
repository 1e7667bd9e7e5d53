"""The student used the tanh-style Glorot variance 2/(D0+D1), dropping the factor 2 that ReLU needs.

task: glorot_scale
misconception: glorot-without-relu-factor
"""
import numpy as np


def glorot_scale(d_in, d_out):
    return float(np.sqrt(2.0 / (d_in + d_out)))
