"""The student used true division for the output length, which gives a fraction whenever the stride does not divide W + 2P - K.

task: conv_vs_dense
misconception: output-length-not-floored
"""


def conv_vs_dense(length, channels, filters, kernel, stride, pad):
    out_length = (length + 2 * pad - kernel) / stride + 1
    conv_params = filters * channels * kernel + filters
    dense_params = (channels * length + 1) * (filters * out_length)
    return out_length, conv_params, dense_params
