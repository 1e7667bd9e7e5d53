"""The student computed the output length from the unpadded length, so the dense layer's count is off too.

task: conv_vs_dense
misconception: output-length-without-padding
"""


def conv_vs_dense(length, channels, filters, kernel, stride, pad):
    out_length = 1 + (length - kernel) // stride
    conv_params = filters * (channels * kernel + 1)
    dense_params = (channels * length + 1) * filters * out_length
    return out_length, conv_params, dense_params
