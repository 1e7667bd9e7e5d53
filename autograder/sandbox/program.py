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
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Iterable

from autograder.intake.submission import Cell
from autograder.sandbox.dataflow import DEFS, first_changes, names_in, reads_and_writes
from autograder.sandbox.syntax import Unparsed, parse_parts

KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
        ast.AnnAssign, ast.AugAssign, ast.If, ast.Try, ast.With, ast.Global)
# The assignment form starts with a character that is not a space: were it to start with one, `^(\s*)` and it
# would split a line's leading spaces between them in every possible way, quadratic in their number (a line of
# 16 000 spaces took 2 s of the grader's time, one of a megabyte hours).
_MAGIC = re.compile(r"^(\s*)(?:[!%]|[\w.,\[\]][\w.,\s\[\]]*=\s*[!%]|[\w.]+\?{1,2}\s*$)")
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
class Definition:
    """A top-level function or class as the student wrote it (decorators and magics included), for the TAs'
    pages; `line` is its first line in its cell."""

    name: str
    cell: int
    line: int
    script: bool
    source: str


@dataclass(frozen=True)
class Program:
    statements: tuple[Statement, ...]
    problems: tuple[str, ...]  # what could not be parsed or is skipped although graded code needs it, and why
    lost: dict[str, str] = field(default_factory=dict)  # name defined only in lines that do not parse -> why
    definitions: tuple[Definition, ...] = ()  # every top-level def and class that parses, in notebook order


@dataclass(frozen=True)
class _Facts:
    """A top-level statement as far as its own source decides: the same in every notebook that has its cell, so
    it is worked out once per cell source. What depends on the cells above it (the checker's names, the imported
    modules) is added by plan_program."""

    line: int  # its first line (a decorator's, if it has one)
    end: int  # its last line
    source: str  # its text, as it will run
    shape: str  # "import", "checker import", "def" (or class), "kept" (other definitions), "main guard", "other"
    name: str  # a def's or class's name, else ""
    imported: tuple[str, ...]  # names an import binds
    loads: frozenset[str]  # names loaded anywhere in it and names stored anywhere in it: whether it is checker code
    stores: frozenset[str]
    first_changes: tuple[tuple[str, int], ...]  # each name a statement inside it changes, and the first such line
    reads: frozenset[str]  # global names it reads, now or when what it defines is called
    writes: frozenset[str]  # names it binds or changes in place when it runs, and the bases of its method calls,
    calls: frozenset[str]  # which it changes unless they are imported modules (`np.random.seed` changes no table)
    effects: frozenset[str]  # for a def: the same two for the globals that calling it binds or changes
    effect_calls: frozenset[str]


@dataclass(frozen=True)
class _TopLevel:
    """A parsed top-level statement in its notebook, with what it writes there; the plan is decided from these."""

    cell: Cell
    facts: _Facts
    kind: str  # "definition" (runs), "experiment" (runs only if graded code needs it), "main guard", "checker"
    writes: frozenset[str]  # names it binds or changes in place when it runs
    effects: frozenset[str]  # for a def: the globals that calling it binds or changes

    @property
    def reads(self) -> frozenset[str]:
        return self.facts.reads


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
    definitions: list[Definition] = []
    for cell in cells:
        analysed = _remembered(cell.source)  # a class shares most cells (the template's, the experiments')
        if analysed is None:
            # Parsed here, not in a helper: ast.parse and symtable give up on a tree that is too deep for the frames
            # above them, and a frame more would move where a hostile file stops parsing.
            source = strip_magics(cell.source)
            body, unparsed = parse_parts(source)
            lines = source.splitlines()
            facts = []
            for i, node in enumerate(body):
                line, text = _statement_text(source, lines, body, i)
                facts.append(_facts(node, line, text, reads_and_writes(text, node)))
            analysed = _remember(cell.source, (tuple(unparsed), tuple(facts)))
        for part in analysed[0]:
            problems.append(_unparsed_note(cell, part, whole=not analysed[1] and len(analysed[0]) == 1))
            for name in part.names:
                lost.setdefault(name, f"{place(cell, part.line)}: {part.reason}")
        definitions.extend(_as_written(cell, analysed[1]))
        for facts in analysed[1]:
            kind = _kind(facts, checker_names)
            modules.update(facts.imported)
            parsed.append(_TopLevel(cell, facts, kind, facts.writes | (facts.calls - modules),
                                    facts.effects | (facts.effect_calls - modules)))
    parsed = _with_call_effects(parsed)
    needed = _needed(parsed, graded)
    everything = set().union(*needed.values())
    # Data flows one way: what runs is decided here, from the source alone; the runner only runs it.
    statements = [Statement(p.cell.index, p.facts.line, p.facts.source, p.cell.script) for p in parsed
                  if p.kind == "definition" or (p.kind == "experiment" and p.writes & everything)]
    for p in parsed:
        if p.kind in ("main guard", "checker") and p.writes & everything:
            problems.extend(_skipped_notes(p, needed, graded))
    defined = set().union(*(p.writes for p in parsed if p.kind == "definition"))
    return Program(tuple(statements), tuple(problems), {n: why for n, why in lost.items() if n not in defined},
                   tuple(definitions))


def _as_written(cell: Cell, statements: tuple[_Facts, ...]) -> list[Definition]:
    """The cell's top-level defs and classes in its own text: strip_magics keeps every line where it was, so the
    planned lines are the written ones."""
    defs = [facts for facts in statements if facts.shape == "def"]
    lines = cell.source.splitlines() if defs else []
    return [Definition(f.name, cell.index, f.line, cell.script, "\n".join(lines[f.line - 1:f.end])) for f in defs]


def _statement_text(source: str, lines: list[str], body: list[ast.stmt], i: int) -> tuple[int, str | None]:
    """The first line of the i-th top-level statement and its text, as it will run."""
    node = body[i]
    shares_line = (i > 0 and body[i - 1].end_lineno == node.lineno) or \
        (i + 1 < len(body) and body[i + 1].lineno == node.end_lineno)
    if shares_line:  # `a = 1; b = 2`: take just this statement's text
        return node.lineno, ast.get_source_segment(source, node)
    line = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return line, "\n".join(lines[line - 1:node.end_lineno])  # whole lines, so decorators and comments come along


def _facts(node: ast.stmt, line: int, text: str, flow: tuple[frozenset[str], ...]) -> _Facts:
    """A statement's facts, given what it reads and writes (autograder.sandbox.dataflow.reads_and_writes)."""
    imported: tuple[str, ...] = ()
    loads = stores = frozenset()
    first: tuple[tuple[str, int], ...] = ()
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        imported = tuple((a.asname or a.name).split(".")[0] for a in node.names)
        shape = "checker import" if _imports_checker(node) else "import"
    elif isinstance(node, DEFS):
        shape = "def"
    else:  # an assignment, a block, a loop or a call: checker code if it reads a checker name
        main_guard = isinstance(node, ast.If) and _is_main_guard(node.test)
        shape = "main guard" if main_guard else "kept" if isinstance(node, KEPT) else "other"
        if not main_guard:
            loads, stores = names_in(node)
        first = tuple(sorted(first_changes(node).items()))  # for the note if it stays skipped
    return _Facts(line, node.end_lineno or line, text, shape, node.name if isinstance(node, DEFS) else "", imported,
                  loads, stores, first, *flow)


def _kind(facts: _Facts, checker_names: set[str]) -> str:
    """Whether a statement runs ("definition"), runs if graded code needs it ("experiment"), or never runs: inside
    `if __name__ == "__main__":` ("main guard") or for the local checker ("checker"). Checker lines other than a
    loop or a call make their targets checker names too (`check = Checker(...)`)."""
    if facts.shape == "checker import":
        checker_names.update(facts.imported)
        return "checker"
    if facts.shape == "kept" and facts.loads & checker_names:
        checker_names.update(facts.stores)
        return "checker"
    if facts.shape in ("import", "def", "kept"):
        return "definition"
    if facts.shape == "main guard":
        return "main guard"
    return "checker" if facts.loads & checker_names else "experiment"


_Analysed = tuple[tuple[Unparsed, ...], tuple[_Facts, ...]]  # a cell: what does not parse, each statement's facts
_CACHED_CELLS = 256  # the facts hold no trees: each takes about three times its cell's text
_CACHED_CELL_CHARS = 64_000  # longer cells are analysed each time: the cache stays small whatever is submitted
_cache: OrderedDict[str, _Analysed] = OrderedDict()  # by the cell's source, least recently used first
_cache_lock = threading.Lock()  # a grader may plan in threads


def _remembered(source: str) -> _Analysed | None:
    with _cache_lock:
        analysed = _cache.get(source)
        if analysed is not None:
            _cache.move_to_end(source)
        return analysed


def _remember(source: str, analysed: _Analysed) -> _Analysed:
    if len(source) <= _CACHED_CELL_CHARS:
        with _cache_lock:
            _cache[source] = analysed
            if len(_cache) > _CACHED_CELLS:
                _cache.popitem(last=False)
    return analysed


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
    first_changes = dict(skipped.facts.first_changes)
    for name in sorted(skipped.writes & set().union(*needed.values())):
        function = next(g for g in graded if name in needed[g])
        where = place(skipped.cell, first_changes.get(name, skipped.facts.line))
        sets = f"defines {name}" if name == function else f"sets {name}, which {function} needs,"
        if skipped.kind == "main guard":
            notes.append(f"{where} {sets} but was not run: it is inside `if __name__ == \"__main__\":`, which "
                         f"does not run when graded; move it out of that block")
        else:
            notes.append(f"{where} {sets} but was not run: it uses the local checker, which grading leaves out")
    return notes


def _with_call_effects(parsed: list[_TopLevel]) -> list[_TopLevel]:
    """A statement that calls a top-level function also writes what that function writes (`build_table()`
    filling a global table), through any chain of calls."""
    defs = [p for p in parsed if p.facts.shape == "def" and p.kind == "definition"]
    own = {p.facts.name: set(p.effects) for p in defs}  # a name defined twice: its last definition
    reads = {p.facts.name: p.reads for p in defs}
    effects = _reachable_union(own, {name: {f for f in reads[name] if f in own} for name in own})
    return [replace(p, writes=p.writes | set().union(*(effects[f] for f in p.reads if f in effects)))
            if p.facts.shape != "def" else p for p in parsed]


def _reachable_union(own: dict[str, set[str]], calls: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    """For each function, the union of `own` over every function it reaches through `calls` (itself included).

    Strongly connected components (Tarjan's, with a stack of our own: a chain of thousands of functions is no
    deeper a recursion here), each worked out once, callees first. Asking every function again until nothing
    grew took a round per link of a chain, cubic in its length: 2000 functions that each call the next held
    the grader 40 s."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component_of: dict[str, int] = {}
    components: list[list[str]] = []  # in the order Tarjan's closes them: every callee's before its callers'
    for root in own:
        if root in index:
            continue
        work = [(root, iter(sorted(calls[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            name, callees = work[-1]
            callee = next(callees, None)
            if callee is not None:
                if callee not in index:
                    index[callee] = low[callee] = len(index)
                    stack.append(callee)
                    on_stack.add(callee)
                    work.append((callee, iter(sorted(calls[callee]))))
                elif callee in on_stack:
                    low[name] = min(low[name], index[callee])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[name])
            if low[name] == index[name]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component_of[member] = len(components)
                    members.append(member)
                    if member == name:
                        break
                components.append(members)
    union: list[frozenset[str]] = []
    for number, members in enumerate(components):
        reached = set().union(*(own[m] for m in members))
        for member in members:
            reached.update(*(union[component_of[c]] for c in calls[member] if component_of[c] != number))
        union.append(frozenset(reached))
    return {name: union[component_of[name]] for name in own}


def _needed(parsed: list[_TopLevel], graded: list[str]) -> dict[str, set[str]]:
    """For each graded function, the names it needs when called: the names it reads, and, for every statement
    that would run and writes one of those, the names that statement reads, until nothing new is added."""
    # Followed name by name from the statements that write each one: scanning every statement again until
    # nothing grew took a round per link, quadratic in a chain of them (4000 lines that each fill the table the
    # one above reads: 2 s of the grader's time before any student code ran).
    writers: dict[str, list[int]] = {}
    active = [p for p in parsed if p.kind in ("definition", "experiment")]
    for number, p in enumerate(active):
        for name in p.writes:
            writers.setdefault(name, []).append(number)
    result: dict[str, set[str]] = {}
    for function in graded:
        needed, pending, used = {function}, [function], set()
        while pending:
            for number in writers.get(pending.pop(), ()):
                if number not in used:
                    used.add(number)
                    pending.extend(active[number].reads - needed)
                    needed |= active[number].reads
        result[function] = needed
    return result


def strip_magics(source: str) -> str:
    """Replace IPython magics, shell escapes and `?` help lines with `pass`; drop cells that are cell magics."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join(_MAGIC.sub(r"\1pass #", line, count=1) if _MAGIC.match(line) else line
                     for line in source.splitlines())


def _imports_checker(node: ast.Import | ast.ImportFrom) -> bool:
    """Whether an import binds the student's local checker (`from autograder... import X`, `import autograder`),
    whose lines are for Jupyter only."""
    modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return any(m == "autograder" or m.startswith("autograder.") for m in modules)


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__")
