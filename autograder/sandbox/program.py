"""Decide, without running anything, which top-level statements of a submission define what gets graded.

Definitions (imports, functions, classes, assignments, `if`/`try`/`with` blocks) run; experiments (top-level
loops, bare calls such as `plt.plot(...)` or `train()`) are skipped, so a student's training loop cannot make
grading slow, unless a graded function needs them: a loop or call that fills a table a graded function reads
(directly or through other functions) runs too, as it would in Python. IPython magics and shell lines become
no-ops. A cell (or .py file) that does not parse loses only the top-level definitions the bad lines are in
(autograder.sandbox.syntax); the rest runs, and what was lost is reported.
"""
from __future__ import annotations

import ast
import copy
import re
import symtable
from dataclasses import dataclass, field, replace
from typing import Iterable

from autograder.intake.submission import Cell
from autograder.sandbox.syntax import PARSE_ERRORS, Unparsed, parse_parts

KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
        ast.AnnAssign, ast.AugAssign, ast.If, ast.Try, ast.With, ast.Global)
_MAGIC = re.compile(r"^(\s*)(?:[!%]|[\w.,\s\[\]]+=\s*[!%]|[\w.]+\?{1,2}\s*$)")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
UNPARSED = "does not parse"  # in every note on lines that do not parse: the class summary counts them by it


def place(cell: Cell, line: int) -> str:
    """Where a line is, in the words a student uses: "line 12" in a .py file, "cell 4, line 12" in a notebook."""
    return _place(cell.script, cell.index, line)


def _place(script: bool, cell: int, line: int) -> str:
    return f"line {line}" if script else f"cell {cell}, line {line}"


@dataclass(frozen=True)
class Statement:
    """One top-level statement to run: its source and where it came from."""

    cell: int
    line: int
    source: str
    script: bool = False  # from a .py file: named by its line alone

    @property
    def filename(self) -> str:
        return "<file>" if self.script else f"<cell {self.cell}>"

    @property
    def place(self) -> str:
        return _place(self.script, self.cell, self.line)


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    problems: tuple[str, ...]  # what could not be parsed or is skipped although graded code needs it, and why
    lost: dict[str, str] = field(default_factory=dict)  # name defined only in lines that do not parse -> why


@dataclass(frozen=True)
class _TopLevel:
    """A parsed top-level statement with what it reads and writes; the plan is decided from these."""

    cell: Cell
    node: ast.stmt
    line: int  # its first line (a decorator's, if it has one)
    source: str  # its text, as it will run
    kind: str  # "definition" (runs), "experiment" (runs only if graded code needs it), "main guard", "checker"
    reads: frozenset[str]  # global names it reads, now or when what it defines is called
    writes: frozenset[str]  # names it binds or changes in place when it runs
    effects: frozenset[str]  # for a def: the globals that calling it binds or changes


