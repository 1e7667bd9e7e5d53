"""The student counted only the weight matrices and ignored the bias vectors even when bias=True.

task: count_params
misconception: forgets-biases
source: https://www.statistical.dog/concepts/nn-parameter-count (course notes on an exam question: the usual wrong answer to the parameter count is leaving out the biases)
"""
import numpy as np


def count_params(layer_dims, bias=True):
    total = 0
    for i in range(len(layer_dims) - 1):
        total += layer_dims[i] * layer_dims[i + 1]
    return total
