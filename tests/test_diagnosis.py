"""The diagnosis engine on hand-made evidence: when it names a misconception, when it only states facts."""
from __future__ import annotations

import json

import numpy as np

from autograder.batch.files import gradescope_json
from autograder.course.registry import ASSIGNMENTS
from autograder.diagnosis.diagnose import Evidence, Misconception, diagnose, error_map, predicts
from autograder.diagnosis.misconceptions import catalogue_for
from autograder.grading import grade_submission
from tests.conftest import reference_source, write_submission

rng = np.random.default_rng(0)


def linear_case(n: int, grads) -> Evidence:
    x, W, dout = rng.standard_normal((n, 3)), rng.standard_normal((3, 2)), rng.standard_normal((n, 2))
    expected = {"dx": dout @ W.T, "dW": x.T @ dout, "db": dout.sum(axis=0)}
    return Evidence(f"N={n}", {"x": x, "W": W, "b": np.zeros(2), "dout": dout}, expected,
                    received=grads(x, W, dout, expected), sizes={"N": n, "D": 3, "M": 2})


def test_a_factor_of_n_is_not_named_from_batches_of_one():
    """Averaging and summing agree when N = 1: that evidence alone must not name the averaging mistake."""
    averaged = lambda x, W, dout, e: {**e, "db": dout.mean(axis=0)}  # noqa: E731
    catalogue = catalogue_for(ASSIGNMENTS["backprop"].catalogue, "linear_backward")
    only_ones = [linear_case(1, averaged), linear_case(1, averaged)]
    assert diagnose(catalogue, only_ones, {"db"}) is None or not diagnose(catalogue, only_ones, {"db"}).confident
    named = diagnose(catalogue, only_ones + [linear_case(5, averaged)], {"db"})
    assert named.id == "db-averaged-not-summed" and named.confident


def test_a_partial_explanation_says_what_else_is_wrong():
    """db averaged and dW doubled: the averaging is named, and dW is reported as wrong besides."""
    two_bugs = lambda x, W, dout, e: {**e, "db": dout.mean(axis=0), "dW": 2 * e["dW"]}  # noqa: E731
    named = diagnose(catalogue_for(ASSIGNMENTS["backprop"].catalogue, "linear_backward"), [linear_case(4, two_bugs), linear_case(6, two_bugs)],
                     {"db", "dW"})
    assert named.id == "db-averaged-not-summed"
    assert "besides that, dW is the right answer times 2" in named.title


def test_without_a_fitting_hypothesis_only_facts_are_stated():
    """An unknown mistake: not confident, and the facts (a transposed shape, a factor) are stated."""
    odd = lambda x, W, dout, e: {**e, "dx": 3 * e["dx"], "dW": e["dW"].T.copy()}  # noqa: E731
    found = diagnose([], [linear_case(4, odd)], {"dx", "dW"})
    assert not found.confident and found.id == "unexplained"
    assert "dW has the shape of the transpose of the right answer, (3, 2)" in found.title
    assert "dx is the right answer times 3" in found.title
    assert found.text().startswith("What the evidence shows:")


def test_wrong_time_steps_are_located():
    """In a (N, T, H) answer that is wrong at t = 0, 1 only, the facts say the earliest steps are wrong."""
    expected = rng.standard_normal((2, 5, 3))
    received = expected.copy()
    received[:, :2] += 1.0
    case = Evidence("case", {}, {"dx": expected}, {"dx": received}, sizes={"N": 2, "T": 5, "H": 3})
    found = diagnose([], [case], {"dx"})
    assert "the earliest time steps only (t = 0..1 of 0..4)" in found.title


def test_a_model_must_match_every_case_it_predicts():
    """One case that contradicts the model rules it out, however well the others fit."""
    model = Misconception("m", "t", "h", "s", predicts(lambda c: {"y": 2 * c.inputs["x"]}))
    fits = [Evidence("a", {"x": np.ones(2)}, {"y": np.ones(2)}, {"y": 2 * np.ones(2)})]
    contradicts = [Evidence("b", {"x": np.ones(2)}, {"y": np.ones(2)}, {"y": 3 * np.ones(2)})]
    assert diagnose([model], fits, {"y"}).id == "m"
    assert diagnose([model], fits + contradicts, {"y"}).id != "m"


