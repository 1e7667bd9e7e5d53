"""The student took the max and the normalising sum over axis 0, so each class column sums to one instead of each example's row.

task: softmax_loss
misconception: softmax-wrong-axis
"""
import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - np.max(scores, axis=0)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=0)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, dscores
