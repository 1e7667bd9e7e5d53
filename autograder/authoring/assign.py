"""`autograder assign`: the student's files, generated from one source per assignment.

An assignment's notebook is written once, in `assignments/<name>/notebook.md`: prose in Markdown, code
cells as fenced ```python blocks, and a `<!-- task: NAME -->` line wherever the student implements a
function. That line becomes the function taken from `reference/<name>.py`, with its solution region replaced
by `raise NotImplementedError` (or kept, for the solution notebook the tests run). `assign` writes, for
each assignment, deterministically:

- student_template/<name>.ipynb: the notebook students open;
- student_template/<name>.py: the same functions as a plain module, for students outside Jupyter;
- student_template/<name>.checks.json: the expected values of the public checks, computed from the reference
  (the reference code itself is never shipped).
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.authoring.skeleton import BEGIN, END, skeleton_module, strip_solutions
from autograder.course.config import GraderConfig
from autograder.course.registry import ASSIGNMENTS, folder_of
from autograder.grading import load_reference, points_for
from autograder.local import record_public_checks

TASK_MARKER = re.compile(r"^<!--\s*task:\s*(\w+)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^```python\s*$")
FENCE_CLOSE = re.compile(r"^```\s*$")


class SourceError(ValueError):
    """An assignment's notebook source is malformed; the message gives the line."""


def parse_source(text: str, origin: str) -> list[tuple[str, str]]:
    """The cells of a notebook source, as (kind, body) with kind 'markdown', 'code' or 'task'."""
    cells: list[tuple[str, str]] = []
    prose: list[str] = []
    code: list[str] | None = None
    opened = 0

    def flush_prose() -> None:
        body = "\n".join(prose).strip("\n")
        if body.strip():
            cells.append(("markdown", body))
        prose.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        if code is not None:
            if FENCE_CLOSE.match(line):
                cells.append(("code", "\n".join(code).strip("\n")))
                code = None
            else:
                code.append(line)
        elif FENCE_OPEN.match(line):
            flush_prose()
            code, opened = [], number
        elif TASK_MARKER.match(line):
            flush_prose()
            cells.append(("task", TASK_MARKER.match(line).group(1)))
        else:
            prose.append(line)
    if code is not None:
        raise SourceError(f"{origin}:{opened}: code block never closed")
    flush_prose()
    return cells


def function_source(reference_text: str, name: str, origin: str) -> str:
    """The text of one top-level function of the reference, decorators and solution markers included."""
    lines = reference_text.splitlines()
    for node in ast.parse(reference_text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            end = node.end_lineno
            while end < len(lines) and re.match(r"^\s+#", lines[end]):  # trailing indented comments (END SOLUTION)
                end += 1
            return "\n".join(lines[start - 1:end])
    raise SourceError(f"{origin}: the reference has no function {name}")


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not (BEGIN.match(line) or END.match(line)))


def build_notebook(name: str, root: Path, solutions: bool = False, reference: Path | None = None) -> NotebookNode:
    """The notebook of one assignment: skeletons for students, or the reference filled in. The notebook source
    is the assignment folder's (wherever the registry found it); the reference is `reference`, by default
    root/reference/<name>.py."""
    source_path = folder_of(name) / "notebook.md"
    reference_path = reference or root / "reference" / f"{name}.py"
    reference_text = reference_path.read_text()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    cells = []
    for index, (kind, body) in enumerate(parse_source(source_path.read_text(), str(source_path)), start=1):
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(body)
        elif kind == "code":
            cell = nbformat.v4.new_code_cell(body)
        else:
            function = function_source(reference_text, body, str(reference_path))
            text = without_markers(function) if solutions else strip_solutions(function, str(reference_path))
            cell = nbformat.v4.new_code_cell(text.rstrip("\n"))
            cell.metadata["task"] = body
        cell["id"] = f"{name}-{index:03d}"  # fixed ids: regenerating gives the same bytes
        cells.append(cell)
    notebook.cells = cells
    return notebook


def write_student_files(name: str, config: GraderConfig, out_dir: Path) -> list[Path]:
    """student_template/<name>.ipynb, .py and .checks.json for one assignment."""
    root = config.root
    assignment = ASSIGNMENTS[name]
    out_dir.mkdir(parents=True, exist_ok=True)
    notebook_path = out_dir / f"{name}.ipynb"
    reference_path = config.assignments[name].reference
    notebook_path.write_text(nbformat.writes(build_notebook(name, root, reference=reference_path)) + "\n")
    module_path = out_dir / f"{name}.py"
    module_path.write_text(skeleton_module(reference_path.read_text(), str(reference_path)))
    checks = record_public_checks(assignment, config, load_reference(reference_path), points_for(config, assignment))
    checks_path = out_dir / f"{name}.checks.json"
    checks_path.write_text(json.dumps(checks, indent=1, sort_keys=True) + "\n")
    return [notebook_path, module_path, checks_path]
