"""Hidden cases stay hidden: no student-facing file shows a hidden case's inputs or the reference's values."""
from __future__ import annotations

from html.parser import HTMLParser

import numpy as np

from autograder.batch import grade_batch
from autograder.cases import draw_cases, draw_inputs, draw_layer_dims
from autograder.grading import load_reference
from autograder.report.render import write_reports
from autograder.tasks import ASSIGNMENTS, CountTask, QuestionTask, Scalar
from tests.conftest import reference_source

# Every function of the reference, made wrong by a factor or an offset: every task fails on every case.
WRONG_EVERYWHERE = '''

_right = dict(globals())


def linear_forward(x, W, b):
    out, cache = _right["linear_forward"](x, W, b)
    return out + 1.0, cache


def linear_backward(dout, cache):
    return tuple(2.0 * g for g in _right["linear_backward"](dout, cache))


def relu_forward(x):
    out, cache = _right["relu_forward"](x)
    return out + 1.0, cache


def relu_backward(dout, cache):
    return 2.0 * _right["relu_backward"](dout, cache)


def softmax_loss(scores, y):
    loss, dscores = _right["softmax_loss"](scores, y)
    return 1.5 * loss, 2.0 * dscores


def count_params(layer_dims, bias=True):
    return _right["count_params"](layer_dims, bias) + 7


def _wrong(name):
    def wrong(*args):
        answer = _right[name](*args)
        return tuple(1.5 * a for a in answer) if isinstance(answer, tuple) else 1.5 * answer
    return wrong


zero_init_loss = _wrong("zero_init_loss")
preactivation_scale = _wrong("preactivation_scale")
glorot_scale = _wrong("glorot_scale")
sgd_iterations = _wrong("sgd_iterations")
relu_chain_grads = _wrong("relu_chain_grads")
sigmoid_neuron_grads = _wrong("sigmoid_neuron_grads")
'''


def _spellings(value: float | int) -> set[str]:
    """The ways a number could be printed; short ones that any page holds anyway (sizes, points) are left out."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return {str(int(value))} if abs(int(value)) >= 100 and int(value) != 784 else set()
    value = float(value)
    found = {f"{value:.4g}", f"{value:.6g}", repr(value), f"{value:.3f}"}
    return {text for text in found if len(text.strip("-0.")) >= 3}


def _secrets(config) -> set[str]:
    """Every hidden scalar input and reference answer of the backprop questions, counts and losses."""
    assignment = ASSIGNMENTS["backprop"]
    reference = load_reference(config.assignments["backprop"].reference)
    seed, count = config.grading.seed, config.grading.random_cases
    secrets: set[str] = set()
    for task in assignment.tasks:
        if isinstance(task, CountTask):
            for number in range(1, count + 3):
                dims = draw_layer_dims(seed, task.name, number)
                secrets |= {text for d in dims for text in _spellings(d)}
                for bias in (True, False):
                    secrets |= _spellings(reference.count_params(list(dims), bias))
        elif isinstance(task, QuestionTask):
            for case in draw_cases(seed, task.name, assignment.letters, count):
                args = draw_inputs(seed, task.name, case, task.inputs)
                secrets |= {text for spec, a in zip(task.inputs, args) if isinstance(spec, Scalar)
                            for text in _spellings(a)}
                answer = getattr(reference, task.name)(*args)
                if not isinstance(answer, tuple):
                    secrets |= _spellings(answer)
        elif task.name == "softmax_loss":
            for case in draw_cases(seed, task.name, assignment.letters, count):
                scores, y = draw_inputs(seed, task.name, case, task.inputs)
                secrets |= _spellings(reference.softmax_loss(scores, y)[0])
    return secrets


class _Text(HTMLParser):
    """What a page shows: its text and attribute values (tooltips), not markup, styles or drawing numbers."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "svg")
        self.parts.extend(value for name, value in attrs if name in ("title", "alt", "aria-label") and value)

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "svg")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def _shown(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    titles = [part for part in html.split("<title>")[1:]]  # svg <title> tooltips are shown on hover
    return "\n".join(parser.parts + [t.split("</title>")[0] for t in titles])


def test_no_student_facing_file_shows_a_hidden_input_or_reference_value(config, tmp_path):
    """Graded wrong on every task, do results.json and the student's feedback.html name no hidden case's
    parameters, layer sizes or the reference's answers?"""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "wrong.py").write_text(reference_source("backprop") + WRONG_EVERYWHERE)
    out = tmp_path / "out"
    report = grade_batch([folder / "wrong.py"], assignment="backprop", out_dir=out, config=config, jobs=1)
    outcomes = report.results[0].task_outcomes()
    assert all(outcome.value in ("failed", "partial") for outcome in outcomes.values()), outcomes
    write_reports(out, audience="student")
    secrets = _secrets(config)
    assert len(secrets) > 30
    for name in ("results.json", "feedback.html"):
        text = (out / "wrong" / name).read_text()
        text = _shown(text) if name.endswith(".html") else text
        leaked = sorted(secret for secret in secrets if secret in text)
        assert not leaked, f"{name} shows hidden values: {leaked}"
