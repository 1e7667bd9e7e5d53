"""grader.toml is read through a typed schema; mistakes are errors that name the key."""
from __future__ import annotations

import pytest

from autograder.course.config import ConfigError, describe_schema, load_config
from autograder.course.registry import ASSIGNMENTS
from autograder.grading import points_for
from tests.conftest import ROOT


def _write(tmp_path, text):
    path = tmp_path / "grader.toml"
    path.write_text(text)
    return path


def test_project_config_loads_and_covers_every_check(config):
    """Does the shipped grader.toml give points to every check of every task?"""
    for assignment in ASSIGNMENTS.values():
        points = points_for(config, assignment)
        for task in assignment.tasks:
            assert set(points[task.name]) == set(assignment.check_names(task))


@pytest.mark.parametrize("text, key", [
    ("[grading]\nseeed = 1\n", "grading.seeed"),
    ("[tolerence]\nvalues = 1e-7\n", "tolerence"),
    ("[limits]\nmemory = 10\n", "limits.memory"),
    ('[assignments.backprop]\nreference = "r.py"\nweight = 2\n', "assignments.backprop.weight"),
])
def test_unknown_key_is_an_error_naming_it(tmp_path, text, key):
    """Is a misspelt key rejected with its full name in the message?"""
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(_write(tmp_path, text))


@pytest.mark.parametrize("text, key", [
    ("[grading]\ncall_timeout = -1\n", "grading.call_timeout"),
    ("[grading]\nseed = 1.5\n", "grading.seed"),
    ("[tolerances]\nvalues = 'small'\n", "tolerances.values"),
])
def test_invalid_value_is_an_error_naming_it(tmp_path, text, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(_write(tmp_path, text))


def test_unknown_and_missing_checks_are_errors(tmp_path):
    """Are points for a check that does not exist, or a check without points, refused before grading?"""
    text = (ROOT / "grader.toml").read_text()
    bad = load_config(_write(tmp_path, text.replace("count_params = { with_bias = 1, without_bias = 1 }",
                                                    "count_params = { with_bias = 1, without_biases = 1 }")))
    with pytest.raises(ConfigError, match="without_biases"):
        points_for(bad, ASSIGNMENTS["backprop"])
    missing = load_config(_write(tmp_path, text.replace("count_params = { with_bias = 1, without_bias = 1 }\n", "")))
    with pytest.raises(ConfigError, match="count_params is missing"):
        points_for(missing, ASSIGNMENTS["backprop"])


def test_the_course_numpy_is_a_release_number_or_unstated(tmp_path):
    """Does [grading] numpy take a release such as "1.26" or "2.4.6", default to "" (unstated), and does the
    shipped grader.toml state one?"""
    assert load_config(_write(tmp_path, '[grading]\nnumpy = "1.26"\n')).grading.numpy == "1.26"
    assert load_config(_write(tmp_path, "")).grading.numpy == ""
    assert load_config(ROOT / "grader.toml").grading.numpy != ""
    for bad in ("2.4", "'latest'", "'2.4.'", "'v2.4'"):  # a float, a word, a trailing dot, a prefix
        with pytest.raises(ConfigError, match=r"grading\.numpy must be a release number"):
            load_config(_write(tmp_path, f"[grading]\nnumpy = {bad}\n"))


def test_schema_describes_every_setting():
    text = describe_schema()
    for key in ("seed", "call_timeout", "gradcheck", "memory_mb", "numpy"):
        assert f"{key} = " in text


def test_schema_describes_the_assignment_tables():
    """`autograder schema` lists [assignments.NAME] and its points too, not only the settings with defaults."""
    text = describe_schema()
    assert "[assignments.NAME]" in text and "reference = " in text and "[assignments.NAME.points]" in text


def test_a_partial_file_is_layered_over_the_project_config(tmp_path):
    """A grader.toml that sets one key changes that key only: the rest, [assignments.*] with their references
    and points included, comes from the file it is layered over; alone, it has no assignment to grade."""
    partial = _write(tmp_path, "[grading]\ncall_timeout = 2\n\n[assignments.backprop.points]\n"
                               "linear_forward = { values = 5 }\n")
    base = load_config(ROOT / "grader.toml")
    layered = load_config(partial, over=ROOT / "grader.toml")
    assert layered.grading.call_timeout == 2 and layered.grading.seed == base.grading.seed
    assert layered.assignments["backprop"].reference == base.assignments["backprop"].reference
    points = layered.assignments["backprop"].points
    assert points["linear_forward"] == dict(base.assignments["backprop"].points["linear_forward"], values=5)
    assert points["linear_backward"] == base.assignments["backprop"].points["linear_backward"]
    assert set(layered.assignments) == set(base.assignments) and layered.over == (ROOT / "grader.toml").resolve()
    with pytest.raises(ConfigError, match="reference"):
        load_config(partial)  # alone: [assignments.backprop] names no reference
    assert load_config(ROOT / "grader.toml", over=ROOT / "grader.toml").over is None
