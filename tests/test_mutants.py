"""The labelled corpus of student mistakes: each bug loses points on its own task (and only what depends on
it), each correct style gets full marks, and the diagnosis names the labelled misconception or nothing."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.course.registry import ASSIGNMENTS
from autograder.diagnosis.corpus import Verdict, figures, grade_variant
from autograder.grading import grade_submission
from autograder.local import load_public_checks
from tests.conftest import MUTANTS, ROOT, affected, mutant_header

PATHS = [path for name in sorted(ASSIGNMENTS) for path in sorted((MUTANTS / name).glob("*.py"))]
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


@pytest.mark.parametrize("path", CASES)
def test_local_full_marks_mean_full_marks_at_grading(path: Path, verdicts, config, tmp_path):
    """Does the local check keep its word: a variant whose public checks (what `check(...)` runs) give full
    marks on a task also gets full marks on that task at grading?"""
    assignment = path.parent.name
    submission = tmp_path / f"{path.stem}.py"
    submission.write_text((ROOT / "reference" / f"{assignment}.py").read_text() + "\n\n" + path.read_text())
    public = load_public_checks(ROOT / "student_template" / f"{assignment}.checks.json")
    local = grade_submission(submission, assignment, config, public=public)
    full_locally = {task for task, score in local.task_scores().items()
                    if score >= sum(c.max_score for c in local.checks if c.task == task) - 1e-9}
    broken = full_locally & verdicts[path].lost
    assert not broken, f"full marks locally, points lost at grading: {sorted(broken)}"
