"""The student multiplied the eigenvalue by the number of steps instead of raising it to that power.

task: gradient_growth
misconception: growth-linear-not-exponential
"""


def gradient_growth(eigenvalue, steps):
    return float(eigenvalue * steps)
