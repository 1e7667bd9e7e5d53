"""The student kept the starter code's `out = None` and returned it with the cache, without computing anything: no point for leaving x unchanged.

task: relu_forward
misconception: returns-none
"""


def relu_forward(x):
    out = None
    cache = x
    return out, cache
