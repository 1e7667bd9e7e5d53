"""The misconceptions of the conv1d assignment, per task: formulas of what the mistaken code computes.

Entries come from the mistakes students make when they first write a convolution, a pooling layer and a
momentum update (padding, stride, flipped kernels, gradients not shared out or not added up, velocity
conventions), written as formulas of a case's inputs, independently of the labelled corpus in
tests/mutants/conv1d/ that measures them. Each names the notebook section that teaches the point. A case's
inputs are the task's arguments by name: x, w, b, conv_param (and dout for the backward); x, pool_param (and
dout); w, dw, v, learning_rate, momentum; length, channels, filters, kernel, stride, pad.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograder.diagnosis.diagnose import Evidence, Misconception, predicts
from autograder.diagnosis.misconceptions import all_averaged, any_of, averaged, in_place, sign_flipped

CONV = "1. 1D convolution: locality and weight sharing"
POOL = "2. Max pooling: the max gate"
MOMENTUM = "3. Learning rate and momentum"
ENVELOPE = "4. Back of the envelope: a conv layer against a dense one"


# These models ship to students inside the release wheel, so none repeats a line of reference/conv1d.py (the
# release refuses one that does): windows are given by their starts, gradients are routed with einsum and masks.
def _padded(x: np.ndarray, pad: int) -> np.ndarray:
    return np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (pad, pad)))


def _starts(width: int, size: int, stride: int) -> range:
    """Where each window of `size` entries that fits in `width` entries begins, `stride` apart (W_out of them)."""
    return range(0, width - size + 1, stride)


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray | None:
    """out (N, F, W_out) of a cross-correlation; None when the kernel does not fit (no output to predict)."""
    x_pad = _padded(x, pad)
    kernel = w.shape[2]
    starts = _starts(x_pad.shape[2], kernel, stride)
    if not starts:
        return None
    out = np.stack([np.einsum("nck,fck->nf", x_pad[:, :, s:s + kernel], w) for s in starts], axis=2)
    return out + b[None, :, None]


def _conv_grads(x: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int, pad: int) -> dict[str, np.ndarray]:
    """The gradients as the backward loop computes them, output i's window starting at i * stride for each of
    dout's W_out positions: "dx_pad" (the gradient of the padded input, padding not cut off), "dw" and "db"."""
    x_pad = _padded(x, pad)
    kernel = w.shape[2]
    grads = {"dx_pad": np.zeros(x_pad.shape), "dw": np.zeros(w.shape), "db": dout.sum(axis=(0, 2))}
    for i, start in enumerate(range(0, stride * dout.shape[2], stride)):
        upstream = dout[:, :, i]  # (N, F)
        grads["dw"] += np.einsum("nf,nck->fck", upstream, x_pad[:, :, start:start + kernel])
        grads["dx_pad"][:, :, start:start + kernel] += np.einsum("nf,fck->nck", upstream, w)
    return grads


def _conv_inputs(c: Evidence) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    param = c.inputs["conv_param"]
    return c.inputs["x"], c.inputs["w"], c.inputs["b"], int(param["stride"]), int(param["pad"])


def _forward(stride_one: bool = False, no_pad: bool = False, flip: bool = False, bias_copies: str = "one",
             ) -> Any:
    """conv1d_forward written with one mistake: the stride or the padding ignored, the kernel flipped (a true
    convolution), or the bias added once per input channel (or not at all)."""

    def model(c: Evidence) -> dict[str, Any] | None:
        x, w, b, stride, pad = _conv_inputs(c)
        scale = {"one": 1, "per-channel": x.shape[1], "none": 0}[bias_copies]
        out = _conv(x, w[:, :, ::-1] if flip else w, scale * b, 1 if stride_one else stride, 0 if no_pad else pad)
        return None if out is None else {"out": out}

    return model


