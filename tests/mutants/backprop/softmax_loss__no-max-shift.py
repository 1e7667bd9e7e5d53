"""The student exponentiated the raw scores without subtracting the row maximum, which is right for moderate scores but overflows to inf/nan when scores are in the hundreds or thousands.

task: softmax_loss
misconception: no-max-shift-overflow
source: https://stackoverflow.com/questions/61567597/how-is-log-softmax-implemented-to-compute-its-value-and-gradient-with-better (naive exp(x)/sum gives an overflow warning and nan for a score of 1000; answer subtracts the max)
"""
import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, dscores
