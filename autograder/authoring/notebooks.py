"""Build real notebooks (nbformat v4) from Python source: one code cell per top-level definition."""
from __future__ import annotations

import ast
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode


def split_cells(source: str) -> list[str]:
    """The module header (imports) as one chunk, then each top-level function or class as its own chunk; source
    that does not parse (a mutant with a Python 2 print) is one chunk, as a student's broken cell would be."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [source]
    lines = source.splitlines()
    starts = [min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])]) for n in tree.body
              if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    bounds = [1] + starts + [len(lines) + 1]
    chunks = ["\n".join(lines[a - 1:b - 1]).strip("\n") for a, b in zip(bounds, bounds[1:])]
    return [chunk for chunk in chunks if chunk.strip()]


def notebook_from_source(source: str, extra_cells: list[str] = (), title: str = "Homework") -> NotebookNode:
    """A notebook with a title, the source split into cells, then `extra_cells` (e.g. a student's experiments)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    cells += [nbformat.v4.new_code_cell(chunk) for chunk in split_cells(source)]
    cells += [nbformat.v4.new_code_cell(extra) for extra in extra_cells]
    notebook.cells = cells
    return notebook


def write_notebook(notebook: NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
    return path
