"""grader.toml, read through a typed schema: every key has a description, a default and a check.

An unknown key is an error that names it, so a misspelt setting can never be silently ignored.
"""
from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable

from autograder.sandbox.isolation import Limits


class ConfigError(ValueError):
    """grader.toml is not valid; the message names the key."""


def _positive(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    return None if ok else "must be a positive number"


def _non_negative(value: Any) -> str | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
    return None if ok else "must be a non-negative number"


def _count(value: Any) -> str | None:
    return None if type(value) is int and value >= 0 else "must be a non-negative integer"


def _integer(value: Any) -> str | None:
    return None if type(value) is int else "must be an integer"


def _release(value: Any) -> str | None:
    ok = isinstance(value, str) and (value == "" or re.fullmatch(r"\d+(\.\d+)*", value) is not None)
    return None if ok else 'must be a release number as a string, such as "2.4" or "1.26.4" ("" for unstated)'


SECRET_ENV = "AUTOGRADER_SECRET"  # overrides [grading] secret


def _setting(default: Any, doc: str, check: Callable[[Any], str | None]) -> Any:
    return field(default=default, metadata={"doc": doc, "check": check})


@dataclass(frozen=True)
class GradingSettings:
    """[grading]: how cases are drawn and how long student code may take."""

    seed: int = _setting(2026, "seed of every random input; the same seed gives the same grade", _integer)
    random_cases: int = _setting(3, "random size cases per task, besides the one with N = 1", _count)
    call_timeout: float = _setting(5.0, "seconds one call into student code may take", _positive)
    statement_timeout: float = _setting(5.0, "seconds one top-level statement of a submission may take", _positive)
    load_timeout: float = _setting(30.0, "seconds all top-level statements together may take; what they do not "
                                   "reach is never run, not even on a replay", _positive)
    time_budget: float = _setting(0.0, "seconds of wall-clock time one submission may take in all (loading, "
                                  "every call, every restart); what is not reached by then scores 0 with the "
                                  "reason; 0 = load_timeout + call_timeout per task + 30 s", _non_negative)
    public_seed: int = _setting(7, "seed of the public cases students check locally (differs from `seed`)", _integer)
    # Never printed (repr=False) and never recorded: the grader fingerprint holds only a short hash of it.
    secret: str = field(default="", repr=False, metadata={
        "doc": "secret the hidden cases are drawn from together with `seed`, so that a leaked case exposes them "
               f"for no other run; the environment variable {SECRET_ENV} overrides it (keep it out of version "
               "control); '' draws them from `seed` alone",
        "check": lambda v: None if isinstance(v, str) else "must be a string"})
    public_cases: int = _setting(1, "random size cases of the local checks, besides the one with N = 1", _count)
    numpy: str = _setting("", "the NumPy release the course uses, e.g. '2.4' (matches 2.4.x); `grade` and `check` "
                          "warn once when the installed NumPy is another ('' leaves it unstated)", _release)


@dataclass(frozen=True)
class Tolerances:
    """[tolerances]: how close is correct. Errors are max|a-b| / max(max|a|, max|b|, floor), in float64."""

    values: float = _setting(1e-7, "largest relative error against the reference", _positive)
    gradcheck: float = _setting(1e-5, "largest relative error of a backward against its numeric gradient",
                                _positive)
    floor: float = _setting(1e-8, "smallest denominator of a relative error", _positive)
    step: float = _setting(1e-5, "step of the centered differences of a numeric gradient", _positive)


@dataclass(frozen=True)
class LimitSettings:
    """[limits]: resources of one worker process."""

    memory_mb: int = _setting(2048, "address-space limit of a worker, MiB", _positive)
    cpu_seconds: int = _setting(300, "CPU seconds a worker may use in its life", _positive)
    file_kb: int = _setting(1024, "largest file (printed output included) a worker may write, KiB", _positive)
    processes: int = _setting(16, "processes and threads a worker may have", _positive)

    def to_limits(self) -> Limits:
        return Limits(memory_mb=self.memory_mb, cpu_seconds=self.cpu_seconds, file_kb=self.file_kb,
                      processes=self.processes)


def _regex_with_id(value: Any) -> str | None:
    import re

    try:
        compiled = re.compile(value) if isinstance(value, str) else None
    except re.error as exc:
        return f"is not a regular expression ({exc})"
    if compiled is None or "id" not in compiled.groupindex:
        return "must be a regular expression with a (?P<id>...) group"
    return None


def _scheduler(value: Any) -> str | None:
    """'' (this machine's processes), local:N, or a Dask scheduler's address (tcp://host:8786, host:8786)."""
    ok = isinstance(value, str) and re.fullmatch(
        r"|local:[1-9]\d*|[a-z][a-z0-9+]*://\S+|(?!local:)[^\s/:]+:\d+", value)  # local:0 is no host:port
    return None if ok else "must be '', local:N, or a Dask scheduler address such as 'tcp://host:8786'"


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda value: None if value in choices else f"must be one of {', '.join(choices)}"


@dataclass(frozen=True)
class BatchSettings:
    """[batch]: how a folder of submissions becomes a gradebook."""

    student_id: str = _setting("(?P<id>.+)", "regular expression on a submission's file stem; its `id` group is "
                               "the student id (e.g. '(?P<id>[a-z0-9]+)_' for 'jdoe7_hw2.ipynb'); a stem it does not "
                               "match keeps its whole stem as the id, and its row says so", _regex_with_id)
    naming: str = _setting("plain", "how file names are read: 'plain' (by `student_id`) or 'canvas' (Canvas's "
                           "bulk download, <login>_[LATE_]<userid>_<submissionid>_<name>: the login is the student "
                           "id, LATE marks the row late, the userid fills canvas.csv's ID column; `student_id` "
                           "must then be left unset)", _one_of("plain", "canvas"))
    duplicates: str = _setting("latest", "which submission counts when a student has several: 'latest' (newest "
                               "file, then last name) or 'best' (highest score)", _one_of("latest", "best"))
    canvas_id_column: str = _setting("SIS User ID", "Canvas gradebook column that holds the student id",
                                     _one_of("ID", "SIS User ID", "SIS Login ID"))
    canvas_assignment: str = _setting("", "Canvas column title of the assignment (default: the assignment "
                                      "name)", lambda v: None if isinstance(v, str) else "must be a string")
    scheduler: str = _setting("", "where `grade` grades: '' in this machine's processes (-j), 'local:N' on a Dask "
                              "LocalCluster of N worker processes started for the run, or a running Dask "
                              "scheduler's address (e.g. 'tcp://10.0.0.5:8786'); --scheduler and --cluster "
                              "override it", _scheduler)


@dataclass(frozen=True)
class ReportSettings:
    """[report]: the HTML reports (`autograder report`, and `grade` at its end)."""

    audience: str = _setting("student", "whose pages `autograder report DIR` writes: 'student' (feedback.html, "
                             "summary.html: a hidden case shows no inputs, expected values or errors) or 'ta' "
                             "(feedback-ta.html, summary-ta.html beside them: everything, the code of failed tasks, "
                             "under a do-not-hand-out banner); `grade` writes the students' pages, and with 'ta' "
                             "the TAs' too", _one_of("student", "ta"))


@dataclass(frozen=True)
class AssignmentSettings:
    """[assignments.NAME]: where its reference lives and the points of every check of every task."""

    reference: Path
    points: dict[str, dict[str, float]]


@dataclass(frozen=True)
class GraderConfig:
    grading: GradingSettings
    tolerances: Tolerances
    limits: LimitSettings
    assignments: dict[str, AssignmentSettings]
    root: Path
    batch: BatchSettings = BatchSettings()
    report: ReportSettings = ReportSettings()
    path: Path | None = None  # the grader.toml it was read from: a Dask worker is told where the client's is
    over: Path | None = None  # the grader.toml `path` was layered over (a partial file), if any


def load_config(path: Path | str, over: Path | str | None = None) -> GraderConfig:
    """Read and validate grader.toml; paths in it are relative to its folder.

    With `over` (another grader.toml, the project's), `path` may be partial: every key it does not set is
    taken from `over`, [assignments.NAME] included (their points task by task), so a file that only says
    `[grading] call_timeout = 2` is that change and nothing else.
    """
    path = Path(path).resolve()
    data = _read(path)
    over = None if over is None or Path(over).resolve() == path else Path(over).resolve()
    if over is not None:
        data = _layered(_read(over, absolute=True), data)
    _reject_unknown(data, {"grading", "tolerances", "limits", "batch", "report", "assignments"}, "")
    assignments = {}
    for name, table in _table(data, "assignments").items():
        assignments[name] = _assignment(name, table, path.parent)
    return GraderConfig(
        grading=_with_secret_from_env(_section(GradingSettings, data, "grading")),
        tolerances=_section(Tolerances, data, "tolerances"),
        limits=_section(LimitSettings, data, "limits"),
        batch=_batch(data),
        report=_section(ReportSettings, data, "report"),
        assignments=assignments,
        root=path.parent,
        path=path,
        over=over,
    )


def describe_schema() -> str:
    """Every settable key with its default and meaning, for `autograder config --help`-style output."""
    lines = []
    for section, cls in (("grading", GradingSettings), ("tolerances", Tolerances), ("limits", LimitSettings),
                         ("batch", BatchSettings), ("report", ReportSettings)):
        lines.append(f"[{section}]")
        for f in fields(cls):
            lines.append(f"{f.name} = {f.default!r}  # {f.metadata['doc']}")
    lines += ["[assignments.NAME]  # one per assignment (assignments/NAME/spec.py); no defaults",
              'reference = "reference/NAME.py"  # its reference solutions, relative to grader.toml; never shown to '
              "students",
              "[assignments.NAME.points]",
              "TASK = { CHECK = POINTS, ... }  # points of every check of every task (`autograder assign` lists "
              "them); a missing or unknown one is an error"]
    return "\n".join(lines)


def _read(path: Path, absolute: bool = False) -> dict:
    """The TOML of `path`; with `absolute`, its assignments' reference paths made absolute (so that they keep
    naming the same files once layered under another grader.toml)."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if absolute:
        for table in _table(data, "assignments").values():
            if isinstance(table, dict) and isinstance(table.get("reference"), str):
                table["reference"] = str(path.parent / table["reference"])
    return data


def _layered(base: dict, top: dict) -> dict:
    """`top` over `base`: tables merge key by key, any other value of `top` replaces `base`'s."""
    merged = dict(base)
    for key, value in top.items():
        merged[key] = _layered(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) \
            else value
    return merged


def _with_secret_from_env(grading: GradingSettings) -> GradingSettings:
    """The environment's AUTOGRADER_SECRET wins over grader.toml's (a secret need not live in a shared file)."""
    secret = os.environ.get(SECRET_ENV, "")
    return replace(grading, secret=secret) if secret else grading


def _section(cls: type, data: dict, name: str) -> Any:
    table = _table(data, name)
    known = {f.name: f for f in fields(cls)}
    _reject_unknown(table, set(known), f"{name}.")
    values = {}
    for key, value in table.items():
        problem = known[key].metadata["check"](value)
        if problem:
            raise ConfigError(f"grader.toml: {name}.{key} {problem} (got {value!r})")
        values[key] = value
    return cls(**values)


def _batch(data: dict) -> BatchSettings:
    batch = _section(BatchSettings, data, "batch")
    if batch.naming != "plain" and "student_id" in _table(data, "batch"):
        raise ConfigError(f"grader.toml: batch.student_id and batch.naming = {batch.naming!r} both say how to read "
                          "a file name; keep one")
    return batch


def _assignment(name: str, table: Any, root: Path) -> AssignmentSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"grader.toml: assignments.{name} must be a table")
    _reject_unknown(table, {"reference", "points"}, f"assignments.{name}.")
    if not isinstance(table.get("reference"), str):
        raise ConfigError(f"grader.toml: assignments.{name}.reference must name the reference file")
    points: dict[str, dict[str, float]] = {}
    for task, checks in _table(table, "points").items():
        if not isinstance(checks, dict):
            raise ConfigError(f"grader.toml: assignments.{name}.points.{task} must be a table of check = points")
        for check, value in checks.items():
            if _count(value) and _positive(value):
                raise ConfigError(f"grader.toml: assignments.{name}.points.{task}.{check} must be >= 0")
        points[task] = dict(checks)
    return AssignmentSettings(reference=root / table["reference"], points=points)


def _table(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"grader.toml: {key} must be a table")
    return value


def _reject_unknown(table: dict, known: set[str], prefix: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"grader.toml: unknown key {prefix}{key} (known: {', '.join(sorted(known))})")
