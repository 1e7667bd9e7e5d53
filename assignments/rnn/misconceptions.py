"""The misconceptions of the rnn assignment, per task: formulas of what the mistaken code computes.

Entries come from mistakes students make in these exercises (course notes and forum threads), written as
formulas, independently of the labelled corpus in tests/mutants/rnn/ that measures them. Each names the
notebook section that teaches the point.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograder.diagnosis.diagnose import Evidence, Misconception, predicts
from autograder.diagnosis.misconceptions import Model, in_place, missing_transpose

STEP = "1. One step"
BPTT = "2. A whole sequence, and backprop through time"
GROWTH = "3. Exploding and vanishing gradients"


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
