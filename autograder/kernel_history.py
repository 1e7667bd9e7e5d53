"""What a Jupyter kernel's own history says about the functions `check(...)` is about to call.

A `def` cell with a syntax error does not run, so the kernel keeps the definition from an earlier run and a
check would pass on code that is no longer in the notebook. IPython keeps the source of every cell it ran in
`In` (as compiled, magics already turned into calls) and puts each cell's source in `linecache` under the file
name its functions carry in `__code__.co_filename`. Comparing the two says which cell a function came from, and
whether a later cell that defines it failed to replace it. Outside IPython (no `In`) there is nothing to say.
"""
from __future__ import annotations

import ast
import functools
import inspect
import linecache
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from autograder.sandbox.syntax import PARSE_ERRORS, explain

# a top-level def in a cell that does not parse (ast cannot say what such a cell defines)
_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(", re.MULTILINE)


@dataclass
class KernelHistory:
    """Notes for the top of the report, and the functions lost to a syntax error (for `TaskContext.lost`)."""

    notes: list[str] = field(default_factory=list)  # a function in the kernel is older than the cell that defines it
    lost: dict[str, str] = field(default_factory=dict)  # a function never defined: its cell does not parse -> why


def kernel_history(namespace: dict[str, Any], names: Iterable[str]) -> KernelHistory:
    """For each function in `names`: is the kernel's version the one its latest cell defines?

    A hint only: whatever the history holds, this never raises (a check must run all the same)."""
    try:
        return _history(namespace, list(names))
    except Exception:
        return KernelHistory()


def _history(namespace: dict[str, Any], names: list[str]) -> KernelHistory:
    history = KernelHistory()
    cells = namespace.get("In")
    if not isinstance(cells, list) or not all(isinstance(cell, str) for cell in cells):
        return history
    facts = [_cell_facts(cell) for cell in cells]
    for name in names:
        latest = next((i for i in range(len(cells) - 1, -1, -1) if name in facts[i][0]), None)
        if latest is None:  # defined some other way (imported, %run, exec): nothing to compare with
            continue
        error = facts[latest][1]
        function = namespace.get(name)
        if not callable(function):
            if error is not None:
                history.lost[name] = f"the cell run as [{latest}], {error}"
            continue
        origin = _origin_cell(function, cells)
        if origin is None or origin >= latest:  # not from a cell, or from the latest one (or a later nested def)
            continue
        if error is not None:
            why = f"has a syntax error ({error}) and did not run"
        else:
            why = "stopped with an error before its def ran"
        history.notes.append(f"{name} in your kernel is an earlier version (from the cell run as [{origin}]), and "
                             f"these checks ran on it: the cell that defines it now (run as [{latest}]) {why}. "
                             f"Fix that cell and run it, then check again.")
    return history


@functools.lru_cache(maxsize=4096)
def _cell_facts(source: str) -> tuple[frozenset[str], str | None]:
    """The functions a cell defines at top level, and, if it does not parse, where and why ("line 3: ...")."""
    try:
        tree = ast.parse(source)
    except PARSE_ERRORS as error:
        line = getattr(error, "lineno", None)
        return frozenset(_DEF.findall(source)), (f"line {line}: " if line else "") + explain(error)
    # Only defs: `linear_forward = my_version` names a function defined elsewhere, which may well be older.
    return frozenset(s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))), None


def _origin_cell(function: Any, cells: list[str]) -> int | None:
    """The latest cell whose source is the source of the file `function` was compiled from, if any."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        return None
    lines = linecache.getlines(code.co_filename)
    if not lines:
        return None
    source = "".join(lines).splitlines()  # linecache ends every line with a newline; the cell may not
    return next((i for i in range(len(cells) - 1, -1, -1) if cells[i].splitlines() == source), None)
