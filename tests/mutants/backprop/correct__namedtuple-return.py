"""The student returned (out, cache) as a namedtuple and kept the cache as a namedtuple too.

task: none
misconception: none
"""
from collections import namedtuple

import numpy as np

Forward = namedtuple("Forward", ["out", "cache"])
LinearCache = namedtuple("LinearCache", ["x", "W"])


def linear_forward(x, W, b):
    return Forward(np.dot(x, W) + b, LinearCache(x, W))


def linear_backward(dout, cache):
    return dout.dot(cache.W.T), cache.x.T.dot(dout), dout.sum(axis=0)
