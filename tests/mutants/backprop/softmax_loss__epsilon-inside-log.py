"""The student guarded the log against zero with a small epsilon: the loss is right at ordinary scores, but capped at -log(eps) wherever a probability underflowed, far below the true loss at large scores.

task: softmax_loss
misconception: epsilon-inside-log
"""
import numpy as np


def softmax_loss(scores, y):
    num_train = scores.shape[0]
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    probs = exp / exp.sum(axis=1, keepdims=True)
    loss = np.mean(-np.log(probs[range(num_train), y] + 1e-12))
    dscores = probs
    dscores[range(num_train), y] -= 1
    return loss, dscores / num_train