def _backward(kind: str) -> Any:
    """conv1d_backward written with one of the classic mistakes."""

    def model(c: Evidence) -> dict[str, Any] | None:
        x, w, _, stride, pad = _conv_inputs(c)
        dout = np.asarray(c.inputs["dout"], dtype=np.float64)
        if kind == "keeps-padding":
            return {"dx": _conv_grads(x, w, dout, stride, pad)["dx_pad"]}
        if kind == "last-example":
            return {"dw": _conv_grads(x[-1:], w, dout[-1:], stride, pad)["dw"]}
        if kind == "db-per-position":
            return {"db": dout.sum(axis=0)}
        grads = _conv_grads(x, w, dout, 1, pad)  # kind == "stride-one": windows one position apart
        return {"dx": grads["dx_pad"][:, :, pad:grads["dx_pad"].shape[2] - pad], "dw": grads["dw"]}

    return model


def _pool_inputs(c: Evidence) -> tuple[np.ndarray, int, int]:
    param = c.inputs["pool_param"]
    return np.asarray(c.inputs["x"], dtype=np.float64), int(param["pool"]), int(param["stride"])


def _pool(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    return np.stack([x[:, :, s:s + pool].max(axis=2) for s in _starts(x.shape[2], pool, stride)], axis=2)


def _pool_backward(kind: str) -> Any:
    """maxpool1d_backward written with one mistake: the gradient spread over the window (shared out as an
    average pool does, or copied to every entry), the winners of overlapping windows overwritten instead of
    added up, or the winner's index within its window used as if it were its position in the sequence."""

    def model(c: Evidence) -> dict[str, Any]:
        x, pool, stride = _pool_inputs(c)
        dout = np.asarray(c.inputs["dout"], dtype=np.float64)
        positions = np.arange(x.shape[2])
        grad = np.zeros(x.shape)
        for i, start in enumerate(range(0, stride * dout.shape[2], stride)):
            upstream = dout[:, :, i, None]  # (N, C, 1)
            if kind in ("average", "copy"):
                grad[:, :, start:start + pool] += upstream / (pool if kind == "average" else 1)
                continue
            offset = 0 if kind == "no-offset" else start
            winner = offset + np.argmax(x[:, :, start:start + pool], axis=2)  # (N, C)
            routed = positions == winner[:, :, None]  # (N, C, W): the one entry a window's gradient goes to
            grad = np.where(routed, upstream, grad) if kind == "overwrite" else grad + routed * upstream
        return {"dx": grad}

    return model


def _step(c: Evidence) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    return (np.asarray(c.inputs["w"], dtype=np.float64), np.asarray(c.inputs["dw"], dtype=np.float64),
            np.asarray(c.inputs["v"], dtype=np.float64), float(c.inputs["learning_rate"]),
            float(c.inputs["momentum"]))


def _update(velocity: Any) -> Any:
    """sgd_momentum with another velocity rule, the weights then moved by that velocity: w' = w + v'."""

    def model(c: Evidence) -> dict[str, Any]:
        w, dw, v, lr, mu = _step(c)
        next_v = velocity(dw, v, lr, mu)
        return {"output 0": w + next_v, "output 1": next_v}

    return model


def _sizes(c: Evidence) -> tuple[int, int, int, int, int, int]:
    return tuple(int(c.inputs[k]) for k in ("length", "channels", "filters", "kernel", "stride", "pad"))


def _counts(out_length: Any = None, conv: Any = None, dense: Any = None) -> Any:
    """conv_vs_dense with one of its three formulas replaced; the others kept: the right output length and conv
    count are the reference's answers, which the evidence carries, and the dense count is fed the student's
    output length."""

    def model(c: Evidence) -> dict[str, Any] | None:
        length, channels, filters, _, _, _ = _sizes(c)
        found = out_length() if out_length else c.expected["output 0"]
        if found is None:
            return None
        conv_count = conv() if conv else c.expected["output 1"]
        dense_count = (dense or (lambda n: (channels * length + 1) * filters * n))(found)
        return {"output 0": found, "output 1": conv_count, "output 2": dense_count}

    return model


def _length_without_padding(c: Evidence) -> Any:
    length, _, _, kernel, stride, _ = _sizes(c)
    return _counts(out_length=lambda: len(_starts(length, kernel, stride)) or None)(c)


def _length_not_floored(c: Evidence) -> Any:
    length, _, _, kernel, stride, pad = _sizes(c)
    return _counts(out_length=lambda: (length + 2 * pad - kernel) / stride + 1)(c)


def _without_biases(c: Evidence) -> Any:
    length, channels, filters, kernel, _, _ = _sizes(c)
    return _counts(conv=lambda: filters * channels * kernel, dense=lambda n: channels * length * filters * n)(c)


def _no_weight_sharing(c: Evidence) -> Any:
    # without weight sharing each of the W_out positions would hold its own copy of the F * C * K + F parameters
    return _counts(conv=lambda: c.expected["output 1"] * c.expected["output 0"])(c)


CATALOGUE: dict[str, list[Misconception]] = {
    "conv1d_forward": [
        Misconception("padding-ignored", "the P zeros are never added at the ends of the sequences",
                      "Pad first, np.pad(x, ((0, 0), (0, 0), (P, P))), then slide the filters over the padded "
                      "sequence: W_out = 1 + (W + 2P - K) // S.", CONV, predicts(_forward(no_pad=True))),
        Misconception("stride-ignored", "the filters move one position at a time whatever the stride",
                      "Output i looks at the window that starts at i * S, and there are 1 + (W + 2P - K) // S "
                      "of them.", CONV, predicts(_forward(stride_one=True))),
        Misconception("kernel-flipped", "the filter is flipped, as in the convolution of signal processing",
                      "Deep-learning layers compute a cross-correlation: out[n, f, i] uses w[f, c, k] with "
                      "xpad[n, c, i * S + k], k in the same order in both.", CONV, predicts(_forward(flip=True))),
        Misconception("bias-added-per-channel", "the bias is added once for every input channel",
                      "b[f] belongs to the filter, not to a channel: add it once to each output, after summing "
                      "over the channels and the kernel.", CONV, predicts(_forward(bias_copies="per-channel"))),
        Misconception("forgets-bias", "the bias b is never added",
                      "Every output of filter f gets b[f]: add b[None, :, None].", CONV,
                      predicts(_forward(bias_copies="none"))),
        *in_place(None, CONV),
    ],
    "conv1d_backward": [
        Misconception("dx-keeps-padding", "dx is the gradient of the padded input, padding included",
                      "The padding zeros are not inputs: cut the gradient back to the shape of x with "
                      "dx_pad[:, :, P:P + W].", CONV, predicts(_backward("keeps-padding"))),
        Misconception("backward-ignores-stride", "the backward pass places its windows one position apart "
                      "whatever the stride", "Follow the forward loop: the gradient of output i goes to the "
                      "window that starts at i * S.", CONV, predicts(_backward("stride-one"))),
        Misconception("dw-from-last-example", "dw is overwritten for each example, so only the last one counts",
                      "The filters are shared by every example and every position: add each example's "
                      "contribution to dw (+=), or sum over both axes at once.", CONV,
                      predicts(_backward("last-example"))),
        Misconception("db-not-summed-over-positions", "db keeps one entry per output position",
                      "A filter's bias is added at every position, so db sums dout over the batch and the "
                      "positions: dout.sum(axis=(0, 2)), shaped like b, (F,).", CONV,
                      predicts(_backward("db-per-position"))),
        averaged("db", CONV), averaged("dw", CONV), all_averaged(["dx", "dw", "db"], CONV),
        sign_flipped(["dx", "dw", "db"], CONV),
        *in_place("dout", CONV),
    ],
    "maxpool1d_forward": [
        Misconception("pool-stride-ignored", "the pooling windows move one position at a time whatever the "
                      "stride", "Window i starts at i * S: there are 1 + (W - K) // S of them.", POOL,
                      predicts(lambda c: {"out": _pool(*_pool_inputs(c)[:2], 1)})),
        Misconception("pool-stride-is-window", "the windows are taken side by side (stride K) whatever the "
                      "stride", "Window i starts at i * S; windows overlap when S < K.", POOL,
                      predicts(lambda c: {"out": _pool(*_pool_inputs(c)[:2], _pool_inputs(c)[1])})),
        *in_place(None, POOL),
    ],
    "maxpool1d_backward": [
        Misconception("pool-gradient-spread-over-window", "the gradient of a window is spread over all of its "
                      "entries instead of going to its maximum", "Max is a router: only the largest entry "
                      "influenced the output, so it receives the whole upstream gradient and the others "
                      "receive 0 (that is np.argmax of the window).", POOL,
                      any_of(_pool_backward("average"), _pool_backward("copy"))),
        Misconception("pool-overlaps-overwritten", "when windows overlap, a winner of several windows keeps "
                      "only the gradient of the last one", "An entry that is the maximum of several windows "
                      "influenced each of their outputs: add their gradients (dx[...] += ...).", POOL,
                      predicts(_pool_backward("overwrite"))),
        Misconception("pool-argmax-not-offset", "the winner's index inside its window is used as its position "
                      "in the sequence", "np.argmax of a window counts from the window's start: add i * S to "
                      "find the entry in x.", POOL, predicts(_pool_backward("no-offset"))),
        sign_flipped(["dx"], POOL),
        *in_place("dout", POOL),
    ],
    "sgd_momentum": [
        Misconception("gradient-added-not-subtracted", "the gradient is added to the velocity, so the update "
                      "climbs the loss", "The step goes downhill: v' = momentum * v - learning_rate * dw.",
                      MOMENTUM, predicts(_update(lambda dw, v, lr, mu: mu * v + lr * dw))),
        Misconception("learning-rate-momentum-swapped", "the learning rate and the momentum are swapped",
                      "The momentum scales the old velocity (the memory of past steps), the learning rate "
                      "scales the present gradient.", MOMENTUM,
                      predicts(_update(lambda dw, v, lr, mu: lr * v - mu * dw))),
        Misconception("momentum-ignored", "the old velocity is left out: the update is plain SGD",
                      "v' = momentum * v - learning_rate * dw keeps a fraction of the previous velocity.",
                      MOMENTUM, predicts(_update(lambda dw, v, lr, mu: -lr * dw))),
        Misconception("steps-with-old-velocity", "the weights move by the old velocity instead of the new one",
                      "Update the velocity first, then move the weights by it: w' = w + v'.", MOMENTUM,
                      predicts(lambda c: {"output 0": _step(c)[0] + _step(c)[2],
                                          "output 1": c.expected["output 1"]})),
        Misconception("velocity-not-updated", "the velocity returned is the one passed in",
                      "Return the new velocity v' as well: the caller feeds it to the next step.", MOMENTUM,
                      predicts(lambda c: {"output 1": _step(c)[2]})),
        *in_place(None, MOMENTUM),
    ],
    "conv_vs_dense": [
        Misconception("forgets-biases", "the biases are not counted",
                      "The conv layer has one bias per filter, F; the dense layer one per output, F * W_out.",
                      ENVELOPE, predicts(_without_biases)),
        Misconception("output-length-without-padding", "the output length leaves out the padding",
                      "The filters slide over the padded sequence, W + 2P long: W_out = 1 + (W + 2P - K) // S.",
                      ENVELOPE, predicts(_length_without_padding)),
        Misconception("output-length-not-floored", "the output length is not rounded down",
                      "A window that would run past the end is not computed: W_out = 1 + (W + 2P - K) // S, "
                      "an integer division.", ENVELOPE, predicts(_length_not_floored)),
        Misconception("conv-params-per-position", "the conv layer is counted with its own filters at every "
                      "output position", "The F filters are shared by all positions: F * C * K weights and F "
                      "biases, whatever the length of the sequence.", ENVELOPE, predicts(_no_weight_sharing)),
    ],
}
