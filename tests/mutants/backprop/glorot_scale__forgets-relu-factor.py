"""The student used the tanh-style Glorot variance 2/(D0+D1), dropping the factor 2 that ReLU needs.

task: glorot_scale
misconception: glorot-without-relu-factor
source: https://wiki.gubat.org/content/stackoverflow.com_en_all_2023-11/questions/39231032/hand-crafted-xavier-initializer-which-values-for-lrelu-and-relu (asker unsure how to adapt a hand-written Xavier init to ReLU; answer adds He et al.'s factor 2, giving 4/(fan_in+fan_out))
"""
import numpy as np


def glorot_scale(d_in, d_out):
    return float(np.sqrt(2.0 / (d_in + d_out)))
