"""The student counted a separate set of filters for every output position, as if the weights were not shared along the sequence.

task: conv_vs_dense
misconception: conv-params-per-position
"""


def conv_vs_dense(length, channels, filters, kernel, stride, pad):
    out_length = 1 + (length + 2 * pad - kernel) // stride
    per_position = filters * channels * kernel + filters
    conv_params = per_position * out_length
    dense_params = channels * length * filters * out_length + filters * out_length
    return out_length, conv_params, dense_params
