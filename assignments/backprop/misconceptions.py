"""The misconceptions of the backprop assignment, per task: formulas of what the mistaken code computes.

Entries come from mistakes students make in these exercises (course notes and forum threads), written as
formulas, independently of the labelled corpus in tests/mutants/backprop/ that measures them. Each names the
notebook section that teaches the point.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograder.diagnosis.diagnose import Evidence, Misconception, predicts, same
from autograder.diagnosis.misconceptions import (
    Model,
    all_averaged,
    any_of,
    averaged,
    holds,
    in_place,
    missing_transpose,
    sign_flipped,
    transposed,
)

AFFINE = "2. The affine layer and the chain rule in matrix form"
RELU = "3. ReLU, and the rules of a computational graph"
SIGMOID = "A worked example: one sigmoid neuron"
CHAIN = "The chain rule twice: y = ReLU(Wx), m = Zy, L = sum(m²)"
SOFTMAX = "4. Softmax cross-entropy, computed stably"
COUNTING = "1. Width and depth: counting parameters"
INIT = "5. Initialization"
SGD = "7. Minibatch SGD"


def _linear(c: Evidence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return c.inputs["x"], c.inputs["W"], c.inputs["dout"]


def _softmax(scores: np.ndarray, axis: int) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _softmax_grads(probs: np.ndarray, rows: Any, y: np.ndarray) -> np.ndarray:
    grad = probs.copy()
    grad[rows, y] -= 1
    return grad / len(y)


def _right_at_ordinary_scores(evidence: list[Evidence]) -> bool:
    ordinary = [c for c in evidence if not c.stability and c.error is None]
    return bool(ordinary) and all(same(c.received.get(k), v) for c in ordinary for k, v in c.expected.items())


def _large(evidence: list[Evidence]) -> list[Evidence]:
    return [c for c in evidence if c.stability and c.error is None and {"loss", "dscores"} <= set(c.received)]


def _finite(value: Any) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))
    except (TypeError, ValueError):
        return False


def _no_max_shift(evidence: list[Evidence]) -> bool:
    """Right at ordinary scores; at large ones dscores is not finite: exp overflowed (inf / inf is nan)
    because the row max was not subtracted first. The loss alone going to inf is another mistake."""
    large = _large(evidence)
    return _right_at_ordinary_scores(evidence) and any(not _finite(c.received["dscores"]) for c in large)


def _log_of_underflowed_probability(evidence: list[Evidence]) -> frozenset[str] | None:
    """Right at ordinary scores; at large ones dscores is right but the loss is +inf: the max shift is there,
    but the loss takes the log of a probability that underflowed to 0."""
    large = _large(evidence)
    if not (_right_at_ordinary_scores(evidence) and large and all(same(c.received["dscores"], c.expected["dscores"])
                                                                   for c in large)):
        return None
    losses = [np.asarray(c.received["loss"], dtype=np.float64) for c in large]
    return frozenset({"loss"}) if any(loss.shape == () and loss == np.inf for loss in losses) else None


def _log_with_epsilon(evidence: list[Evidence]) -> frozenset[str] | None:
    """The loss is -mean(log(p + eps)) for one small eps in every case: an epsilon added inside the log caps the
    loss of a probability that underflowed at -log(eps) (26.8 where the truth is 412). eps is solved for on
    the first large-score case whose loss is too small, then every case must agree with it."""
    large = [c for c in _large(evidence) if _finite(c.received["loss"]) and np.ndim(c.received["loss"]) == 0]
    capped = [c for c in large if float(c.received["loss"]) < float(c.expected["loss"]) * (1 - 1e-6)]
    if not capped:
        return None
    eps = _solve_epsilon(_true_class_probs(capped[0]), float(capped[0].received["loss"]))
    if eps is None:
        return None
    explained = False
    for case in evidence:
        if case.error is not None or "loss" not in case.received:
            continue
        with np.errstate(all="ignore"):
            predicted = -np.mean(np.log(_true_class_probs(case) + eps))
        if not same(case.received["loss"], predicted, 1e-5):
            return None
        explained = explained or not same(predicted, case.expected["loss"])
    return frozenset({"loss"}) if explained else None


def _true_class_probs(case: Evidence) -> np.ndarray:
    """Each row's probability of its label, computed as a student would (exp of shifted scores, normalised),
    so that it underflows to 0 where theirs does."""
    probs = _softmax(np.asarray(case.inputs["scores"], dtype=np.float64), 1)
    return probs[np.arange(len(case.inputs["y"])), case.inputs["y"]]


def _solve_epsilon(probs: np.ndarray, loss: float) -> float | None:
    """The eps in (0, 1e-3] with -mean(log(probs + eps)) == loss (the mean decreases in eps), by bisection on
    log(eps); None when no such eps exists."""
    def mean_loss(log_eps: float) -> float:
        with np.errstate(all="ignore"):
            return float(-np.mean(np.log(probs + np.exp(log_eps))))

    low, high = np.log(1e-300), np.log(1e-3)
    if not mean_loss(high) <= loss <= mean_loss(low):
        return None
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if mean_loss(middle) > loss else (low, middle)
    return float(np.exp((low + high) / 2))


def _loss_by_columns(c: Evidence) -> float:
    """-mean(log(probs[:, y])): the mean over an N x N array of log-probabilities."""
    return float(-np.mean(np.log(_softmax(c.inputs["scores"], 1)[:, c.inputs["y"]])))


def _counts(mistake: Callable[[int, int], int]) -> Model:
    def model(c: Evidence) -> dict[str, Any] | None:
        dims = c.inputs["layer_dims"]
        if not c.inputs["bias"]:
            return None
        return {"count": sum(mistake(a, b) for a, b in zip(dims[:-1], dims[1:]))}
    return model


def _relu_chain_without_mask(c: Evidence) -> dict[str, Any]:
    W, Z, x = c.inputs["W"], c.inputs["Z"], c.inputs["x"]
    y = np.maximum(W @ x, 0)
    dm = 2 * (Z @ y)
    return {"output 0": np.outer(Z.T @ dm, x)}


CATALOGUE: dict[str, list[Misconception]] = {
    "linear_forward": [
        Misconception("forgets-bias", "the bias b is never added",
                      "out = x @ W + b: b has one entry per output unit and broadcasts over the batch.", AFFINE,
                      predicts(lambda c: {"out": c.inputs["x"] @ c.inputs["W"]})),
        *in_place(None, AFFINE),
    ],
    "linear_backward": [
        missing_transpose(AFFINE),
        all_averaged(["dx", "dW", "db"], AFFINE),
        Misconception("db-keepdims-shape", "db keeps a batch axis of size 1",
                      "db must have the shape of b, (M,): sum over axis 0 without keepdims.", AFFINE,
                      predicts(lambda c: {"db": c.inputs["dout"].sum(axis=0, keepdims=True)})),
        Misconception("db-summed-wrong-axis", "db is summed over the output units instead of over the batch",
                      "b is shared by every example, so db adds up dout over the batch: dout.sum(axis=0).",
                      AFFINE, predicts(lambda c: {"db": c.inputs["dout"].sum(axis=1)})),
        averaged("db", AFFINE), averaged("dW", AFFINE), transposed("dW", AFFINE),
        sign_flipped(["dx", "dW", "db"], AFFINE),
        *in_place("dout", AFFINE),
    ],
    "relu_forward": [
        Misconception("np-max-instead-of-maximum", "np.max (a reduction) is used instead of np.maximum",
                      "np.max(x, 0) takes the largest entry along axis 0; the elementwise ReLU is "
                      "np.maximum(x, 0).", RELU,
                      any_of(lambda c: {"out": np.max(c.inputs["x"], 0)}, lambda c: {"out": np.max(c.inputs["x"])})),
        *in_place(None, RELU),
    ],
    "relu_backward": [
        Misconception("relu-backward-no-mask", "the upstream gradient is passed through without the ReLU mask",
                      "ReLU's local gradient is 1 where its input was positive and 0 elsewhere: "
                      "dx = dout * (x > 0).", RELU, predicts(lambda c: {"dx": c.inputs["dout"]})),
        Misconception("relu-backward-times-input", "the upstream gradient is multiplied by the input, not the mask",
                      "The local gradient of max(x, 0) is the indicator (x > 0), not the value of x.", RELU,
                      any_of(lambda c: {"dx": c.inputs["dout"] * np.maximum(c.inputs["x"], 0)},
                             lambda c: {"dx": c.inputs["dout"] * c.inputs["x"]})),
        Misconception("relu-backward-mask-inverted", "the ReLU mask is inverted",
                      "Gradient flows where the input was positive: dx = dout * (x > 0).", RELU,
                      predicts(lambda c: {"dx": c.inputs["dout"] * (c.inputs["x"] <= 0)})),
        sign_flipped(["dx"], RELU),
        *in_place("dout", RELU),
    ],
    "softmax_loss": [
        Misconception("no-max-shift-overflow", "exp overflows at large scores because the row maximum is not "
                      "subtracted first", "softmax(s) = softmax(s - max(s)) for each row: subtract the row "
                      "maximum before np.exp, so the largest exponent is 0.", SOFTMAX, holds(_no_max_shift)),
        Misconception("log-of-underflowed-probability", "the loss takes the log of a probability that underflowed "
                      "to 0 at large scores (the max shift is there, and dscores is right)",
                      "Compute log-probabilities directly: shifted - log(sum(exp(shifted))), then pick each row's "
                      "label; never log(exp(...) / sum), which is log(0) = -inf once a probability underflows.",
                      SOFTMAX, _log_of_underflowed_probability),
        Misconception("epsilon-inside-log", "an epsilon inside the log caps the loss at -log(eps), so at large "
                      "scores the loss is far too small", "log(p + eps) hides log(0) but gives a wrong loss "
                      "wherever p < eps: compute log-probabilities as shifted - log(sum(exp(shifted))) instead.",
                      SOFTMAX, _log_with_epsilon),
        Misconception("missing-one-hot-subtraction", "dscores is missing the -1 at the correct class (the rows of "
                      "dscores sum to 1/N instead of 0)", "dL/dscores = (probs - one_hot(y)) / N: subtract 1 at "
                      "each example's correct class.", SOFTMAX,
                      predicts(lambda c: {"dscores": _softmax(c.inputs["scores"], 1) / len(c.inputs["y"])})),
        Misconception("labels-indexed-by-column", "the labels are used with [:, y], which picks whole columns "
                      "instead of one entry per row", "Pick each row's correct class with "
                      "probs[np.arange(N), y]; probs[:, y] is an N x N array.", SOFTMAX,
                      any_of(lambda c: {"loss": _loss_by_columns(c),
                                        "dscores": _softmax_grads(_softmax(c.inputs["scores"], 1), slice(None),
                                                                  c.inputs["y"])},
                             lambda c: {"dscores": _softmax_grads(_softmax(c.inputs["scores"], 1), slice(None),
                                                                  c.inputs["y"])},
                             lambda c: {"loss": _loss_by_columns(c)},  # the gradient written right
                             lambda c: {"loss": _loss_by_columns(c) * len(c.inputs["y"])})),  # sum / N
        Misconception("softmax-wrong-axis", "the softmax is normalised over the batch (axis 0) instead of over "
                      "the classes", "Each row is one example: normalise with sum(axis=1, keepdims=True).",
                      SOFTMAX, any_of(
                          lambda c: {"dscores": _softmax_grads(_softmax(c.inputs["scores"], 0),
                                                               np.arange(len(c.inputs["y"])), c.inputs["y"])},
                          lambda c: {"dscores": _softmax(c.inputs["scores"], 0) / len(c.inputs["y"])})),
        Misconception("loss-summed-not-averaged", "the loss is summed over the batch instead of averaged",
                      "The loss is the mean over the N examples: divide the sum by N.", SOFTMAX,
                      predicts(lambda c: {"loss": c.expected["loss"] * len(c.inputs["y"])})),
        Misconception("missing-1-over-N-in-gradient", "dscores is missing the 1/N of the mean",
                      "The loss averages over N examples, so every entry of dscores is divided by N too.",
                      SOFTMAX, predicts(lambda c: {"dscores": c.expected["dscores"] * len(c.inputs["y"])})),
        sign_flipped(["dscores"], SOFTMAX),
        *in_place(None, SOFTMAX),
    ],
    "count_params": [
        Misconception("forgets-biases", "the biases are not counted",
                      "Each layer has d_in * d_out weights plus d_out biases.", COUNTING,
                      predicts(_counts(lambda a, b: a * b))),
        Misconception("double-counts-biases", "the biases are counted twice",
                      "A layer's d_out biases are counted once: d_in * d_out + d_out.", COUNTING,
                      predicts(_counts(lambda a, b: (a + 1) * b + b))),
        Misconception("bias-sized-by-input", "each layer gets one bias per input unit instead of per output unit",
                      "A bias belongs to a unit the layer computes, so there are d_out of them.", COUNTING,
                      predicts(_counts(lambda a, b: a * b + a))),
        Misconception("counts-only-one-layer", "only one weight matrix, from the input to the output, is counted",
                      "Every pair of consecutive layers has its own weights: sum over zip(dims[:-1], dims[1:]).",
                      COUNTING, predicts(lambda c: {"count": c.inputs["layer_dims"][0] * c.inputs["layer_dims"][-1]
                                                    + (c.inputs["layer_dims"][-1] if c.inputs["bias"] else 0)})),
        Misconception("ignores-bias-flag", "the biases are counted even when bias=False",
                      "With bias=False the layers have weights only: add the d_out biases only when bias is true.",
                      COUNTING, predicts(lambda c: None if c.inputs["bias"] else {"count": sum(
                          a * b + b for a, b in zip(c.inputs["layer_dims"][:-1], c.inputs["layer_dims"][1:]))})),
    ],
    "zero_init_loss": [
        Misconception("wrong-log-base", "the loss uses a logarithm in another base",
                      "Cross-entropy uses the natural log: with all scores equal, the loss is ln(C).", INIT,
                      any_of(lambda c: {"answer": np.log2(c.inputs["num_classes"])},
                             lambda c: {"answer": np.log10(c.inputs["num_classes"])})),
    ],
    "preactivation_scale": [
        Misconception("sums-magnitudes-not-variances", "the scale grows like d_in instead of sqrt(d_in)",
                      "Independent terms add their variances, not their sizes: the standard deviation of a sum "
                      "of d_in terms grows like sqrt(d_in).", INIT,
                      predicts(lambda c: {"answer": c.inputs["weight_scale"] * c.inputs["d_in"]})),
    ],
    "glorot_scale": [
        Misconception("glorot-without-relu-factor", "the factor 2 that ReLU needs is missing",
                      "ReLU zeroes half of its inputs, halving the variance, so the ReLU version of Glorot's "
                      "scale has 4 / (d_in + d_out) under the square root.", INIT,
                      predicts(lambda c: {"answer": np.sqrt(2.0 / (c.inputs["d_in"] + c.inputs["d_out"]))})),
    ],
    "sgd_iterations": [
        Misconception("drops-last-batch", "the last, smaller batch of each epoch is not counted",
                      "An epoch that does not divide evenly ends with a partial batch: round up "
                      "(ceil(num_examples / batch_size)).", SGD,
                      predicts(lambda c: {"answer": c.inputs["epochs"] * (c.inputs["num_examples"]
                                                                         // c.inputs["batch_size"])})),
    ],
    "relu_chain_grads": [
        Misconception("relu-backward-no-mask", "the gradient goes back through the ReLU without its mask",
                      "Multiply by (W @ x > 0) on the way back through the ReLU.", CHAIN,
                      predicts(_relu_chain_without_mask)),
    ],
    "sigmoid_neuron_grads": [
        Misconception("missing-sigmoid-derivative", "the local gradient of the sigmoid, f(1 - f), is missing",
                      "Chain rule: each gradient is the product of the gate's input and sigmoid'(z) = f(1 - f).",
                      SIGMOID, predicts(lambda c: {"output 0": np.array([c.inputs["x"][0], c.inputs["x"][1], 1.0]),
                                                   "output 1": np.array(c.inputs["w"][:2], dtype=np.float64)})),
    ],
}
