"""The student averaged the loss over the batch but forgot to divide the gradient of the scores by N.

task: softmax_loss
misconception: missing-1-over-N-in-gradient
source: https://kiwix.lema.org/stackoverflow.com_en_all_2023-11/questions/65275522/why-is-softmax-classifier-gradient-divided-by-batch-size-cs231n (student's chain rule has no 1/N and they ask why CS231n divides dscores by the batch size)
"""
import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y]))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores
