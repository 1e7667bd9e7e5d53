"""Measure `autograder similar` on a class generated from the correct solutions we have.

    python bench/similarity_corpus.py             # precision, recall and the ranking, per assignment and overall
    python bench/similarity_corpus.py --verbose   # and every copied pair and the highest independent pairs

For each assignment, the class is:
- independent students, one per correct style: the reference (every task) and each correct variant of
  tests/mutants/<name>/ (its functions; the other tasks left as the skeleton's stubs), written into the
  released notebook (or, one in three, the released .py) as a student does: the skeleton's signature and
  docstring kept, the stub replaced by the body;
- two students who hand in the untouched skeleton (a notebook and a .py);
- copiers: a classmate's code with every local variable and argument renamed (ast), a line of their own at the
  top of one function in three (`x = np.asarray(x, dtype=float)`), the functions reordered (in
  a .py, or pasted into one new cell of a notebook), the comments removed and others written, the docstrings
  dropped in one copy of two, the spacing changed (tokenize) and an experiment cell of their own. The
  reference's student is copied twice (a group of three), and the two independents with the most code once.

A copied pair is any two students of one group; every other pair is independent. Flagged: the pair's score
reaches the default threshold and the shared code its default minimum. Precision = copied flagged / flagged;
recall = copied flagged / copied. "Ranking" says whether every copied pair scores above every independent pair.
"""
from __future__ import annotations

import argparse
import ast
import io
import random
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.similarity.compare import DEFAULT_MIN_SHARED, DEFAULT_THRESHOLD, flagged, rank  # noqa: E402
from autograder.similarity.extract import boilerplate_chunks, read_class, skeleton_files  # noqa: E402

ASSIGNMENTS = ("backprop", "conv1d", "rnn")
TOP_DEF = re.compile(r"^def (\w+)\(")
NEW_COMMENTS = ("# forward pass", "# shapes first", "# TODO: double-check this", "# gradient of the loss",
                "# see the lecture notes", "# works on my machine", "# vectorised version")
EXPERIMENT = "# quick sanity check of my own\nprint(np.arange(6).reshape(2, 3).sum(axis=0))"


@dataclass
class Corpus:
    """A generated class: where each submission is, and the groups of students who share code on purpose."""

    folder: Path
    assignment: str
    groups: list[set[str]] = field(default_factory=list)
    students: list[str] = field(default_factory=list)

    def copied(self, a: str, b: str) -> bool:
        return any(a in group and b in group for group in self.groups)


def solutions(assignment: str) -> dict[str, str]:
    """style -> its source: the reference (markers removed) and every correct variant (its label docstring
    removed), in a fixed order."""
    reference = (ROOT / "reference" / f"{assignment}.py").read_text()
    found = {"reference": "\n".join(line for line in reference.splitlines() if "# BEGIN SOLUTION" not in line
                                    and "# END SOLUTION" not in line)}
    for path in sorted((ROOT / "tests" / "mutants" / assignment).glob("correct__*.py")):
        found[path.stem.removeprefix("correct__")] = path.read_text().split('"""', 2)[2]
    return found


def top_level(source: str) -> list[tuple[str | None, str]]:
    """(function name or None, text) of each top-level piece, by lines (a variant may not parse: python 2)."""
    pieces: list[tuple[str | None, list[str]]] = []
    for line in source.splitlines():
        match = TOP_DEF.match(line)
        if match or not pieces or (line and not line[0].isspace() and not line.startswith((")", "#"))
                                   and pieces[-1][0] is not None):
            pieces.append((match.group(1) if match else None, []))
        pieces[-1][1].append(line)
    return [(name, "\n".join(lines).strip("\n")) for name, lines in pieces if "\n".join(lines).strip()]


def body_of(function: str) -> str:
    """A function's lines after its `def` line and its docstring, if any."""
    lines = function.splitlines()[1:]
    if lines and lines[0].strip().startswith('"""'):
        end = next(i for i, line in enumerate(lines) if line.rstrip().endswith('"""') and (i or line.count('"""') > 1))
        lines = lines[end + 1:]
    return "\n".join(lines)


