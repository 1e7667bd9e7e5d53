"""The student forgot the sigmoid's local gradient f(1 - f) and passed the upstream 1 straight to the inputs.

task: sigmoid_neuron_grads
misconception: missing-sigmoid-derivative
"""
import numpy as np


def sigmoid_neuron_grads(w, x):
    return np.array([x[0], x[1], 1.0]), np.array([w[0], w[1]])
