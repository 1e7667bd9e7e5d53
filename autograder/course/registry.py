"""The assignments there are: every folder of assignments/ with a spec.py, found when first asked for.

An assignment is a self-contained folder: its notebook source (notebook.md), its spec (spec.py, defining
ASSIGNMENT with autograder.course.tasks), its catalogue of misconceptions, its trainer and data, its examples. The
spec is imported as a package of its own, so it may import its neighbours (`from .training import ...`).
A student release's wheel (`autograder release`) carries its assignment's folder inside the package, in
autograder/assignments/<name>/, looked in after the repository's. Folders listed in the environment variable
AUTOGRADER_ASSIGNMENTS (os.pathsep-separated; each either an assignment folder or a folder of them) are found
too, after those.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Iterator, Mapping

from autograder.course.tasks import Assignment

ASSIGNMENTS_DIR = Path(__file__).resolve().parents[2] / "assignments"
PACKAGED_DIR = Path(__file__).resolve().parents[1] / "assignments"  # only in a release's wheel
EXTRA_ENV = "AUTOGRADER_ASSIGNMENTS"
SPEC = "spec.py"


class UnknownAssignment(KeyError):
    """No assignment of that name; the message lists those there are."""

    def __str__(self) -> str:
        return str(self.args[0])


def assignment_folders() -> list[Path]:
    """Every assignment folder: the repository's, a release's, then the environment's; by name within each."""
    places = [ASSIGNMENTS_DIR, PACKAGED_DIR] + [Path(p) for p in os.environ.get(EXTRA_ENV, "").split(os.pathsep) if p]
    found: list[Path] = []
    for place in places:
        if (place / SPEC).is_file():
            found.append(place.resolve())
        elif place.is_dir():
            found += sorted(folder.resolve() for folder in place.iterdir() if (folder / SPEC).is_file())
    return found


def discover() -> dict[str, Assignment]:
    """name -> Assignment, for every folder found (a name found twice is an error naming both folders)."""
    return dict(_discover(tuple(assignment_folders())))


@lru_cache(maxsize=8)
def _discover(folders: tuple[Path, ...]) -> tuple[tuple[str, Assignment], ...]:
    found: dict[str, tuple[Assignment, Path]] = {}
    for folder in folders:
        assignment = load_spec(folder)
        if assignment.name in found:
            raise ValueError(f"two assignments are named {assignment.name!r}: {found[assignment.name][1]} and "
                             f"{folder}")
        found[assignment.name] = (assignment, folder)
    return tuple((name, assignment) for name, (assignment, _) in found.items())


def load_spec(folder: Path) -> Assignment:
    """Import folder/spec.py as the package `autograder_assignment_<folder name>` and return its ASSIGNMENT."""
    name = _package(folder)
    if name in sys.modules and Path(sys.modules[name].__file__ or "").parent == folder:
        module = sys.modules[name]
    else:
        spec = importlib.util.spec_from_file_location(name, folder / SPEC, submodule_search_locations=[str(folder)])
        if spec is None or spec.loader is None:
            raise ValueError(f"{folder / SPEC} cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before running it, so that its relative imports find their package
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    assignment = getattr(module, "ASSIGNMENT", None)
    if not isinstance(assignment, Assignment):
        raise ValueError(f"{folder / SPEC} defines no ASSIGNMENT (an autograder.tasks.Assignment)")
    return assignment


def folder_of(name: str) -> Path:
    """The folder of the assignment `name`."""
    for folder in assignment_folders():
        if load_spec(folder).name == name:
            return folder
    raise UnknownAssignment(_unknown(name))


SKIPPED_IN_DIGEST = {"examples", "__pycache__", "notebook.md"}  # what of an assignment's folder never grades


def assignment_digest(name: str) -> str:
    """sha256 of the assignment's folder (spec, misconceptions, trainer, data; not its examples or prose)."""
    folder = folder_of(name)
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not SKIPPED_IN_DIGEST & set(relative.parts):
            digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def assignment_module(name: str, part: str) -> ModuleType:
    """A module of the assignment's folder, e.g. assignment_module(name, "training") for its trainer."""
    folder = folder_of(name)
    return importlib.import_module(f"{_package(folder)}.{part}")


def _package(folder: Path) -> str:
    return f"autograder_assignment_{folder.name}"


def _unknown(name: str) -> str:
    names = sorted(discover())
    return f"no assignment named {name!r}; the assignments are: {', '.join(names) if names else '(none)'}"


class _Assignments(Mapping[str, Assignment]):
    """Every assignment by name, discovered when first used (so importing the package imports no spec)."""

    def __getitem__(self, name: str) -> Assignment:
        found = discover()
        if name not in found:
            raise UnknownAssignment(_unknown(name))
        return found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(discover())

    def __len__(self) -> int:
        return len(discover())


ASSIGNMENTS: Mapping[str, Assignment] = _Assignments()
