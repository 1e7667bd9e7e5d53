"""The student wrote the score gradient as one-hot minus probabilities, which has the opposite sign.

task: softmax_loss
misconception: sign-flip
"""
import numpy as np


def softmax_loss(scores, y):
    n, c = scores.shape
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    one_hot = np.zeros((n, c))
    one_hot[np.arange(n), y] = 1
    dscores = (one_hot - probs) / n
    return loss, dscores
