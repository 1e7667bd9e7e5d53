"""The student filled a table of counting rules at top level (.append calls and a for loop) that count_params reads.

task: none
misconception: none
"""
import numpy as np

RULES = []
RULES.append(lambda d_in, d_out: d_in * d_out)  # the weights of one layer
RULES.append(lambda d_in, d_out: d_out)  # its biases
BY_NAME = {}
for name, rule in zip(("weights", "biases"), RULES):
    BY_NAME[name] = rule


def count_params(layer_dims, bias=True):
    parts = ("weights", "biases") if bias else ("weights",)
    return sum(BY_NAME[part](d_in, d_out) for d_in, d_out in zip(layer_dims, layer_dims[1:]) for part in parts)


if __name__ == "__main__":
    print(count_params([784, 100, 10]))
