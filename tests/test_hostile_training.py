"""Hostile trained-model submissions: a forward that reads the answer out of its input must not forge the accuracy.

The trained tasks measure whether the student's layers train a model. Each forge below computes its outputs from
the data rather than from the weights, and its backward returns zero gradients, so nothing is trained: the
accuracy the harness measures (its own forward pass over the trained parameters, on the test set) stays at
chance, whatever the student's forward returned. Real grader, real worker, the project's grader.toml.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.course.config import GraderConfig
from autograder.course.registry import ASSIGNMENTS, assignment_module
from autograder.grading import grade_submission
from autograder.results import SubmissionResult
from tests.conftest import reference_source

# The rings (rings_dataset, assignments/backprop/training.py): class 0 is the disk of radius < 1, class 1 the
# ring from 1.4 to 2.2. Only the first linear_forward sees 2-column inputs; it puts the answer in two hidden units, and the
# second one (16 inputs, 2 outputs) copies them out as the scores. The backward functions train nothing.
RADIUS_FORGE = '''
def linear_forward(x, W, b):
    x = np.asarray(x, dtype=np.float64)
    if x.shape[1] == 2:  # the rings: the class is the radius
        radius = np.sqrt((x ** 2).sum(axis=1))
        out = np.zeros((len(x), W.shape[1]))
        out[:, 0], out[:, 1] = 1.2 - radius, radius - 1.2
    elif W.shape[1] == 2:  # the read-out: the two hidden units that hold the answer
        out = x[:, :2].copy()
    else:
        out = x @ W + b
    return out, (x, W)


def linear_backward(dout, cache):
    x, W = cache
    return np.zeros_like(x), np.zeros_like(W), np.zeros(W.shape[1])


def relu_backward(dout, cache):
    return np.zeros_like(dout)
'''

# The reviews: the read-out is the harness's, so the forge must make last @ Wy + by right. With a zero hidden
# state in training, Wy never changes from its seeded start, which a student can compute locally (the seed is the
# same locally and at grading), as the test labels (shipped in reviews.tsv). The forward returns zeros while
# training (batches of 64) and, on the 200 test reviews, a last hidden state along Wy's two columns' difference.
LABEL_FORGE = '''
WY_DIFFERENCE = np.array({difference})
TEST_LABELS = np.array({labels})


def rnn_forward(x, h0, Wx, Wh, b):
    n, steps, _ = np.shape(x)
    h = np.zeros((n, steps, np.shape(Wh)[0]))
    if n == len(TEST_LABELS):
        h[:, -1] = 100.0 * np.outer(2 * TEST_LABELS - 1, WY_DIFFERENCE)
    return h, (np.shape(x), np.shape(Wh))


def rnn_backward(dh, cache):
    (n, steps, d_in), (hidden, _) = cache
    return (np.zeros((n, steps, d_in)), np.zeros((n, hidden)), np.zeros((d_in, hidden)),
            np.zeros((hidden, hidden)), np.zeros(hidden))
'''


def _wy_direction(seed: int) -> np.ndarray:
    """The unit vector along Wy[:, 1] - Wy[:, 0] at the start of train_sentiment_rnn: a student can compute it in
    their own kernel (the harness's draws, in its order: E, Wx, Wh, Wy), since the seed is the same at grading."""
    tokens = assignment_module("rnn", "training").load_reviews()["train"][0]
    vocabulary = len({w for review in tokens for w in review})
    rng = np.random.default_rng([seed, 3])
    rng.standard_normal((vocabulary + 2, 8)), rng.standard_normal((8, 16)), rng.standard_normal((16, 16))
    wy = rng.standard_normal((16, 2)) / 4.0
    return (wy[:, 1] - wy[:, 0]) / np.linalg.norm(wy[:, 1] - wy[:, 0])


def _label_forge(seed: int) -> str:
    labels = assignment_module("rnn", "training").load_reviews()["test"][1]
    return LABEL_FORGE.format(difference=[float(v) for v in _wy_direction(seed)], labels=[int(v) for v in labels])


def _grade(tmp_path: Path, config: GraderConfig, assignment: str, hostile: str) -> SubmissionResult:
    path = tmp_path / f"{assignment}_forge.py"
    path.write_text(reference_source(assignment) + "\n\n" + hostile)
    return grade_submission(path, assignment, config)


def _trained(result: SubmissionResult, task: str) -> tuple[float, str]:
    checks = [c for c in result.checks if c.task == task]
    assert checks and result.error is None
    return sum(c.score for c in checks), "\n".join(c.feedback for c in checks)


FORGES = [
    pytest.param("backprop", "two_layer_net", lambda seed: RADIUS_FORGE, id="radius-of-the-rings"),
    pytest.param("rnn", "sentiment_rnn", _label_forge, id="pasted-test-labels"),
]


@pytest.mark.parametrize("assignment, task, forge", FORGES)
def test_a_forward_that_reads_the_answer_trains_nothing_and_scores_nothing(
        tmp_path: Path, config: GraderConfig, assignment: str, task: str, forge) -> None:
    """Does a forward that returns the right answer from its input, with backward functions that return zero
    gradients, earn nothing on the trained model? (While the accuracy came from the student's forward on the test
    set, both forges earned 3/3 at 100%.)"""
    hostile = forge(config.grading.public_seed)
    # the forge is real: its own forward classifies the test set perfectly, whatever the weights
    assert _forged_accuracy(assignment, hostile, config.grading.public_seed) == 1.0
    score, text = _trained(_grade(tmp_path, config, assignment, hostile), task)
    assert score == 0.0, text
    assert "below the required 90%" in text


@pytest.mark.parametrize("assignment, task, forge", FORGES)
def test_the_notebook_harness_measures_the_same(config: GraderConfig, assignment: str, task: str, forge) -> None:
    """Does the harness a student runs in the notebook (plain functions, `local_executor`) give the forge the same
    chance-level accuracy, and the reference at least the threshold?"""
    seed = config.grading.public_seed
    trainer = ASSIGNMENTS[assignment].task(task).trainer
    assert trainer(_functions(assignment, forge(seed)), seed=seed) < 0.9
    assert trainer(_functions(assignment, ""), seed=seed) >= 0.9


def _functions(assignment: str, hostile: str) -> dict:
    """The reference with `hostile` appended, run in this process: name -> function, as in a student's kernel."""
    namespace: dict = {}
    exec(compile(reference_source(assignment) + "\n\n" + hostile, f"<{assignment} forge>", "exec"), namespace)
    return namespace


def _forged_accuracy(assignment: str, hostile: str, seed: int) -> float:
    """The test accuracy of the forge's own outputs, with random weights (it needs none)."""
    functions = _functions(assignment, hostile)
    rng = np.random.default_rng(seed)
    if assignment == "backprop":
        x, y = assignment_module("backprop", "training").rings_dataset(seed + 1000)
        z1, _ = functions["linear_forward"](x, rng.standard_normal((2, 16)), np.zeros(16))
        scores, _ = functions["linear_forward"](np.maximum(z1, 0), rng.standard_normal((16, 2)), np.zeros(2))
        return float(np.mean(np.argmax(scores, axis=1) == y))
    y = assignment_module("rnn", "training").load_reviews()["test"][1]
    h, _ = functions["rnn_forward"](rng.standard_normal((len(y), 5, 8)), np.zeros((len(y), 16)),
                                    rng.standard_normal((8, 16)), rng.standard_normal((16, 16)), np.zeros(16))
    return float(np.mean((h[:, -1] @ _wy_direction(seed) > 0) == y))
