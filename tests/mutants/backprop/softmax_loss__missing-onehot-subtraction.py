"""The student returned the softmax probabilities divided by N as the gradient and never subtracted 1 at the correct class.

task: softmax_loss
misconception: missing-one-hot-subtraction
source: https://math.techqa.club/backward-propagation-math-where-does-1-come-from-4240815 (student working through CS231n cannot see where the -1 at the correct class of the softmax gradient comes from)
"""
import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs / n
    return loss, dscores
