"""What one top-level statement reads and writes, from its source alone: the facts autograder.sandbox.program
decides the plan from.

Reads come from Python's own scope analysis (symtable), writes from one walk of the tree, after the lines that
never run (after a raise, return, break or continue) are left out. The walks keep their own stack and look only
where nodes can be (ast.walk's cost per node was most of the time spent planning a notebook).
"""
from __future__ import annotations

import ast
import copy
import symtable

from autograder.sandbox.syntax import PARSE_ERRORS

DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ENDS_BLOCK = (ast.Raise, ast.Return, ast.Break, ast.Continue)


def reads_and_writes(text: str, node: ast.stmt) -> tuple[frozenset[str], ...]:
    """What a top-level statement reads; what it writes, and the bases of its method calls (changed unless they
    are imported modules); for a def, the same two for what calling it writes. In the order of the last fields of
    autograder.sandbox.program's _Facts, which adds what depends on the imports above the statement.

    Reads are the global names it loads without binding them itself (a loop's own variable is not a read),
    plus the globals of every function and class body in it, found by Python's own scope analysis (symtable),
    so a function's parameters and locals are never taken for globals. Lines that never run are left out (a
    skeleton's `return out, cache` after `raise NotImplementedError` reads no global `cache`).
    """
    nothing: frozenset[str] = frozenset()
    # Called straight from plan_program, and copying, unparsing and symtable as deep in the stack as they always
    # were: they recurse, and a frame more would change which deep hostile statements they give up on.
    try:
        live = _without_dead_code(node)
        if live is not node:
            node, text = live, ast.unparse(live)
    except RecursionError:  # too deep to copy or unparse (lambdas nested hundreds deep after a return): its dead
        pass  # lines stay in, which can only add reads, and symtable gives up on it below as it does on such a tree
    try:
        table = symtable.symtable(text, "<statement>", "exec")
    except PARSE_ERRORS:  # e.g. a top-level `await`, which IPython accepts: read every name it loads
        return (names_in(node)[0], *changed_parts([node]), nothing, nothing)
    reads = {s.get_name() for s in table.get_symbols() if s.is_referenced() and not s.is_assigned()}
    inner_globals: set[str] = set()
    scopes = list(table.get_children())
    while scopes:
        scope = scopes.pop()
        inner_globals.update(s.get_name() for s in scope.get_symbols() if s.is_global())
        reads.update(s.get_name() for s in scope.get_symbols() if s.is_global() and s.is_referenced())
        scopes.extend(scope.get_children())
    if isinstance(node, DEFS):
        changes, calls = changed_parts(node.body, into_functions=True)
        return frozenset(reads), frozenset({node.name}), nothing, changes & inner_globals, calls & inner_globals
    return (frozenset(reads), *changed_parts([node]), nothing, nothing)



def _without_dead_code(node: ast.stmt) -> ast.stmt:
    """The statement without what follows a raise, return, break or continue in the same block (a copy), or the
    statement itself when it has no such lines."""
    if not any(isinstance(statement, _ENDS_BLOCK) for block in _blocks(node) for statement in block[:-1]):
        return node
    live = copy.deepcopy(node)
    for block in _blocks(live):
        ends = [i for i, statement in enumerate(block) if isinstance(statement, _ENDS_BLOCK)]
        if ends:
            del block[ends[0] + 1:]
    return live


def _blocks(node: ast.stmt) -> list[list[ast.stmt]]:
    """Every list of statements in a statement (bodies, else and finally blocks, except and case bodies). Only
    statements, except handlers and match cases hold them, so expressions are not searched."""
    found: list[list[ast.stmt]] = []
    stack: list[ast.AST] = [node]
    while stack:
        for value in _fields(stack.pop()):
            if isinstance(value, list) and value:
                if isinstance(value[0], ast.stmt):
                    found.append(value)
                    stack.extend(value)
                elif isinstance(value[0], (ast.excepthandler, ast.match_case)):
                    stack.extend(value)
    return found


def changed(node: ast.AST, modules: set[str]) -> set[str]:
    """Names a statement binds or changes in place when it runs: assigned, deleted, imported, defined, or the
    base of an item or attribute store (`X[k] = v`, `X.a = v`, `del X[k]`, `X[k] += 1`) or of a method call
    (`X.append(v)`), except method calls on imported modules. Bodies of functions it defines do not run."""
    changes, calls = changed_parts([node])
    return set(changes | (calls - modules))


def first_changes(node: ast.stmt) -> dict[str, int]:
    """Each name that a statement inside this one changes (as `changed` finds it, modules included), with the
    first line of a statement that does: where a note on a skipped statement points."""
    first: dict[str, int] = {}
    for block in _blocks(node):
        for inner in block:
            for name in changed(inner, set()):
                first[name] = min(first.get(name, inner.lineno), inner.lineno)
    return first


def changed_parts(nodes: list[ast.AST], into_functions: bool = False) -> tuple[frozenset[str], frozenset[str]]:
    """What `changed` finds in these nodes (in function bodies too if `into_functions`), in two parts so that
    the imported modules can be left out later: the names bound or changed, and the bases of method calls."""
    changes: set[str] = set()
    calls: set[str] = set()
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, (ast.Store, ast.Del)):
                changes.add(n.id)
            continue  # nothing below a name
        if isinstance(n, (ast.Attribute, ast.Subscript)) and isinstance(n.ctx, (ast.Store, ast.Del)):
            changes.update(_root(n.value))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
            calls.update(_root(n.func.value))
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            changes.update((a.asname or a.name).split(".")[0] for a in n.names)
        if isinstance(n, DEFS + (ast.Lambda,)) and not into_functions:
            if not isinstance(n, ast.Lambda):
                changes.add(n.name)
            stack.extend(getattr(n, "decorator_list", []))  # decorators and defaults run; the body does not
            if isinstance(n, ast.ClassDef):
                stack.extend(n.bases)
            else:
                stack.extend(d for d in n.args.defaults + n.args.kw_defaults if d is not None)
            continue
        _push_children(n, stack)
    return frozenset(changes), frozenset(calls)


def _root(node: ast.expr) -> set[str]:
    """The variable at the base of `X`, `X.a`, `X[k]`, `X.a[k].b`; none for anything else."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def names_in(node: ast.AST) -> tuple[frozenset[str], frozenset[str]]:
    """The names a statement loads and the names it stores, anywhere in it (function bodies too)."""
    loads: set[str] = set()
    stores: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load):
                loads.add(n.id)
            elif isinstance(n.ctx, ast.Store):
                stores.add(n.id)
        else:
            _push_children(n, stack)
    return frozenset(loads), frozenset(stores)


_LEAF_FIELDS = frozenset({"ctx", "op", "ops"})  # they hold leaves (Load, Add, Eq) that nothing here looks at
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(node: ast.AST) -> list:
    """The values of a node's fields that may hold nodes: ast.iter_child_nodes without its cost per field."""
    names = _NODE_FIELDS.get(type(node))
    if names is None:
        names = _NODE_FIELDS[type(node)] = tuple(f for f in node._fields if f not in _LEAF_FIELDS)
    return [getattr(node, f, None) for f in names]


def _push_children(node: ast.AST, stack: list[ast.AST]) -> None:
    for value in _fields(node):
        if isinstance(value, ast.AST):
            stack.append(value)
        elif isinstance(value, list):
            stack.extend(item for item in value if isinstance(item, ast.AST))
