"""Hidden cases stay hidden: no student-facing file shows a hidden case's inputs or the reference's values."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from autograder.batch.run import grade_batch
from autograder.course.cases import draw_cases, draw_inputs, draw_layer_dims, hidden_seed
from autograder.course.config import SECRET_ENV, GraderConfig, load_config
from autograder.course.registry import ASSIGNMENTS
from autograder.course.tasks import CountTask, QuestionTask, Scalar
from autograder.grading import grade_submission, load_reference
from autograder.local import load_public_checks
from autograder.report.render import write_reports
from autograder.results import Outcome
from tests.conftest import ROOT, reference_source

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
    seed, count = hidden_seed(config.grading.seed, config.grading.secret), config.grading.random_cases
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


# The reference, with functions that put their hidden inputs into the exceptions they raise: directly, in a
# later call (what an earlier one was given), in the stability cases, and in the places a message hides besides
# its text (the worker's own `GivenUp`, a type's name, a `compile` filename).
LEAKING = '''

_seen = []


def linear_forward(x, W, b):
    _seen.append(x)
    raise ValueError(repr(x) + repr(W) + repr(b))


class GivenUp(Exception):  # the worker's name for a function the grader gave up on
    pass


def relu_forward(x):
    raise GivenUp(repr(x))


def softmax_loss(scores, y):
    raise ValueError(repr(scores))  # the ordinary cases and the large-score ones of the stability check


def count_params(layer_dims, bias=True):
    raise ValueError(repr(_seen) + repr(layer_dims))


def zero_init_loss(*args):
    raise ValueError(repr(args))


def preactivation_scale(*args):
    raise type("Leak" + repr(args), (Exception,), {})()


def glorot_scale(*args):
    exec(compile("raise ValueError()", "<" + repr(args) + ">", "exec"))
'''
LEAKED_TASKS = ("linear_forward", "relu_forward", "softmax_loss", "count_params", "zero_init_loss",
                "preactivation_scale", "glorot_scale")


def _long_numbers(text: str) -> set[str]:
    """The numbers of an array's repr with at least 6 digits: no page holds one of those by chance."""
    return {n for n in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", text) if sum(c.isdigit() for c in n) >= 6}


def _hidden_arrays(config: GraderConfig) -> set[str]:
    """The numbers of the hidden array inputs LEAKING puts in its exceptions, as numpy prints them."""
    assignment = ASSIGNMENTS["backprop"]
    seed, count = hidden_seed(config.grading.seed, config.grading.secret), config.grading.random_cases
    found: set[str] = set()
    for name in ("linear_forward", "relu_forward", "softmax_loss"):
        task = assignment.task(name)
        for case in draw_cases(seed, name, assignment.letters, count):
            found |= {n for a in draw_inputs(seed, name, case, task.inputs) for n in _long_numbers(repr(a))}
            if name == "softmax_loss":  # the large scores of the stability check, drawn as checks.loss does
                scores, _ = draw_inputs(seed, name + ":stability", case, task.inputs)
                found |= _long_numbers(repr(scores * 500.0))
    return found


def _grade(tmp_path: Path, config: GraderConfig, name: str = "leaky") -> Path:
    folder = tmp_path / f"class-{name}"
    folder.mkdir()
    (folder / f"{name}.py").write_text(reference_source("backprop") + LEAKING)
    out = tmp_path / f"out-{name}"
    grade_batch([folder / f"{name}.py"], assignment="backprop", out_dir=out, config=config, jobs=1)
    return out / name


def _with_secret(config: GraderConfig, secret: str) -> GraderConfig:
    return replace(config, grading=replace(config.grading, secret=secret))


def _withheld(graded: Path, task: str) -> list[str]:
    record = json.loads((graded / "grade.json").read_text())
    return [text for c in record["result"]["checks"] if c["task"] == task for text in c.get("withheld", [])]


def test_exceptions_of_hidden_cases_show_no_hidden_input(config, tmp_path):
    """Does student code that raises ValueError(repr(inputs)) in hidden cases see none of them in results.json
    or its feedback.html, while the type and the place of the error still show and the instructors' record
    keeps the whole text?"""
    graded = _grade(tmp_path, config)
    write_reports(graded.parent, audience="student")
    results = json.loads((graded / "results.json").read_text())
    outcomes = results["extra_data"]["outcomes"]
    assert all(outcomes[task] == "failed" for task in LEAKED_TASKS), outcomes
    hidden = _hidden_arrays(config)
    secrets = hidden | _secrets(config)
    assert len(hidden) > 100
    for text, name in (((graded / "results.json").read_text(), "results.json"),
                       (_shown((graded / "feedback.html").read_text()), "feedback.html")):
        leaked = sorted(secret for secret in secrets if secret in text)
        assert not leaked, f"{name} shows hidden inputs: {leaked[:10]}"
    feedback = {test["name"]: test["output"] for test in results["tests"]}
    assert re.search(r"raised ValueError: array\(\[\[ ?…\]\]\) \(<file>, line \d+\)",
                     feedback["softmax_loss / stability"]), feedback["softmax_loss / stability"]
    assert "large scores, case 1" in feedback["softmax_loss / stability"]
    assert all(len(line) < 400 for text in feedback.values() for line in text.splitlines())
    # What the student read scrubbed is kept whole for the instructors (grade.json, and the TA's report).
    kept = _long_numbers(" ".join(text for task in LEAKED_TASKS for text in _withheld(graded, task)))
    assert len(kept & hidden) > 50
    write_reports(graded.parent, audience="ta")
    assert "Errors in full" in (graded / "feedback-ta.html").read_text()


def test_a_secret_draws_other_hidden_cases_the_same_each_time_and_is_never_written(config, tmp_path):
    """With [grading] secret set, are the hidden inputs other than without it, the same in a second run
    with the same secret, and is the secret itself in no file of the results?"""
    secret = "correct horse battery staple"
    plain = _grade(tmp_path, _with_secret(config, ""), "plain")
    first = _grade(tmp_path, _with_secret(config, secret), "first")
    again = _grade(tmp_path, _with_secret(config, secret), "again")
    seen = {graded: " ".join(_withheld(graded, "softmax_loss") + _withheld(graded, "linear_forward"))
            for graded in (plain, first, again)}
    assert _long_numbers(seen[first]) == _long_numbers(seen[again])
    assert _long_numbers(seen[first]) & _long_numbers(seen[plain]) == set()
    assert set() < _long_numbers(seen[first]) <= _hidden_arrays(_with_secret(config, secret))
    assert set() < _long_numbers(seen[plain]) <= _hidden_arrays(_with_secret(config, ""))
    records = {graded: json.loads((graded / "grade.json").read_text()) for graded in (plain, first, again)}
    assert records[first]["fingerprint"] == records[again]["fingerprint"] != records[plain]["fingerprint"]
    write_reports(first.parent, audience="ta")
    for path in first.parent.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
    assert secret not in repr(_with_secret(config, secret))


def test_the_public_cases_do_not_depend_on_the_secret(config, tmp_path):
    """With a secret set, do the local checks still run on the cases students were shipped (the reference
    passes every one of them, against the recorded values) and fail the same way as without it?"""
    public = load_public_checks(ROOT / "student_template" / "backprop.checks.json")
    reference = tmp_path / "reference.py"
    reference.write_text(reference_source("backprop"))
    result = grade_submission(reference, "backprop", _with_secret(config, "s3cret"), public=public)
    assert all(c.outcome is Outcome.PASSED for c in result.checks), [c.name for c in result.checks
                                                                     if c.outcome is not Outcome.PASSED]
    leaky = tmp_path / "leaky.py"
    leaky.write_text(reference_source("backprop") + LEAKING)
    with_secret, without = (grade_submission(leaky, "backprop", _with_secret(config, s), public=public)
                            for s in ("s3cret", ""))
    assert [c.feedback for c in with_secret.checks] == [c.feedback for c in without.checks]
    # Public cases are public: their exceptions are shown as raised, numbers and all.
    assert "array([[" in next(c.feedback for c in without.checks if c.task == "softmax_loss")


def test_the_secret_comes_from_grader_toml_and_the_environment_wins(tmp_path, monkeypatch):
    """Is [grading] secret read from grader.toml, and does AUTOGRADER_SECRET override it?"""
    text = (ROOT / "grader.toml").read_text().replace("[grading]\n", '[grading]\nsecret = "from the file"\n', 1)
    text = text.replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    (tmp_path / "grader.toml").write_text(text)
    monkeypatch.delenv(SECRET_ENV, raising=False)
    assert load_config(tmp_path / "grader.toml").grading.secret == "from the file"
    monkeypatch.setenv(SECRET_ENV, "from the environment")
    assert load_config(tmp_path / "grader.toml").grading.secret == "from the environment"
    (tmp_path / "grader.toml").write_text(text.replace('secret = "from the file"\n', "secret = 5\n"))
    with pytest.raises(ValueError, match="grading.secret must be a string"):
        load_config(tmp_path / "grader.toml")
