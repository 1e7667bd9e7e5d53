"""The student dropped the last, smaller minibatch of each epoch (floor instead of ceiling).

task: sgd_iterations
misconception: drops-last-batch
source: https://github.com/ratulb/deep_drive (notebook showing that looping range(num_samples // batch_size) skips the leftover partial batch)
"""


def sgd_iterations(num_examples, batch_size, epochs):
    return epochs * (num_examples // batch_size)
