"""Decide, without running anything, which top-level statements of a submission define what gets graded.

Definitions (imports, functions, classes, assignments, `if`/`try`/`with` blocks) run; experiments (top-level
loops, bare calls such as `plt.plot(...)` or `train()`) are skipped, so a student's training loop cannot make
grading slow. IPython magics and shell lines become no-ops. A cell that does not parse is reported and the
rest still runs.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from autograder.submission import Cell

KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
        ast.AnnAssign, ast.AugAssign, ast.If, ast.Try, ast.With, ast.Global)
_MAGIC = re.compile(r"^(\s*)(?:[!%]|[\w.,\s\[\]]+=\s*[!%]|[\w.]+\?{1,2}\s*$)")


@dataclass(frozen=True)
class Statement:
    """One top-level statement to run: its source and where it came from."""

    cell: int
    line: int
    source: str

    @property
    def filename(self) -> str:
        return f"<cell {self.cell}>"


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    problems: tuple[str, ...]  # cells that could not be parsed, with the reason


def plan_program(cells: tuple[Cell, ...]) -> Program:
    """The statements to run, in notebook order, and the cells that had to be skipped."""
    statements: list[Statement] = []
    problems: list[str] = []
    checker_names: set[str] = set()  # names bound to the local checker (autograder.local), not graded code
    for cell in cells:
        source = strip_magics(cell.source)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            detail = f"line {exc.lineno}: {exc.msg}" if isinstance(exc, SyntaxError) else type(exc).__name__
            problems.append(f"cell {cell.index} does not parse ({detail}); it was skipped")
            continue
        lines = source.splitlines()
        body = tree.body
        for i, node in enumerate(body):
            if not _is_definition(node) or _uses_checker(node, checker_names):
                continue
            shares_line = (i > 0 and body[i - 1].end_lineno == node.lineno) or \
                (i + 1 < len(body) and body[i + 1].lineno == node.end_lineno)
            if shares_line:  # `a = 1; b = 2`: take just this statement's text
                statements.append(Statement(cell.index, node.lineno, ast.get_source_segment(source, node)))
            else:  # whole lines, so decorators and comments come along
                start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                statements.append(Statement(cell.index, start, "\n".join(lines[start - 1:node.end_lineno])))
    return Program(tuple(statements), tuple(problems))


def strip_magics(source: str) -> str:
    """Replace IPython magics, shell escapes and `?` help lines with `pass`; drop cells that are cell magics."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join(_MAGIC.sub(r"\1pass #", line, count=1) if _MAGIC.match(line) else line
                     for line in source.splitlines())


def _uses_checker(node: ast.stmt, checker_names: set[str]) -> bool:
    """Whether a statement sets up or uses the student's local checker: such lines are for Jupyter only.

    `from autograder... import X` and `import autograder` bind checker names; a statement other than a def
    or class that reads one (`check = Checker(...)`, `if check.ready(...):`) is skipped and its targets
    become checker names too.
    """
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
        if any(m == "autograder" or m.startswith("autograder.") for m in modules):
            checker_names.update((a.asname or a.name).split(".")[0] for a in node.names)
            return True
        return False
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    read = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if not read & checker_names:
        return False
    checker_names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return True


def _is_definition(node: ast.stmt) -> bool:
    if not isinstance(node, KEPT):
        return False
    if isinstance(node, ast.If) and _is_main_guard(node.test):
        return False
    return True


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__")
