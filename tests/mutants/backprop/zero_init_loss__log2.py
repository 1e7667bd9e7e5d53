"""The student measured the zero-initialization loss in bits (log base 2) instead of nats.

task: zero_init_loss
misconception: wrong-log-base
"""
import numpy as np


def zero_init_loss(num_classes):
    return float(np.log2(num_classes))