def fill(skeleton: str, solution: str, tasks: set[str]) -> str:
    """`skeleton` (a cell or the .py) with each stub the solution implements replaced by the solution's body
    under the skeleton's signature and docstring; the solution's helpers and imports go above the first task
    function after them (`tasks`: every task of the assignment, some of them in other cells)."""
    tree = ast.parse(skeleton)
    stubs = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    implemented, pending, extras = {}, [], {}
    for name, text in top_level(solution):
        if name in stubs:
            implemented[name], extras[name], pending = text, pending, []
        elif name in tasks:  # another cell's task: what came before it is its own
            pending = []
        elif name is None:
            text = re.sub(r'\A\s*"""(?:.|\n)*?"""\s*', "", text).replace("import numpy as np", "").strip()
            pending += [text] if text else []
        else:
            pending.append(text)
    if pending and implemented:
        extras[list(implemented)[-1]] = extras[list(implemented)[-1]] + pending
    lines = skeleton.splitlines()
    for name in sorted(implemented, key=lambda n: -stubs[n].lineno):  # bottom up: line numbers stay right
        node = stubs[name]
        docstring = node.body[0] if isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value,
                                                                                        ast.Constant) else None
        header = lines[node.lineno - 1:(docstring.end_lineno if docstring else node.lineno)]
        block = [*"\n\n\n".join(extras[name]).splitlines(), *([""] * 2 if extras[name] else []), *header,
                 *body_of(implemented[name]).splitlines()]
        lines[node.lineno - 1:node.end_lineno] = block
    return "\n".join(lines) + "\n"


def tasks_of(assignment: str) -> set[str]:
    return {name for name, _ in top_level((ROOT / "student_template" / f"{assignment}.py").read_text()) if name}