def plan_program(cells: tuple[Cell, ...], graded: Iterable[str] = ()) -> Program:
    """The statements to run, in notebook order, the problems to report, and what was lost to syntax errors.

    `graded` names the functions the checks call: the experiments that set or change names they read (directly
    or through other top-level code) run as well.
    """
    graded = list(graded)
    problems: list[str] = []
    lost: dict[str, str] = {}
    parsed: list[_TopLevel] = []
    checker_names: set[str] = set()  # names bound to the local checker (autograder.local), not graded code
    modules: set[str] = set()  # names bound by imports: calling their methods (`np.random.seed`) changes no table
    for cell in cells:
        source = strip_magics(cell.source)
        body, unparsed = parse_parts(source)
        for part in unparsed:
            problems.append(_unparsed_note(cell, part, whole=not body and len(unparsed) == 1))
            for name in part.names:
                lost.setdefault(name, f"{place(cell, part.line)}: {part.reason}")
        lines = source.splitlines()
        for i, node in enumerate(body):
            shares_line = (i > 0 and body[i - 1].end_lineno == node.lineno) or \
                (i + 1 < len(body) and body[i + 1].lineno == node.end_lineno)
            if shares_line:  # `a = 1; b = 2`: take just this statement's text
                line, text = node.lineno, ast.get_source_segment(source, node)
            else:  # whole lines, so decorators and comments come along
                line = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                text = "\n".join(lines[line - 1:node.end_lineno])
            if _is_definition(node):
                kind = "checker" if _uses_checker(node, checker_names) else "definition"
            elif isinstance(node, ast.If) and _is_main_guard(node.test):
                kind = "main guard"
            else:
                kind = "checker" if _reads_names(node) & checker_names else "experiment"
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules.update((a.asname or a.name).split(".")[0] for a in node.names)
            parsed.append(_TopLevel(cell, node, line, text, kind, *_reads_and_writes(text, node, modules)))
    parsed = _with_call_effects(parsed)
    needed = _needed(parsed, graded)
    everything = set().union(*needed.values())
    # Data flows one way: what runs is decided here, from the source alone; the runner only runs it.
    statements = [Statement(p.cell.index, p.line, p.source, p.cell.script) for p in parsed
                  if p.kind == "definition" or (p.kind == "experiment" and p.writes & everything)]
    for p in parsed:
        if p.kind in ("main guard", "checker") and p.writes & everything:
            problems.extend(_skipped_notes(p, needed, graded))
    defined = set().union(*(p.writes for p in parsed if p.kind == "definition"))
    return Program(tuple(statements), tuple(problems), {n: why for n, why in lost.items() if n not in defined})


def _unparsed_note(cell: Cell, part: Unparsed, whole: bool) -> str:
    """What did not parse, in plain words, and what was skipped because of it."""
    where = f"line {part.line} {UNPARSED} ({part.reason})" if cell.script else \
        f"cell {cell.index} {UNPARSED} (line {part.line}: {part.reason})"
    if whole:
        return f"{where}; it was skipped"
    lines = f"line {part.first}" if part.first == part.last else f"lines {part.first}-{part.last}"
    what = f" ({', '.join(part.names)})" if part.names else ""
    verb = "was" if part.first == part.last else "were"
    return f"{where}; {lines}{what} {verb} skipped, the rest of the {'file' if cell.script else 'cell'} ran"


def _skipped_notes(skipped: _TopLevel, needed: dict[str, set[str]], graded: list[str]) -> list[str]:
    """For a statement that stays skipped although it sets names graded code needs: one note per name, with the
    line inside it that sets the name and a function that needs it."""
    notes = []
    for name in sorted(skipped.writes & set().union(*needed.values())):
        function = next(g for g in graded if name in needed[g])
        inner = [n.lineno for n in ast.walk(skipped.node) if isinstance(n, ast.stmt) and n is not skipped.node
                 and name in _changed(n, set())]
        where = place(skipped.cell, min(inner, default=skipped.line))
        sets = f"defines {name}" if name == function else f"sets {name}, which {function} needs,"
        if skipped.kind == "main guard":
            notes.append(f"{where} {sets} but was not run: it is inside `if __name__ == \"__main__\":`, which "
                         f"does not run when graded; move it out of that block")
        else:
            notes.append(f"{where} {sets} but was not run: it uses the local checker, which grading leaves out")
    return notes


