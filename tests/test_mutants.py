"""The labelled corpus of student mistakes: each bug loses points on its own task (and only what depends on
it), each correct style gets full marks, and the diagnosis names the labelled misconception or nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.corpus import Verdict, figures, grade_variant
from tests.conftest import MUTANTS, ROOT, affected, mutant_header

PATHS = sorted(MUTANTS.glob("*/*.py"))
CASES = [pytest.param(path, id=f"{path.parent.name}/{path.stem}") for path in PATHS]


@pytest.fixture(scope="module")
def verdicts(config, tmp_path_factory) -> dict[Path, Verdict]:
    """Every variant graded once, as a real submission file."""
    folder = tmp_path_factory.mktemp("corpus")
    return {path: grade_variant(path, config, folder, ROOT / "reference") for path in PATHS}


def test_corpus_is_big_enough():
    """Are there at least 30 buggy and 10 correct variants, each labelled with a task and a misconception?"""
    labels = [mutant_header(path) for path in PATHS]
    assert sum(label["task"] != "none" for label in labels) >= 30
    assert sum(label["task"] == "none" for label in labels) >= 10
    assert all(label["misconception"] != "none" for label in labels if label["task"] != "none")


@pytest.mark.parametrize("path", CASES)
def test_variant_is_graded_on_the_right_task(path: Path, verdicts):
    """Does a bug cost points on its task (or one that calls it) and nowhere else; does a correct style get full
    marks?"""
    verdict = verdicts[path]
    if verdict.correct_variant:
        assert verdict.lost == set()
    else:
        assert verdict.task in verdict.lost
        unrelated = verdict.lost - affected(verdict.task)
        assert not unrelated, f"unrelated tasks lost points: {unrelated}"


@pytest.mark.parametrize("path", CASES)
def test_diagnosis_is_the_label_or_nothing(path: Path, verdicts):
    """Never a confident wrong diagnosis: the misconception named on the buggy task is the labelled one, or
    none is named (the feedback then states only facts)."""
    verdict = verdicts[path]
    assert verdict.named <= {verdict.label}, f"named {sorted(verdict.named)}, labelled {verdict.label}"


def test_corpus_figures_hold_their_floors(verdicts):
    """Detection 100%, false fails 0%, diagnosis accuracy at least 90% (bench/diagnosis_corpus.py prints them)."""
    found = figures(list(verdicts.values()))
    detected, buggy = found["detection"]
    false_fails, correct = found["false fails"]
    diagnosed, _ = found["diagnosis"]
    assert detected == buggy
    assert false_fails == 0 and correct >= 10
    assert diagnosed / buggy >= 0.90, found
