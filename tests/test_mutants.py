"""Realistic buggy implementations lose points on the task they break; correct ones in other styles don't."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading import grade_submission
from tests.conftest import (
    MUTANTS,
    affected,
    mutant_header,
    reference_source,
    write_submission,
)

CASES = [pytest.param(path.parent.name, path, id=f"{path.parent.name}/{path.stem}")
         for path in sorted(MUTANTS.glob("*/*.py"))]


def _lost(result) -> set[str]:
    maximum: dict[str, float] = {}
    for check in result.checks:
        maximum[check.task] = maximum.get(check.task, 0.0) + check.max_score
    return {task for task, score in result.task_scores().items() if score < maximum[task] - 1e-9}


def test_corpus_is_big_enough():
    """Are there at least 10 buggy and 5 correct variants, each labelled?"""
    labels = [mutant_header(path) for _, path in (c.values for c in CASES)]
    assert sum(label["task"] != "none" for label in labels) >= 10
    assert sum(label["task"] == "none" for label in labels) >= 5


@pytest.mark.parametrize("assignment, path", CASES)
def test_variant_is_graded_on_the_right_task(assignment: str, path: Path, config, tmp_path):
    """Does a bug cost points on its task (or one that calls it) and nowhere else; does a correct style get full marks?"""
    label = mutant_header(path)
    source = reference_source(assignment) + "\n\n" + path.read_text()
    result = grade_submission(write_submission(tmp_path, path.stem, source), assignment, config)
    lost = _lost(result)
    if label["task"] == "none":
        assert lost == set(), [(c.name, c.feedback) for c in result.checks if c.score < c.max_score]
    else:
        assert label["task"] in lost
        assert lost <= affected(label["task"]), f"unrelated tasks lost points: {lost - affected(label['task'])}"
