"""The student left linear_backward's body as a bare `pass` (the function returns None): it is not attempted, and earns nothing.

task: linear_backward
misconception: returns-none
"""


def linear_backward(dout, cache):
    pass
