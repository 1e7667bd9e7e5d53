"""The package's rooms and the one way data flows through them: notebook -> student code in a worker -> checks ->
results -> reports. Each subpackage says what it is for, no module grows past ~400 lines, and no room imports
from a room downstream of it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "autograder"
ROOMS = ["sandbox", "course", "intake", "checks", "diagnosis", "batch", "report", "authoring", "similarity"]
# room -> the parts of the package it must never import (what comes after it in the flow, or beside it)
NEVER = {
    "sandbox": ["checks", "diagnosis", "batch", "report", "authoring", "grading", "local"],
    "intake": ["sandbox", "checks", "diagnosis", "batch", "report", "authoring", "grading"],
    "checks": ["batch", "report", "authoring"],
    "diagnosis": ["batch", "report", "authoring"],
    "report": ["grading", "checks", "sandbox.runner", "sandbox.workers", "sandbox.worker", "authoring"],
    # it reads submissions as text and never runs them
    "similarity": ["sandbox", "checks", "grading", "local", "diagnosis", "batch"],
}


def _imports(path: Path) -> set[str]:
    """The autograder modules a file imports (`from autograder.x import y` gives autograder.x and autograder.x.y)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograder"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("autograder"))
    return found


@pytest.mark.parametrize("room", ROOMS)
def test_every_room_says_what_it_is_for(room: str) -> None:
    init = PACKAGE / room / "__init__.py"
    assert init.is_file() and ast.get_docstring(ast.parse(init.read_text())), f"{room}/__init__.py needs a docstring"


def test_no_module_is_over_about_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 420}
    assert not long, long


@pytest.mark.parametrize("room", sorted(NEVER))
def test_imports_run_one_way(room: str) -> None:
    banned = [f"autograder.{part}" for part in NEVER[room]]
    wrong = {}
    for path in sorted((PACKAGE / room).rglob("*.py")):
        hits = sorted(m for m in _imports(path) if any(m == b or m.startswith(b + ".") for b in banned))
        if hits:
            wrong[str(path.relative_to(ROOT))] = hits
    assert not wrong, wrong
