"""Read a submission (a notebook, a .py file, or a folder holding one) into its code cells, without running it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_SOURCE_BYTES = 5 * 1024 * 1024
IGNORED_PARTS = {".ipynb_checkpoints", "__pycache__", ".git"}
SOURCE_SUFFIXES = (".ipynb", ".py")


class SubmissionError(ValueError):
    """The file is not a gradable submission; the message says why, for the gradebook."""


@dataclass(frozen=True)
class Cell:
    """One code cell (a .py file is a single cell, a script: its lines are named "line N", not "cell 1, line N")."""

    index: int
    source: str
    script: bool = False


@dataclass(frozen=True)
class Submission:
    id: str
    path: Path
    cells: tuple[Cell, ...]


def submission_id(path: Path) -> str:
    """The file stem, or the folder name."""
    return path.name if path.is_dir() else path.stem


def source_digest(path: Path) -> str:
    """sha256 of a submission's bytes (a folder: of every file in it, by relative path), to notice changes."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode() + b"\0")
        try:
            digest.update(file.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()


def load_submission(path: Path | str) -> Submission:
    """Code cells of a .ipynb (any nbformat version nbformat can upgrade), a .py, or a folder with one of them."""
    path = Path(path)
    source_path = _find_source(path) if path.is_dir() else path
    try:
        size = source_path.stat().st_size
    except OSError as exc:
        raise SubmissionError(f"cannot read {source_path.name}: {exc.strerror}") from None
    if size > MAX_SOURCE_BYTES:
        raise SubmissionError(f"{source_path.name} is {size} bytes, more than the {MAX_SOURCE_BYTES} allowed")
    if source_path.suffix == ".ipynb":
        cells = _notebook_cells(source_path)
    elif source_path.suffix == ".py":
        cells = (Cell(1, _text(source_path), script=True),)
    else:
        raise SubmissionError(f"{source_path.name} is neither a notebook (.ipynb) nor a Python file (.py)")
    return Submission(id=submission_id(path), path=path, cells=cells)


def _find_source(folder: Path) -> Path:
    candidates = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in SOURCE_SUFFIXES
                  and not IGNORED_PARTS.intersection(p.relative_to(folder).parts)]
    notebooks = [p for p in candidates if p.suffix == ".ipynb"]
    chosen = notebooks or candidates
    if len(chosen) != 1:
        found = ", ".join(p.name for p in chosen) or "nothing"
        raise SubmissionError(f"folder {folder.name} must hold exactly one notebook or .py file; found {found}")
    return chosen[0]


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\0" in raw:
        raise SubmissionError(f"{path.name} is a binary file, not source code")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{path.name} is not UTF-8 text") from None


def _notebook_cells(path: Path) -> tuple[Cell, ...]:
    text = _text(path)
    if not text.strip():
        raise SubmissionError(f"{path.name} is empty")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        raise SubmissionError(f"{path.name} is not a readable notebook: {str(exc).splitlines()[0][:200]}") from None
    cells = []
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            cells.append(Cell(index, cell["source"]))
    return tuple(cells)
