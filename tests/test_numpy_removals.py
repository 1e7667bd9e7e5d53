"""Code written for NumPy 1.x, graded under NumPy 2: the feedback names what NumPy removed and what replaces it."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from autograder.grading import grade_submission
from autograder.sandbox.numpy_removals import METHODS, NAMES, removal_hint, removal_in
from tests.conftest import reference_source, write_submission

NUMPY = tuple(int(part) for part in np.__version__.split(".")[:2])


@pytest.mark.skipif(NUMPY < (2, 4), reason="the table lists removals up to NumPy 2.4")
def test_every_listed_name_is_gone_from_the_installed_numpy():
    """Is each name of the table really missing, and does the error it raises get its sentence?"""
    for name in NAMES:
        with pytest.raises(AttributeError) as raised, warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # np.object, np.str: "will be defined" in the future
            obj = np
            for part in name.split("."):
                obj = getattr(obj, part)
        assert removal_hint("AttributeError", str(raised.value)), name
    for method in METHODS:
        with pytest.raises(AttributeError) as raised:
            getattr(np.zeros(2), method)
        assert removal_hint("AttributeError", str(raised.value)), method


def test_the_sentence_names_the_removal_and_its_replacement():
    assert removal_hint("AttributeError", "module 'numpy' has no attribute 'product'") == \
        "np.product was removed in NumPy 2.0: use np.prod"
    assert removal_hint("TypeError", "reshape() got an unexpected keyword argument 'newshape'").startswith(
        "np.reshape's newshape= keyword was removed in NumPy 2.4: pass the shape positionally")
    assert removal_in("count_params([3, 2], bias=True): raised AttributeError: module 'numpy' has no attribute "
                      "'float_' (line 4)") == "np.float_ was removed in NumPy 2.0: use np.float64"
    assert removal_hint("AttributeError", "module 'numpy' has no attribute 'prodd'") is None
    assert removal_hint("TypeError", "f() got an unexpected keyword argument 'newshape'") is None


def _graded(tmp_path, config, name: str, source: str):
    path = write_submission(tmp_path, name, reference_source("backprop") + "\n\n" + source)
    return grade_submission(path, "backprop", config)


def _feedback(result, task: str) -> str:
    return "\n".join(check.feedback for check in result.checks if check.task == task)


@pytest.mark.skipif(hasattr(np, "product"), reason="this NumPy still has np.product")
def test_np_product_in_count_params_is_named_with_its_replacement(tmp_path, config):
    """count_params multiplying shapes with np.product: the feedback says np.product is gone and to use np.prod,
    and the diagnosis names the removed name, confidently."""
    result = _graded(tmp_path, config, "product", (
        "def count_params(layer_dims, bias=True):\n"
        "    total = 0\n"
        "    for fan_in, fan_out in zip(layer_dims[:-1], layer_dims[1:]):\n"
        "        total += int(np.product((fan_in, fan_out))) + (fan_out if bias else 0)\n"
        "    return total\n"))
    feedback = _feedback(result, "count_params")
    assert "has no attribute 'product'" in feedback
    assert "np.product was removed in NumPy 2.0: use np.prod" in feedback
    assert {c.diagnosis.id for c in result.checks if c.task == "count_params" and c.diagnosis} == \
        {"removed-numpy-name"}
    assert result.task_scores()["count_params"] == 0


@pytest.mark.skipif(NUMPY < (2, 4), reason="np.reshape accepts newshape= before NumPy 2.4")
def test_reshape_newshape_in_linear_forward_is_named_with_its_replacement(tmp_path, config):
    result = _graded(tmp_path, config, "newshape", (
        "def linear_forward(x, W, b):\n"
        "    out = np.reshape(x, newshape=(x.shape[0], -1)) @ W + b\n"
        "    return out, (x, W, b)\n"))
    feedback = _feedback(result, "linear_forward")
    assert "unexpected keyword argument 'newshape'" in feedback
    assert "np.reshape's newshape= keyword was removed in NumPy 2.4: pass the shape positionally" in feedback
    assert any(c.diagnosis and c.diagnosis.id == "removed-numpy-name" for c in result.checks
               if c.task == "linear_forward")


@pytest.mark.skipif(hasattr(np, "float_"), reason="this NumPy still has np.float_")
def test_a_top_level_statement_that_fails_on_a_removed_name_says_so(tmp_path, config):
    """A top-level line that count_params reads fails on np.float_: the load note names the replacement."""
    result = _graded(tmp_path, config, "toplevel", (
        "WEIGHT_DTYPE = np.float_\n\n\n"
        "def count_params(layer_dims, bias=True):\n"
        "    sizes = np.array(layer_dims, dtype=WEIGHT_DTYPE)\n"
        "    return int(sum(sizes[:-1] * sizes[1:]) + (sum(sizes[1:]) if bias else 0))\n"))
    assert any("np.float_ was removed in NumPy 2.0: use np.float64" in note for note in result.notes), \
        result.notes
