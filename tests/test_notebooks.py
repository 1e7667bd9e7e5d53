"""The homework notebooks executed top to bottom in a real Jupyter kernel (nbclient), as students run them."""
from __future__ import annotations

import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.authoring.assign import build_notebook
from autograder.course import registry
from autograder.course.tasks import TrainTask
from autograder.grading import grade_submission
from autograder.results import Outcome
from tests.conftest import ROOT

ASSIGNMENTS = sorted(registry.ASSIGNMENTS)  # every assignment folder found


def _execute(notebook, folder):
    """Run every cell in a fresh kernel whose working folder holds the public checks file."""
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def _check_outputs(notebook) -> dict[str, str]:
    outputs = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith("check("):
            texts = [o.get("data", {}).get("text/plain", "") for o in cell.outputs]
            outputs[cell.source] = "\n".join(texts)
    return outputs


@pytest.fixture
def workspace(tmp_path):
    for name in ASSIGNMENTS:
        shutil.copy(ROOT / "student_template" / f"{name}.checks.json", tmp_path)
    return tmp_path


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_notebook_runs_and_every_check_says_not_implemented(assignment, workspace):
    """Does the released notebook run top to bottom, with every check saying the task is not implemented yet?"""
    notebook = nbformat.read(ROOT / "student_template" / f"{assignment}.ipynb", as_version=4)
    outputs = _check_outputs(_execute(notebook, workspace))
    assert len(outputs) >= len(registry.ASSIGNMENTS[assignment].tasks)  # a check cell per task at least
    for source, text in outputs.items():
        assert "Not attempted" in text and "NotImplementedError" in text, (source, text)
    html = [o for cell in notebook.cells for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]
    assert html, "Jupyter should get the HTML view of check(...)"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_passes_every_local_check_and_grades_full_marks(assignment, workspace, config):
    """Filled in with the reference, does every local check pass, and does `grade` give full marks?"""
    notebook = _execute(build_notebook(assignment, ROOT, solutions=True), workspace)
    outputs = _check_outputs(notebook)
    for source, text in outputs.items():
        assert "[PASS]" in text and "FAIL" not in text and "PART" not in text, (source, text)
    trained_tasks = [t.name for t in registry.ASSIGNMENTS[assignment].tasks if isinstance(t, TrainTask)]
    trained = [text for source, text in outputs.items() if any(f'check("{t}")' in source for t in trained_tasks)]
    assert len(trained) == len(trained_tasks) and all("test accuracy" in text for text in trained)
    path = workspace / f"{assignment}_solution.ipynb"
    nbformat.write(notebook, str(path))
    result = grade_submission(path, assignment, config)
    assert [c.name for c in result.checks if c.outcome is not Outcome.PASSED] == []
    assert result.score == result.max_score
    assert result.notes == []  # the checker lines are not graded code, and nothing else failed to load