def filled_notebook(assignment: str, solution: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(ROOT / "student_template" / f"{assignment}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.metadata.get("task"):
            cell.source = fill(cell.source, solution, tasks_of(assignment)).rstrip("\n")
    return notebook


def student_code(notebook: nbformat.NotebookNode) -> str:
    """What a student wrote in a notebook's task cells, in order, stubs left out (what a copier takes)."""
    return "\n\n\n".join(c.source for c in notebook.cells if c.cell_type == "code" and c.metadata.get("task")
                          and "raise NotImplementedError" not in c.source)


def rename_locals(function: str, rng: random.Random) -> str:
    """Every argument and local variable of a function renamed, at the places ast gives (attributes and keyword
    names are left alone); a piece that does not parse is left as it is."""
    try:
        tree = ast.parse(function)
    except SyntaxError:
        return function
    names = {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
             for a in node.posonlyargs + node.args + node.kwonlyargs + [node.vararg, node.kwarg] if a}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names.discard("self")  # by convention, and pygments keeps it as a word: nobody renames it
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | names
    patterns = ("my_{}", "{}_val", "the_{}", "{}2", "tmp_{}", "{}_arr")
    mapping = {}
    for name in sorted(names):
        new = rng.choice(patterns).format(name)
        while new in used:
            new += "_"
        mapping[name] = new
        used.add(new)
    places = [(n.lineno, n.col_offset, n.id) for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in mapping]
    places += [(a.lineno, a.col_offset, a.arg) for a in ast.walk(tree) if isinstance(a, ast.arg) and a.arg in mapping]
    lines = function.splitlines()
    for lineno, col, name in sorted(places, reverse=True):  # ast columns are utf-8 byte offsets: ascii here
        line = lines[lineno - 1]
        lines[lineno - 1] = line[:col] + mapping[name] + line[col + len(name):]
    return "\n".join(lines)


def in_docstring(source: str) -> list[bool]:
    """For each line, whether it is part of a triple-quoted string (which a copier leaves as it is)."""
    inside, marks = False, []
    for line in source.splitlines():
        quotes = line.count('"""') % 2
        marks.append(inside or bool(quotes))
        inside ^= bool(quotes)
    return marks


def recomment(source: str, rng: random.Random) -> str:
    """Comments removed, and others written above a few statements."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type != tokenize.COMMENT]
        source = tokenize.untokenize(tokens)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    out = []
    for line, docstring in zip(source.splitlines(), in_docstring(source)):
        stripped = line.lstrip()
        if stripped and not docstring and not stripped.startswith(("def ", "return", ")")) and rng.random() < 0.25:
            out.append(line[:len(line) - len(stripped)] + rng.choice(NEW_COMMENTS))
        out.append(line.rstrip())
    return "\n".join(out)


def without_docstrings(source: str) -> str:
    """The skeleton's docstrings deleted, as a student tidying up would."""
    return re.sub(r'\n(\s+)"""(?:.|\n)*?"""\n', "\n", source)


def respaced(source: str, tight: bool) -> str:
    """The same code spaced otherwise: indentation halved (4 spaces to 2), blank lines doubled, and on lines
    with no string or comment, no spaces around `=`, `+`, `*` and after commas (`tight`) or a space after every
    comma."""
    out = []
    for line, docstring in zip(source.splitlines(), in_docstring(source)):
        body = line.lstrip(" ")
        indent = " " * ((len(line) - len(body)) // 2)
        if not docstring and not any(q in body for q in "'\"#"):
            if tight:
                for spaced, bare in ((" = ", "="), (" + ", "+"), (" * ", "*"), (", ", ",")):
                    body = body.replace(spaced, bare)
            else:
                body = re.sub(r",(?=\S)", ", ", body)
        out.append(indent + body if body else "")
    return "\n".join(out).replace("\n\n", "\n\n\n")


def with_own_line(function: str, rng: random.Random) -> str:
    """One function in three with a line of the copier's own at its top (`x = np.asarray(x, dtype=float)`)."""
    try:
        node = ast.parse(function).body[0]
    except (SyntaxError, IndexError):
        return function
    if not isinstance(node, ast.FunctionDef) or not node.args.args or rng.random() >= 1 / 3:
        return function
    docstring = isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    if docstring and len(node.body) == 1:
        return function
    first = node.body[1 if docstring else 0]
    lines = function.splitlines()
    indent = " " * first.col_offset
    name = node.args.args[0].arg
    lines.insert(first.lineno - 1, f"{indent}{name} = np.asarray({name}, dtype=float)")
    return "\n".join(lines)


def disguised(code: str, rng: random.Random, number: int) -> str:
    """A copy of `code` as a copier hides it: renamed, a line added here and there, reordered, recommented,
    respaced."""
    pieces = [with_own_line(rename_locals(text, rng), rng) for _, text in top_level(code)]
    rng.shuffle(pieces)
    text = "\n\n\n".join(recomment(piece, rng) for piece in pieces)
    if number % 2 == 0:
        text = without_docstrings(text)
    return respaced(text, tight=number % 2 == 1)


def make_corpus(folder: Path, assignment: str, seed: int = 14) -> Corpus:
    """The class of one assignment in `folder` (see the module docstring)."""
    rng = random.Random(f"{seed}-{assignment}")
    corpus = Corpus(folder, assignment)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}  # student -> the code they wrote
    own: dict[str, int] = {}  # student -> the length of their solution's source
    for number, (style, solution) in enumerate(solutions(assignment).items()):
        student = f"{assignment}-{style}"
        notebook = filled_notebook(assignment, solution)
        written[student] = student_code(notebook)
        own[student] = len(solution)
        if number % 3 == 2:
            skeleton = (ROOT / "student_template" / f"{assignment}.py").read_text()
            (folder / f"{student}.py").write_text(fill(skeleton, solution, tasks_of(assignment)))
        else:
            nbformat.write(notebook, str(folder / f"{student}.ipynb"))
        corpus.students.append(student)
    template = ROOT / "student_template" / assignment
    nbformat.write(nbformat.read(f"{template}.ipynb", as_version=4), str(folder / f"{assignment}-untouched-a.ipynb"))
    (folder / f"{assignment}-untouched-b.py").write_text(Path(f"{template}.py").read_text())
    corpus.students += [f"{assignment}-untouched-a", f"{assignment}-untouched-b"]
    by_size = sorted((s for s in written if not s.endswith("-reference")), key=lambda s: (-own[s], s))
    originals = [f"{assignment}-reference", f"{assignment}-reference", *by_size[:2]]
    for number, original in enumerate(originals):
        copier = f"{assignment}-copier{number + 1}"
        code = disguised(written[original], rng, number) + "\n\n\n" + EXPERIMENT + "\n"
        if number % 2 == 0:
            skeleton = (ROOT / "student_template" / f"{assignment}.py").read_text()
            head = skeleton.split("\ndef ", 1)[0]  # the module docstring and imports, then the copied code
            (folder / f"{copier}.py").write_text(head + "\n\n" + code)
        else:
            notebook = nbformat.read(f"{template}.ipynb", as_version=4)
            notebook.cells.append(nbformat.v4.new_code_cell(code))
            nbformat.write(notebook, str(folder / f"{copier}.ipynb"))
        group = next((g for g in corpus.groups if original in g), None)
        if group is None:
            corpus.groups.append({original, copier})
        else:
            group.add(copier)
        corpus.students.append(copier)
    return corpus


@dataclass(frozen=True)
class Figures:
    assignment: str
    copied: int
    independent: int
    flagged_copied: int
    flagged_independent: int
    lowest_copied: float
    highest_independent: float

    @property
    def precision(self) -> float:
        flagged = self.flagged_copied + self.flagged_independent
        return self.flagged_copied / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        return self.flagged_copied / self.copied if self.copied else 1.0

    @property
    def ranked(self) -> bool:
        return self.lowest_copied > self.highest_independent


def measure(corpus: Corpus, threshold: float = DEFAULT_THRESHOLD, min_shared: int = DEFAULT_MIN_SHARED,
            verbose: bool = False) -> Figures:
    """Rank the corpus's class as `autograder similar` does and count what it flags."""
    codes = read_class([corpus.folder], pattern="(?P<id>.+)")
    _, pairs = rank(codes, boilerplate_chunks(skeleton_files(ROOT, corpus.assignment)))
    scores = {frozenset((p.a, p.b)): p for p in pairs}
    students = sorted(corpus.students)
    everything = [(a, b) for i, a in enumerate(students) for b in students[i + 1:]]
    copied = [(a, b) for a, b in everything if corpus.copied(a, b)]
    independent = [(a, b) for a, b in everything if not corpus.copied(a, b)]
    hits = {frozenset((p.a, p.b)) for p in flagged(pairs, threshold, min_shared)}
    score = {pair: (scores[frozenset(pair)].score if frozenset(pair) in scores else 0.0) for pair in everything}
    if verbose:
        for a, b in copied:
            print(f"  copied       {score[(a, b)]:6.1%}  {a} / {b}")
        for a, b in sorted(independent, key=lambda p: -score[p])[:5]:
            pair = scores.get(frozenset((a, b)))
            print(f"  independent  {score[(a, b)]:6.1%}  {a} / {b}  ({pair.shared if pair else 0} shared)")
    return Figures(corpus.assignment, len(copied), len(independent),
                   sum(frozenset(p) in hits for p in copied), sum(frozenset(p) in hits for p in independent),
                   min(score[p] for p in copied), max(score[p] for p in independent))


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    print(f"threshold {DEFAULT_THRESHOLD:.0%} of the smaller submission's code beyond the skeleton, "
          f"at least {DEFAULT_MIN_SHARED} normalized characters shared")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for assignment in ASSIGNMENTS:
            corpus = make_corpus(Path(tmp) / assignment, assignment)
            if args.verbose:
                print(assignment)
            rows.append(measure(corpus, verbose=args.verbose))
    for row in rows:
        print(f"{row.assignment:9} {row.copied:3} copied pairs, {row.independent:4} independent: precision "
              f"{row.precision:.0%}, recall {row.recall:.0%}; copied pairs score {row.lowest_copied:.1%} or more, "
              f"independent {row.highest_independent:.1%} or less; every copied pair ranks above every "
              f"independent pair: {'yes' if row.ranked else 'NO'}")
    flagged_copied = sum(r.flagged_copied for r in rows)
    flagged_all = flagged_copied + sum(r.flagged_independent for r in rows)
    copied = sum(r.copied for r in rows)
    print(f"overall   {copied} copied pairs, {sum(r.independent for r in rows)} independent: precision "
          f"{flagged_copied / flagged_all if flagged_all else 1:.0%}, recall {flagged_copied / copied:.0%}")


if __name__ == "__main__":
    main()
