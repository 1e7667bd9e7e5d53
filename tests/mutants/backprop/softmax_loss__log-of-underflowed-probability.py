"""The student subtracted the row maximum, but took the loss as the log of the normalised probabilities: at large scores a label's probability underflows to 0 and the loss becomes inf, while dscores stays right.

task: softmax_loss
misconception: log-of-underflowed-probability
"""
import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(n), y])) / n
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, dscores