def test_error_map_is_small_and_folds_the_batch():
    """At most 16 x 16 cells, each the largest error it covers; a (N, T, H) array becomes T rows; nan is None."""
    big = error_map(np.zeros((40, 33)), np.ones((40, 33)))
    assert len(big) == 16 and all(len(row) == 16 for row in big) and big[0][0] == 1.0
    expected = np.zeros((3, 4, 2))
    received = expected.copy()
    received[1, 2, 1] = np.nan
    received[0, 0, 0] = 0.5
    folded = error_map(received, expected)
    assert len(folded) == 4 and folded[0][0] == 0.5 and folded[2][1] is None
    assert error_map(np.zeros(3), np.zeros(4)) is None


def test_the_diagnosis_reaches_feedback_and_results_json(config, tmp_path):
    """A real submission with db averaged: the check feedback names it, results.json tags it, and the
    machine-readable field lists it once per task."""
    source = reference_source("backprop") + '''

def linear_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)
'''
    result = grade_submission(write_submission(tmp_path, "dee", source), "backprop", config)
    values = next(c for c in result.checks if c.task == "linear_backward" and c.check == "values")
    assert "Likely misconception: db is averaged over the batch instead of summed" in values.feedback
    assert values.evidence and values.evidence[0]["item"] == "db" and values.evidence[0]["abs_error"]
    data = json.loads(json.dumps(gradescope_json(result)))
    tagged = [t for t in data["tests"] if "misconception:db-averaged-not-summed" in t["tags"]]
    assert {t["name"] for t in tagged} >= {"linear_backward / values"}
    listed = [d for d in data["extra_data"]["diagnoses"] if d["task"] == "linear_backward"]
    assert [d["id"] for d in listed] == ["db-averaged-not-summed"] and "values" in listed[0]["checks"]
    trained = next(c for c in result.checks if c.task == "two_layer_net")
    assert trained.score == 0 and not trained.diagnosis.confident
    assert "built from your linear_backward, which loses points above: fix that first" in trained.feedback


def _diagnosis_of(result, task):
    return next((c.diagnosis for c in result.checks if c.task == task and c.diagnosis is not None), None)


def test_a_constant_factor_is_claimed_only_when_every_case_shows_it(config, tmp_path):
    """Is "a constant factor" said only when one ratio holds in every case, never from a single number or when
    the ratio changes from case to case?"""
    varying = reference_source("backprop") + "\n\ndef glorot_scale(d_in, d_out):\n    return float(np.sqrt(4.0 / d_in))\n"
    result = grade_submission(write_submission(tmp_path, "varying", varying), "backprop", config)
    diagnosis = _diagnosis_of(result, "glorot_scale")
    assert diagnosis is None or "constant factor" not in diagnosis.title, diagnosis
    doubled = reference_source("backprop") + \
        "\n\ndef glorot_scale(d_in, d_out):\n    return float(2 * np.sqrt(4.0 / (d_in + d_out)))\n"
    result = grade_submission(write_submission(tmp_path, "doubled", doubled), "backprop", config)
    diagnosis = _diagnosis_of(result, "glorot_scale")
    assert diagnosis is not None and not diagnosis.confident
    assert "times 2 in every case (a constant factor)" in diagnosis.title


def test_a_partial_fit_never_names_a_right_output_as_wrong(config, tmp_path):
    """relu_chain_grads with dW missing the ReLU mask and dZ right: is the mask named alone, with no "besides
    that, output 1"?"""
    source = reference_source("backprop") + '''

def relu_chain_grads(W, Z, x):
    y = np.maximum(W @ x, 0)
    dm = 2 * (Z @ y)
    return np.outer(Z.T @ dm, x), np.outer(dm, y)
'''
    result = grade_submission(write_submission(tmp_path, "chain", source), "backprop", config)
    diagnosis = _diagnosis_of(result, "relu_chain_grads")
    assert diagnosis is not None and diagnosis.id == "relu-backward-no-mask"
    assert "besides" not in diagnosis.title and "output 1" not in diagnosis.title
