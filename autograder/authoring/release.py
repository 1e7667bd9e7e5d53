"""`autograder release`: what a course hands out for one assignment, with no solution in it.

The release folder holds, for assignment NAME:

- NAME.ipynb, NAME.py and NAME.checks.json, generated afresh as `autograder assign` does (the checks file
  holds the expected values of the public checks and their settings, never the reference's code);
- autograder_NAME-<version>-py3-none-any.whl: the grader's package (without authoring/) with the assignment's folder (spec,
  misconceptions, trainer, data: none of them secret) as package data in autograder/assignments/NAME/, where
  the registry looks. Installed, it runs `check(...)` in the notebook and `autograder check mine.py -a NAME`
  with no repository, no grader.toml and no reference.

The wheel is written directly (PEP 427: the files, a .dist-info with METADATA, WHEEL, entry_points.txt and
RECORD), with no network and no build backend: setuptools 65 cannot make a wheel without the `wheel` package,
and a zip of fixed dates gives the same bytes for the same sources. Before anything is written, every released file (the wheel's members
included) is scanned for the reference's solution lines and its docstring; a hit stops the release.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import json
import shutil
import tempfile
import tomllib
import zipfile
from pathlib import Path

from autograder.authoring.assign import write_student_files
from autograder.authoring.skeleton import BEGIN, END
from autograder.course.config import GraderConfig
from autograder.course.registry import folder_of

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # autograder/
PROJECT_FILE = PACKAGE_DIR.parent / "pyproject.toml"
PACKAGE_SUFFIXES = {".py", ".j2"}  # the package's code and its report templates
INSTRUCTOR_ONLY = {"authoring", "__pycache__"}  # assign, release: they need the reference, so stay home
LEFT_OUT_OF_THE_FOLDER = {"examples", "notebook.md", "__pycache__"}  # graded examples, the notebook's source
PLAIN_NODES = (ast.Module, ast.Expr, ast.Assign, ast.Return, ast.Pass, ast.Break, ast.Continue, ast.Name,
               ast.Constant, ast.Tuple, ast.List, ast.Dict, ast.Set, ast.Load, ast.Store)


class ReleaseError(RuntimeError):
    """The release cannot be built, or would leak the reference; the message says which and where."""


def write_release(name: str, config: GraderConfig, out_dir: Path) -> list[Path]:
    """The notebook, the .py skeleton, the public checks file and the student wheel of `name`, in out_dir."""
    reference = config.assignments[name].reference if name in config.assignments else None
    if reference is None:
        raise ReleaseError(f"grader.toml has no [assignments.{name}] naming its reference")
    with tempfile.TemporaryDirectory(prefix=f"release-{name}-") as scratch:
        staging = Path(scratch) / "release"
        files = write_student_files(name, config, staging)
        files.append(build_wheel(name, staging, reference))
        leaks = find_leaks(reference.read_text(), files)
        if leaks:
            raise ReleaseError("the release would carry the reference: " + "; ".join(leaks[:5]))
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for path in files:
            target = out_dir / path.name
            shutil.copyfile(path, target)
            written.append(target)
    return written


def build_wheel(name: str, out_dir: Path, reference: Path) -> Path:
    """The student wheel of `name` (PEP 427, pure Python) in out_dir: the package less authoring/, the assignment's
    folder as package data, and the grader's version, dependencies and `autograder` command."""
    members: dict[str, bytes] = {}
    for source in sorted(PACKAGE_DIR.rglob("*")):
        relative = source.relative_to(PACKAGE_DIR)
        if source.is_file() and source.suffix in PACKAGE_SUFFIXES and not INSTRUCTOR_ONLY & set(relative.parts):
            members[f"autograder/{relative.as_posix()}"] = source.read_bytes()
    folder = folder_of(name)
    for source in sorted(folder.rglob("*")):
        relative = source.relative_to(folder)
        if source.is_file() and not LEFT_OUT_OF_THE_FOLDER & set(relative.parts) and \
                source.resolve() != reference.resolve():
            members[f"autograder/assignments/{name}/{relative.as_posix()}"] = source.read_bytes()
    project = _project()
    distribution, version = f"autograder_{name}", project["version"]
    info = f"{distribution}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: autograder-{name}", f"Version: {version}",
                f"Summary: Public checks of the {name} assignment: check(...) in its notebook and `autograder check`",
                f"Requires-Python: {project.get('requires-python', '>=3.11')}"]
    metadata += [f"Requires-Dist: {requirement}" for requirement in project.get("dependencies", [])]
    members[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    members[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: autograder release\nRoot-Is-Purelib: true\n" \
                               b"Tag: py3-none-any\n"
    members[f"{info}/entry_points.txt"] = b"[console_scripts]\nautograder = autograder.cli:main\n"
    members[f"{info}/top_level.txt"] = b"autograder\n"
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in members.items()]
    members[f"{info}/RECORD"] = ("\n".join(record + [f"{info}/RECORD,,"]) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{distribution}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():  # a fixed date: the same sources give the same bytes
            entry = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return wheel


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _project() -> dict:
    """The [project] table of the grader's pyproject.toml: the version and dependencies the wheel declares."""
    try:
        return tomllib.loads(PROJECT_FILE.read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise ReleaseError(f"release runs from the grader's own project (cannot read {PROJECT_FILE}: {error})")


def solution_lines(reference_text: str) -> set[str]:
    """Every line between BEGIN and END SOLUTION markers of a reference that computes something, stripped."""
    lines, inside = set(), False
    for line in reference_text.splitlines():
        if BEGIN.match(line):
            inside = True
        elif END.match(line):
            inside = False
        elif inside and computes(code_of(line)):
            lines.add(normalized(line))
    return lines


def code_of(line: str) -> str:
    """`line` stripped, without a trailing comment (a `#` inside a string literal is kept)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote and line[index - 1] != "\\":
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index].strip()
    return line.strip()


def normalized(line: str) -> str:
    """What a copied line keeps however it is respaced or commented: its code with no whitespace at all."""
    return "".join(code_of(line).split())


def computes(line: str) -> bool:
    """False for a line that computes nothing, which any code may hold: blank, a comment, `return`, `total = 0`,
    `x, W = cache` (names and constants only); True for the rest, lines that are not whole statements included."""
    if not line or line.startswith("#"):
        return False
    try:
        tree = ast.parse(line)
    except SyntaxError:
        return True  # `for t in range(T):`, a line of a longer expression
    return not all(isinstance(node, PLAIN_NODES) for node in ast.walk(tree))


def released_texts(files: list[Path]) -> dict[str, str]:
    """Each released file's text, a wheel's members one by one (as `wheel!member`)."""
    texts = {}
    for path in files:
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                for member in wheel.namelist():
                    texts[f"{path.name}!{member}"] = wheel.read(member).decode("utf-8", "replace")
        else:
            texts[path.name] = path.read_text()
    return texts


def find_leaks(reference_text: str, files: list[Path]) -> list[str]:
    """Where a released file carries a solution line, a solution marker or the reference's docstring."""
    solution = solution_lines(reference_text)
    docstring = ast.get_docstring(ast.parse(reference_text)) or ""
    head = docstring.splitlines()[0].strip() if docstring else ""
    leaks = []
    for where, text in released_texts(files).items():
        if where.endswith(".ipynb"):  # the cells' text, as the student sees it
            text = "\n".join("".join(cell["source"]) for cell in json.loads(text)["cells"])
        lines: dict[str, str] = {}
        for line in text.splitlines():
            lines.setdefault(normalized(line), line.strip())
        leaks += [f"{where}: {lines[line]!r}" for line in sorted(solution & set(lines))]
        if any(BEGIN.match(line) or END.match(line) for line in text.splitlines()):
            leaks.append(f"{where}: a solution marker")
        if head and head in text:
            leaks.append(f"{where}: the reference's docstring {head!r}")
    return leaks
