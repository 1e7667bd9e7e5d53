"""The student picked the correct-class entries with probs[:, y], which selects whole columns instead of one entry per row.

task: softmax_loss
misconception: labels-indexed-by-column
"""
import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[:, y]))
    dscores = probs.copy()
    dscores[:, y] -= 1
    dscores /= n
    return loss, dscores
