"""The student divided every gradient by the batch size "to average", although dout already carries the loss's 1/N.

task: linear_backward
misconception: every-gradient-divided-by-N
source: https://ai.stackexchange.com/questions/18712/why-is-my-derivation-of-the-back-propagation-equations-inconsistent-with-andrew (learner unsure whether the 1/m belongs in dZ or in dW and db; answer explains it is applied once, in one place only)
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    n = x.shape[0]
    dx = dout @ W.T / n
    dW = x.T @ dout / n
    db = dout.sum(axis=0) / n
    return dx, dW, db
