"""The student dropped the last, smaller minibatch of each epoch (floor instead of ceiling).

task: sgd_iterations
misconception: drops-last-batch
"""


def sgd_iterations(num_examples, batch_size, epochs):
    return epochs * (num_examples // batch_size)
