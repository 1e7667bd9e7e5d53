"""The student computed the softmax loss through a hand-written log-sum-exp and a one-hot matrix built from np.eye.

task: none
misconception: none
"""
import numpy as np


def softmax_loss(scores, y):
    n, c = scores.shape
    m = np.max(scores, axis=1)
    lse = m + np.log(np.sum(np.exp(scores - m[:, None]), axis=1))
    one_hot = np.eye(c)[y]
    correct = np.sum(scores * one_hot, axis=1)
    loss = np.mean(lse - correct)
    probs = np.exp(scores - lse[:, None])
    dscores = (probs - one_hot) / n
    return loss, dscores
