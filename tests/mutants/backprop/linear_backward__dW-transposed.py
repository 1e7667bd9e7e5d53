"""The student put the factors of the weight gradient in the wrong order and returned a (M, D) matrix, the transpose of dW.

task: linear_backward
misconception: dW-transposed
source: https://community.deeplearning.ai/t/exercise-7-linear-backward/241052 (student's linear_backward multiplies A_prev.T and dZ in the wrong order for dW; mentor tells them to swap the operands)
"""
import numpy as np


def linear_backward(dout, cache):
    x, W = cache
    dx = dout @ W.T
    dW = dout.T @ x
    db = dout.sum(axis=0)
    return dx, dW, db
