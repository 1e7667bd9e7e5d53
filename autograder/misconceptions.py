"""The misconceptions the grader can name, per task, each with the evidence that would show it.

Each entry models what the mistaken code computes, from the inputs of a case (or states a test on the
evidence), so it is confirmed or ruled out by the student's own answers. The list is ordered: the first
entry that fits is named. Entries come from mistakes students make in these exercises (course notes and
forum threads), written here as formulas, independently of the labelled corpus in tests/mutants/ that
measures them.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograder.diagnosis import EVERY, Evidence, Fits, Misconception, predicts, same
from autograder.numpy_removals import removal_in

AFFINE = "2. The affine layer and the chain rule in matrix form"
RELU = "3. ReLU, and the rules of a computational graph"
SIGMOID = "A worked example: one sigmoid neuron"
CHAIN = "The chain rule twice: y = ReLU(Wx), m = Zy, L = sum(m²)"
SOFTMAX = "4. Softmax cross-entropy, computed stably"
COUNTING = "1. Width and depth: counting parameters"
INIT = "5. Initialization"
SGD = "7. Minibatch SGD"
STEP = "1. One step"
BPTT = "2. A whole sequence, and backprop through time"
GROWTH = "3. Exploding and vanishing gradients"

Model = Callable[[Evidence], "dict[str, Any] | None"]


def any_of(*models: Model) -> Fits:
    """Fits when one of several ways of writing the same mistake fits."""
    tests = [predicts(model) for model in models]
    return lambda evidence: next((found for found in (test(evidence) for test in tests) if found), None)


def holds(test: Callable[[list[Evidence]], bool]) -> Fits:
    """A hypothesis stated as a test on the whole evidence; when it holds it explains every wrong item."""
    return lambda evidence: EVERY if test(evidence) else None


def _n(case: Evidence) -> int:
    first = next(iter(case.inputs.values()))
    return int(np.shape(first)[0])


# Generic slips in a gradient: each names the item it is about, so the feedback can say which one.

def all_averaged(items: list[str], section: str) -> Misconception:
    return Misconception(
        "every-gradient-divided-by-N", "every gradient is divided by the batch size",
        "The 1/N of the mean is already inside dout (the loss's gradient): a layer's backward sums over the "
        "batch and divides by nothing.", section,
        predicts(lambda c: {item: np.asarray(c.expected[item]) / _n(c) for item in items}))


def missing_transpose(section: str) -> Misconception:
    return Misconception(
        "missing-transpose", "a matrix product in the backward pass has shapes that do not line up, "
        "most often because a transpose is missing", "Match dimensions: each gradient has the shape of what it "
        "is the gradient of, and the product that gives that shape uses the transpose of the forward pass's "
        "matrix (check too that the cache is unpacked in the order the forward packed it).", section,
        holds(_missing_transpose))


def averaged(item: str, section: str) -> Misconception:
    return Misconception(
        f"{item}-averaged-not-summed", f"{item} is averaged over the batch instead of summed",
        f"Each example adds its own contribution to {item}: sum over the batch axis, do not take the mean "
        "(any 1/N belongs in the loss, not in every layer).", section,
        predicts(lambda c: {item: c.expected[item] / _n(c)}))


def transposed(item: str, section: str) -> Misconception:
    return Misconception(
        f"{item}-transposed", f"{item} is the transpose of the right gradient",
        f"A gradient has the shape of what it is the gradient of: {item} must be shaped like "
        f"{item[1:]}. Match dimensions to decide the order of the product.", section,
        predicts(lambda c: {item: np.asarray(c.expected[item]).T} if np.ndim(c.expected[item]) == 2 else None))


def sign_flipped(items: list[str], section: str) -> Misconception:
    return Misconception(
        "sign-flip", "the gradient has the wrong sign",
        "The gradient points uphill: the update subtracts it. Recheck the sign of each local derivative.",
        section, predicts(lambda c: {item: -np.asarray(c.expected[item], dtype=np.float64) for item in items}))


def in_place(upstream: str | None, section: str) -> list[Misconception]:
    """Changing an argument in place: the caller's array (often still needed) is silently altered."""
    hint = ("Work on a copy (x.copy()) or use out-of-place operations such as np.maximum(x, 0); "
            "`a *= ...` and `a[mask] = 0` change the caller's array.")
    found = []
    if upstream is not None:
        found.append(Misconception("mutates-dout-in-place", f"{upstream} is modified in place", hint, section,
                                   holds(lambda ev: any(upstream in c.modified for c in ev)), about="inputs"))
    found.append(Misconception("mutates-input-in-place", "an input is modified in place", hint, section,
                               holds(lambda ev: any(set(c.modified) - {upstream} for c in ev)), about="inputs"))
    return found


# backprop

