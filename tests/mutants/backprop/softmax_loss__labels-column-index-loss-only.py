"""The student picked the correct-class probabilities with probs[:, y] in the loss (an N x N array, so its mean is wrong), but wrote the gradient with one entry per row, right.

task: softmax_loss
misconception: labels-indexed-by-column
"""
import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[:, y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    return loss, dscores
