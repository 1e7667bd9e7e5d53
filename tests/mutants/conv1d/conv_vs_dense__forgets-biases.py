"""The student counted only the weights of both layers and left out their biases.

task: conv_vs_dense
misconception: forgets-biases
"""


def conv_vs_dense(length, channels, filters, kernel, stride, pad):
    out_length = (length + 2 * pad - kernel) // stride + 1
    conv_params = filters * channels * kernel
    dense_params = (channels * length) * (filters * out_length)
    return out_length, conv_params, dense_params
