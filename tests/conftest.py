"""Shared fixtures: the project's grader.toml, fast settings for tests, real submission files, and the real
otter-grader in a venv of its own."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.authoring.notebooks import notebook_from_source, write_notebook
from autograder.course.config import GraderConfig, load_config
from autograder.course.registry import ASSIGNMENTS
from autograder.course.tasks import BackwardTask, TrainTask
from autograder.diagnosis.corpus import labels

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "tests" / "mutants"
OTTER = "otter-grader==7.0.0"
OTTER_VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "autograder-tests" / "otter-7.0.0"

# Which tasks call (or consume the cache of) which: a bug in a task may also cost points on these, never on others.
DEPENDENTS = {
    "linear_forward": {"linear_backward"},
    "relu_forward": {"relu_backward"},
    "rnn_step_forward": {"rnn_step_backward", "rnn_forward", "rnn_backward"},
    "rnn_step_backward": {"rnn_backward"},
    "rnn_forward": {"rnn_backward"},
}
for _assignment in ASSIGNMENTS.values():  # a backward needs its forward's cache; a trained model every layer
    for _task in _assignment.tasks:
        if isinstance(_task, BackwardTask):
            DEPENDENTS.setdefault(_task.forward, set()).add(_task.name)
        if isinstance(_task, TrainTask):
            for _layer in _task.uses:
                DEPENDENTS.setdefault(_layer, set()).add(_task.name)


def affected(*tasks: str) -> set[str]:
    """The tasks and everything that depends on them."""
    found, frontier = set(tasks), list(tasks)
    while frontier:
        for dependent in DEPENDENTS.get(frontier.pop(), ()):
            if dependent not in found:
                found.add(dependent)
                frontier.append(dependent)
    return found


@pytest.fixture(scope="session")
def config() -> GraderConfig:
    return load_config(ROOT / "grader.toml")


@pytest.fixture(scope="session")
def fast_config(tmp_path_factory: pytest.TempPathFactory) -> GraderConfig:
    """The project's settings with 1 s timeouts, for tests that run code that hangs."""
    text = (ROOT / "grader.toml").read_text()
    text = re.sub(r"call_timeout = [\d.]+", "call_timeout = 1.0", text)
    text = re.sub(r"statement_timeout = [\d.]+", "statement_timeout = 1.0", text)
    text = text.replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    path = tmp_path_factory.mktemp("config") / "grader.toml"
    path.write_text(text)
    return load_config(path)


@pytest.fixture(scope="session")
def otter_python() -> Path:
    """The interpreter of a venv holding the real otter-grader (made once; again if it is damaged). It sees this
    interpreter's packages (numpy, nbformat, nbclient, the editable grader), so only otter comes from the registry."""
    python = OTTER_VENV / "bin" / "python"
    stamp = OTTER_VENV / "requirement.txt"
    if not (stamp.is_file() and stamp.read_text().strip() == OTTER and python.is_file()):
        shutil.rmtree(OTTER_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(OTTER_VENV)], check=True,
                       timeout=120)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", OTTER],
                       check=True, timeout=600)
        stamp.write_text(OTTER + "\n")
    return python


def reference_source(assignment: str) -> str:
    return (ROOT / "reference" / f"{assignment}.py").read_text()


def mutant_header(path: Path) -> dict[str, str]:
    """task and misconception labels from a mutant's docstring."""
    task, misconception = labels(path)
    return {"task": task, "misconception": misconception}


def write_submission(directory: Path, name: str, source: str, notebook: bool = False) -> Path:
    """A real .py file, or a real nbformat notebook with one cell per definition."""
    if notebook:
        return write_notebook(notebook_from_source(source), directory / f"{name}.ipynb")
    path = directory / f"{name}.py"
    path.write_text(source)
    return path