def _reads_and_writes(text: str, node: ast.stmt, modules: set[str]
                      ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """What a top-level statement reads, what it writes, and (for a def) what calling it writes.

    Reads are the global names it loads without binding them itself (a loop's own variable is not a read),
    plus the globals of every function and class body in it, found by Python's own scope analysis (symtable),
    so a function's parameters and locals are never taken for globals. Lines that never run are left out (a
    skeleton's `return out, cache` after `raise NotImplementedError` reads no global `cache`).
    """
    live = _without_dead_code(node)
    if live is not node:
        node, text = live, ast.unparse(live)
    try:
        table = symtable.symtable(text, "<statement>", "exec")
    except PARSE_ERRORS:  # e.g. a top-level `await`, which IPython accepts: read every name it loads
        return frozenset(_reads_names(node)), frozenset(_changed(node, modules)), frozenset()
    reads = {s.get_name() for s in table.get_symbols() if s.is_referenced() and not s.is_assigned()}
    inner_globals: set[str] = set()
    scopes = list(table.get_children())
    while scopes:
        scope = scopes.pop()
        inner_globals.update(s.get_name() for s in scope.get_symbols() if s.is_global())
        reads.update(s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced())
        scopes.extend(scope.get_children())
    if isinstance(node, _DEFS):
        effects = set().union(*(_changed(n, modules, into_functions=True) for n in node.body)) & inner_globals
        return frozenset(reads), frozenset({node.name}), frozenset(effects)
    return frozenset(reads), frozenset(_changed(node, modules)), frozenset()


_ENDS_BLOCK = (ast.Raise, ast.Return, ast.Break, ast.Continue)


def _without_dead_code(node: ast.stmt) -> ast.stmt:
    """The statement without what follows a raise, return, break or continue in the same block (a copy), or the
    statement itself when it has no such lines."""
    def blocks(tree: ast.AST) -> list[list[ast.stmt]]:
        return [value for n in ast.walk(tree) for _, value in ast.iter_fields(n)
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt)]

    def dead(block: list[ast.stmt]) -> bool:
        return any(isinstance(statement, _ENDS_BLOCK) for statement in block[:-1])

    if not any(dead(block) for block in blocks(node)):
        return node
    live = copy.deepcopy(node)
    for block in blocks(live):
        ends = [i for i, statement in enumerate(block) if isinstance(statement, _ENDS_BLOCK)]
        if ends:
            del block[ends[0] + 1:]
    return live


def _changed(node: ast.AST, modules: set[str], into_functions: bool = False) -> set[str]:
    """Names a statement binds or changes in place when it runs: assigned, deleted, imported, defined, or the
    base of an item or attribute store (`X[k] = v`, `X.a = v`, `del X[k]`, `X[k] += 1`) or of a method call
    (`X.append(v)`), except method calls on imported modules. Bodies of functions it defines do not run."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            found.add(n.id)
        elif isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, (ast.Store, ast.Del)):
            found.update(_root(n.value))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            found.update(_root(n.func.value) - modules)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in n.names)
        if isinstance(n, _DEFS + (ast.Lambda,)) and not into_functions:
            if not isinstance(n, ast.Lambda):
                found.add(n.name)
            stack.extend(getattr(n, "decorator_list", []))  # decorators and defaults run; the body does not
            if isinstance(n, ast.ClassDef):
                stack.extend(n.bases)
            else:
                stack.extend(d for d in n.args.defaults + n.args.kw_defaults if d is not None)
            continue
        stack.extend(ast.iter_child_nodes(n))
    return found


def _root(node: ast.expr) -> set[str]:
    """The variable at the base of `X`, `X.a`, `X[k]`, `X.a[k].b`; none for anything else."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def _with_call_effects(parsed: list[_TopLevel]) -> list[_TopLevel]:
    """A statement that calls a top-level function also writes what that function writes (`build_table()`
    filling a global table), through any chain of calls."""
    effects = {p.node.name: set(p.effects) for p in parsed if isinstance(p.node, _DEFS) and p.kind == "definition"}
    reads = {p.node.name: p.reads for p in parsed if isinstance(p.node, _DEFS) and p.kind == "definition"}
    grown = True
    while grown:
        grown = False
        for name, changes in effects.items():
            more = set().union(*(effects[f] for f in reads[name] if f in effects)) - changes
            if more:
                changes |= more
                grown = True
    return [replace(p, writes=p.writes | set().union(*(effects[f] for f in p.reads if f in effects)))
            if not isinstance(p.node, _DEFS) else p for p in parsed]


def _needed(parsed: list[_TopLevel], graded: list[str]) -> dict[str, set[str]]:
    """For each graded function, the names it needs when called: the names it reads, and, for every statement
    that would run and writes one of those, the names that statement reads, until nothing new is added."""
    active = [p for p in parsed if p.kind in ("definition", "experiment")]
    result: dict[str, set[str]] = {}
    for function in graded:
        needed = {function}
        grown = True
        while grown:
            grown = False
            for p in active:
                if p.writes & needed and not p.reads <= needed:
                    needed |= p.reads
                    grown = True
        result[function] = needed
    return result


def _reads_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


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
