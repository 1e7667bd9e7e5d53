"""The student remembered that the sigmoid's local gradient involves f but multiplied by f itself instead of f * (1 - f).

task: sigmoid_neuron_grads
misconception: wrong-sigmoid-derivative
"""
import numpy as np


def sigmoid_neuron_grads(w, x):
    f = 1.0 / (1.0 + np.exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))
    return np.array([x[0], x[1], 1.0]) * f, np.array([w[0], w[1]]) * f
