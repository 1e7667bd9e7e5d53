"""The student added the sizes of d_in terms instead of their variances: |z| ~ s * D0 rather than s * sqrt(D0).

task: preactivation_scale
misconception: sums-magnitudes-not-variances
"""


def preactivation_scale(weight_scale, d_in):
    return float(weight_scale * d_in)