def _linear(c: Evidence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return c.inputs["x"], c.inputs["W"], c.inputs["dout"]


def _missing_transpose(evidence: list[Evidence]) -> bool:
    """Every call failed on a matrix product whose shapes do not line up: an operand lacks its .T."""
    failed = [c.error for c in evidence if c.error is not None]
    return bool(failed) and len(failed) == len(evidence) and all(
        "ValueError" in e and ("matmul" in e or "not aligned" in e) for e in failed)


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


# rnn

def _tanh_step(c: Evidence, x: np.ndarray, h_prev: np.ndarray, bias: bool = True) -> np.ndarray:
    return np.tanh(x @ c.inputs["Wx"] + h_prev @ c.inputs["Wh"] + (c.inputs["b"] if bias else 0))


def _step_grads(c: Evidence, da: np.ndarray, h_for_dWh: np.ndarray | None = None, transpose_wh: bool = True,
                mean_db: bool = False) -> dict[str, np.ndarray]:
    x, h_prev, Wx, Wh = c.inputs["x"], c.inputs["h_prev"], c.inputs["Wx"], c.inputs["Wh"]
    return {"dx": da @ Wx.T, "dh_prev": da @ (Wh.T if transpose_wh else Wh),
            "dWx": x.T @ da, "dWh": (h_prev if h_for_dWh is None else h_for_dWh).T @ da,
            "db": da.mean(axis=0) if mean_db else da.sum(axis=0)}


def _step_model(kind: str) -> Model:
    def model(c: Evidence) -> dict[str, Any]:
        h_next = _tanh_step(c, c.inputs["x"], c.inputs["h_prev"])
        dh = c.inputs["dh_next"]
        right = dh * (1 - h_next ** 2)
        if kind == "no-derivative":
            return _step_grads(c, dh)
        if kind == "tanh-of-output":
            return _step_grads(c, dh * (1 - np.tanh(h_next) ** 2))
        if kind == "Wh-not-transposed":
            return {"dh_prev": _step_grads(c, right, transpose_wh=False)["dh_prev"]}
        if kind == "db-mean":
            return {"db": right.mean(axis=0)}
        return {"dWh": h_next.T @ right}  # dWh from the new hidden state
    return model


def _rnn_states(c: Evidence, carry: bool = True, bias: bool = True) -> np.ndarray:
    x, h0 = c.inputs["x"], c.inputs["h0"]
    states, h = [], h0
    for t in range(x.shape[1]):
        h = _tanh_step(c, x[:, t], h if carry else h0, bias)
        states.append(h)
    return np.stack(states, axis=1)


def _bptt(kind: str) -> Model:
    """rnn_backward as written with one of the classic loop mistakes."""

    def model(c: Evidence) -> dict[str, Any]:
        x, h0, Wx, Wh, dh = c.inputs["x"], c.inputs["h0"], c.inputs["Wx"], c.inputs["Wh"], c.inputs["dh"]
        h = _rnn_states(c)
        steps = range(x.shape[1]) if kind == "forward-loop" else reversed(range(x.shape[1]))
        dx = np.zeros_like(x)
        grads = {"dWx": np.zeros_like(Wx), "dWh": np.zeros_like(Wh), "db": np.zeros(Wh.shape[0])}
        carry = dh[:, -1] if kind == "only-last" else np.zeros_like(h0)
        for t in steps:
            upstream = {"no-carry": dh[:, t], "only-last": carry}.get(kind, dh[:, t] + carry)
            h_prev = h0 if t == 0 else h[:, t - 1]
            da = upstream * (1 - h[:, t] ** 2)
            dx[:, t] = da @ Wx.T
            carry = da @ Wh.T
            step = {"dWx": x[:, t].T @ da, "dWh": h_prev.T @ da, "db": da.sum(axis=0)}
            for name, value in step.items():
                grads[name] = value if kind == "overwrite" else grads[name] + value
        if kind == "overwrite":
            return grads  # dx and dh0 are right: only the parameter gradients are overwritten
        return {"dx": dx, "dh0": carry, **grads}

    return model


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
    "rnn_step_forward": [
        Misconception("relu-instead-of-tanh", "ReLU is used where the vanilla RNN uses tanh",
                      "h_next = tanh(x @ Wx + h_prev @ Wh + b).", STEP,
                      predicts(lambda c: {"out": np.maximum(
                          c.inputs["x"] @ c.inputs["Wx"] + c.inputs["h_prev"] @ c.inputs["Wh"] + c.inputs["b"], 0)})),
        Misconception("sigmoid-instead-of-tanh", "a sigmoid is used where the vanilla RNN uses tanh",
                      "h_next = tanh(x @ Wx + h_prev @ Wh + b); tanh is centred on 0, the sigmoid is not.", STEP,
                      predicts(lambda c: {"out": 1 / (1 + np.exp(
                          -(c.inputs["x"] @ c.inputs["Wx"] + c.inputs["h_prev"] @ c.inputs["Wh"] + c.inputs["b"])))})),
        Misconception("forgets-bias", "the bias b is never added", "h_next = tanh(x @ Wx + h_prev @ Wh + b).", STEP,
                      predicts(lambda c: {"out": _tanh_step(c, c.inputs["x"], c.inputs["h_prev"], bias=False)})),
        *in_place(None, STEP),
    ],
    "rnn_step_backward": [
        missing_transpose(STEP),
        Misconception("missing-tanh-derivative", "the derivative of tanh is left out",
                      "Go back through tanh first: da = dh_next * (1 - h_next**2), then through the products.",
                      STEP, predicts(_step_model("no-derivative"))),
        Misconception("tanh-derivative-of-output", "1 - tanh(h)**2 is applied to h_next, which is already tanh(a)",
                      "h_next is tanh(a), so tanh'(a) = 1 - h_next**2: do not take tanh of it again.", STEP,
                      predicts(_step_model("tanh-of-output"))),
        Misconception("missing-transpose-Wh", "dh_prev uses Wh where the chain rule needs Wh.T",
                      "a = h_prev @ Wh + ..., so dh_prev = da @ Wh.T. Wh is square, so the shapes cannot warn you.",
                      STEP, predicts(_step_model("Wh-not-transposed"))),
        Misconception("db-averaged-not-summed", "db is averaged over the batch instead of summed",
                      "b is shared by every example: db = da.sum(axis=0).", STEP, predicts(_step_model("db-mean"))),
        Misconception("dWh-wrong-hidden-state", "dWh is built from h_next instead of h_prev",
                      "Wh multiplies h_prev in the forward pass, so dWh = h_prev.T @ da.", STEP,
                      predicts(_step_model("dWh-from-h-next"))),
        *in_place("dh_next", STEP),
    ],
    "rnn_forward": [
        Misconception("forward-no-hidden-carry", "every step starts from h0 instead of the previous hidden state",
                      "Carry the state: the h_prev of step t is the h_next of step t-1.", BPTT,
                      predicts(lambda c: {"out": _rnn_states(c, carry=False)})),
        Misconception("forgets-bias", "the bias b is never added", "Pass b to every step.", BPTT,
                      predicts(lambda c: {"out": _rnn_states(c, bias=False)})),
        Misconception("stores-previous-state", "h[:, t] holds the state before step t instead of after it",
                      "Store the new state: h[:, t] is the h_next that step t returns, so h[:, 0] is never h0.",
                      BPTT, predicts(lambda c: {"out": np.concatenate(
                          [c.inputs["h0"][:, None], _rnn_states(c)[:, :-1]], axis=1)})),
        *in_place(None, BPTT),
    ],
    "rnn_backward": [
        Misconception("bptt-no-carry", "the gradient flowing back from step t+1 is not added to dh[:, t]",
                      "h[:, t] feeds both the loss at t and step t+1: its gradient is dh[:, t] plus the dh_prev "
                      "returned by step t+1.", BPTT, predicts(_bptt("no-carry"))),
        Misconception("bptt-loops-forward-in-time", "the backward loop runs forward in time",
                      "Gradients flow from the last step to the first: loop over reversed(range(T)).", BPTT,
                      predicts(_bptt("forward-loop"))),
        Misconception("overwrite-not-accumulate", "the parameter gradients of each step overwrite the previous "
                      "ones instead of adding up", "Wx, Wh and b are shared by every step: dWx += dWx_t, and so on.",
                      BPTT, predicts(_bptt("overwrite"))),
        Misconception("bptt-only-last-step-gradient", "only the gradient of the last hidden state is used",
                      "Every h[:, t] gets its own upstream gradient dh[:, t], added to the carried gradient.",
                      BPTT, predicts(_bptt("only-last"))),
        *in_place("dh", BPTT),
    ],
    "gradient_growth": [
        Misconception("growth-linear-not-exponential", "the growth is taken as lambda * steps instead of "
                      "lambda ** steps", "Each step back multiplies by W once more, so the factor is lambda to the "
                      "power t - k.", GROWTH,
                      predicts(lambda c: {"answer": c.inputs["eigenvalue"] * c.inputs["steps"]})),
    ],
}


def _removed_numpy_name(evidence: list[Evidence]) -> bool:
    """Some call failed on a name NumPy removed, every failed call failed on one, and every other case is right."""
    failed = [case.error for case in evidence if case.error is not None]
    return bool(failed) and all(removal_in(error) for error in failed) and all(
        same(case.received[item], case.expected[item])
        for case in evidence if case.error is None for item in case.expected if item in case.received)


# Any task can meet it: code written against NumPy 1.x, graded under NumPy 2.
REMOVED_NUMPY_NAME = Misconception(
    "removed-numpy-name", "the code uses a NumPy name or keyword that newer NumPy releases removed",
    "The error above names what was removed and what to write instead. Code written for NumPy 1.x (much course "
    "material and many answers online) can fail like this under NumPy 2.", "", holds(_removed_numpy_name))


def catalogue_for(task: str) -> list[Misconception]:
    """The task's own entries, then those any task can meet."""
    return CATALOGUE.get(task, []) + [REMOVED_NUMPY_NAME]
