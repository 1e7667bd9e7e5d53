"""The code of each submission, as text cut into pieces that fingerprints never straddle, and the skeleton's.

A submission is read with the grader's own reader (intake: bounded, never through a link, zips unpacked into a
scratch folder) and nothing of it runs. Its code cells are cut into top-level definitions, so that moving a
function, or a cell, changes no fingerprint. The boilerplate is what every student was given: the released
skeleton (`student_template/<name>.py`) and the notebook's code cells (`student_template/<name>.ipynb`: the
stubs with their docstrings, the setup cell, the `check(...)` calls, the given helpers and experiments).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.intake.archives import scratch_folder
from autograder.intake.discover import expand, identify
from autograder.intake.submission import SubmissionError, load_submission, submission_id

# What ast.parse raises on source that does not parse: a hostile expression nested ~10 000 deep gives MemoryError
# or RecursionError, not SyntaxError (the grader's parser knows the same list: sandbox.syntax, a room this one
# does not import); such a file is one piece, and the class is still compared.
UNPARSABLE = (SyntaxError, ValueError, MemoryError, RecursionError)


@dataclass(frozen=True)
class Chunk:
    """One top-level definition of a code cell (or a run of the other statements around them), as written."""

    cell: int  # the notebook's cell number (a .py file is one cell)
    line: int  # its first line within the cell
    text: str
    script: bool = False  # from a .py: its place is "line N", not "cell C, line N"

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.script else f"cell {self.cell}, line {self.line}"


@dataclass(frozen=True)
class Code:
    """The code of one submission; `error` says why it could not be read (it is then compared with nobody)."""

    id: str
    student: str
    chunks: tuple[Chunk, ...]
    error: str = ""


def definitions(source: str) -> list[tuple[int, str]]:
    """(first line, text) of each top-level function or class of `source`, decorators included, and of each run
    of other statements between them; source that does not parse is one piece, as the student wrote it."""
    try:
        tree = ast.parse(source)
    except UNPARSABLE:
        return [(1, source)] if source.strip() else []
    lines = source.splitlines()
    starts = {1}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            starts.update({first, node.end_lineno + 1})  # what follows a definition is a piece of its own
    bounds = sorted(s for s in starts if s <= len(lines)) + [len(lines) + 1]
    pieces = []
    for start, end in zip(bounds, bounds[1:]):
        text = "\n".join(lines[start - 1:end - 1])
        if text.strip():
            skipped = len(text) - len(text.lstrip("\n"))  # blank lines before it do not move its first line
            pieces.append((start + text[:skipped].count("\n"), text.strip("\n")))
    return pieces


def chunks_of(path: Path) -> tuple[Chunk, ...]:
    """The chunks of a notebook, a .py, or a folder holding one; SubmissionError when it cannot be read."""
    cells = load_submission(path).cells
    return tuple(Chunk(cell.index, line, text, cell.script) for cell in cells
                 for line, text in definitions(cell.source))


def read_class(paths: list[Path], *, pattern: str, naming: str = "plain", exclude: Path | None = None) -> list[Code]:
    """The code of every submission under `paths` (as `autograder grade` finds them, zips included, nothing
    under `exclude`), by id; the student of each read off its id by grader.toml's [batch] settings, so that two
    versions of one student's work are not compared."""
    with scratch_folder() as scratch:  # zips are unpacked here and removed once read
        found = []
        for path in expand([Path(p) for p in paths], scratch, exclude=exclude):
            sid = submission_id(path)
            student = identify(sid, pattern=pattern, naming=naming).student
            try:
                found.append(Code(sid, student, chunks_of(path)))
            except SubmissionError as error:
                found.append(Code(sid, student, (), str(error)))
    return found


def skeleton_files(root: Path, name: str) -> list[Path]:
    """The released files of assignment `name` in the project at `root`: student_template/<name>.ipynb and .py."""
    return [path for path in (root / "student_template" / f"{name}.ipynb", root / "student_template" / f"{name}.py")
            if path.is_file()]


def boilerplate_chunks(files: list[Path]) -> list[Chunk]:
    """Every chunk of the given files (skeletons, given code), read like submissions."""
    return [chunk for path in files for chunk in chunks_of(path)]
