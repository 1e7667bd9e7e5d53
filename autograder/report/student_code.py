"""The student's code on the TAs' feedback page: for each failed task, its function and the lines its failures name.

`autograder grade` writes DIR/<id>/code.json beside grade.json (batch.files.write_code): the submission's
top-level functions and classes as written, each with its cell and first line. Lines are numbered as in the
cell, the numbering the worker uses, so "(<cell 15>, line 3)" in a message is line 3 of a block from cell 15.
A code.json missing (graded before it was written), damaged, or of other bytes than its grade.json graded
(source_sha256) shows no code: the page never shows code that is not what was graded.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from autograder.report.load import Check, Submission

# how the worker names a place in the submission (checks.common.PLACE); a .py file is "<file>"
PLACE = re.compile(r"<(?:cell (\d{1,5})|file)>, line (\d{1,6})")


@dataclass(frozen=True)
class Definition:
    """One top-level function or class of a submission, as written; `line` is its first line in its cell."""

    name: str
    cell: int
    line: int
    script: bool  # from a .py file: its places are "<file>, line N"
    source: str

    @property
    def last(self) -> int:
        return self.line + max(len(self.source.splitlines()), 1) - 1

    def holds(self, cell: int | None, line: int) -> bool:
        """Whether the place (cell None for a .py file) is one of its lines."""
        return (cell is None if self.script else cell == self.cell) and self.line <= line <= self.last


@dataclass(frozen=True)
class CodeLine:
    number: int  # in the cell's numbering
    text: str
    marked: bool  # a failure of the task names this line


@dataclass(frozen=True)
class CodeBlock:
    """A definition as the page shows it: the task's own function, or one its failures point into."""

    name: str
    where: str  # "cell 15, lines 1-6" or, in a .py file, "lines 27-33"
    lines: tuple[CodeLine, ...]

    @property
    def marked(self) -> tuple[int, ...]:
        return tuple(line.number for line in self.lines if line.marked)


def load_definitions(out_dir: Path, submission: Submission) -> tuple[Definition, ...] | None:
    """The definitions in DIR/<id>/code.json, or None when there is none of the bytes this grade was given."""
    try:
        raw = json.loads((Path(out_dir) / submission.id / "code.json").read_text(encoding="utf-8"))
        if not submission.source_sha256 or raw.get("source_sha256") != submission.source_sha256:
            return None
        return tuple(_definition(entry) for entry in raw["definitions"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _definition(entry: Any) -> Definition:
    """One entry, strictly: a malformed one makes the whole file unread rather than a wrong listing."""
    if not (isinstance(entry["name"], str) and isinstance(entry["source"], str) and isinstance(entry["script"], bool)
            and all(isinstance(entry[k], int) and not isinstance(entry[k], bool) for k in ("cell", "line"))):
        raise TypeError("a definition of another shape")
    return Definition(entry["name"], entry["cell"], entry["line"], entry["script"], entry["source"])


def places(texts: Iterable[str]) -> set[tuple[int | None, int]]:
    """Every (cell, line) named in `texts`; cell None for a line of a .py file."""
    return {(int(cell) if cell else None, int(line)) for text in texts for cell, line in PLACE.findall(text)}


def failure_texts(checks: Iterable[Check]) -> list[str]:
    """What the lost checks say, to students and to TAs: the feedback, the errors in full, the evidence."""
    texts = []
    for check in checks:
        texts.append(check.result.feedback)
        texts.extend(check.result.withheld)
        texts.extend(e.message for e in check.evidence)
    return texts


def code_blocks(task: str, checks: Iterable[Check], definitions: tuple[Definition, ...]) -> tuple[CodeBlock, ...]:
    """The task's own function (its last top-level definition, the one Python keeps), then every other
    definition holding a line the failures name (a helper, or a layer a training task was built from), in
    the submission's order; each with the named lines marked."""
    named = places(failure_texts(checks))
    own = next((d for d in reversed(definitions) if d.name == task), None)
    pointed = [d for d in definitions if d is not own and any(d.holds(cell, line) for cell, line in named)]
    return tuple(_block(d, named) for d in ([own] if own else []) + pointed)


def _block(definition: Definition, named: set[tuple[int | None, int]]) -> CodeBlock:
    cell = None if definition.script else definition.cell
    lines = tuple(CodeLine(definition.line + i, text, (cell, definition.line + i) in named)
                  for i, text in enumerate(definition.source.splitlines()))
    span = f"line {definition.line}" if definition.line == definition.last else \
        f"lines {definition.line}-{definition.last}"
    return CodeBlock(definition.name, span if definition.script else f"cell {definition.cell}, {span}", lines)
