"""Grading on Gradescope: what run_autograder runs, in the container, for one student's upload.

The paths come from one setting, the environment variable AUTOGRADER_GRADESCOPE_ROOT (default /autograder,
Gradescope's): ROOT/source (the unpacked zip: grader.toml, reference/, assignments/), ROOT/submission (what
the student uploaded: a notebook, a .py, or a folder with helper files, graded as one submission), and
ROOT/results/results.json, in Gradescope's schema (batch.files writes the same for `autograder grade`).

A results.json is always there at the end, whatever the submission does:

1. before anything runs, the runner writes one that says grading did not finish (score 0);
2. it makes ROOT/source readable by root alone (a worker runs as a uid of its own), then starts the grading
   in a child process, in a session of its own;
3. the child grades and replaces results.json atomically; a child that dies, or that is still running at
   the deadline (its whole session is then killed), leaves the runner to write score 0 and the reason.

The deadline is run_autograder's --deadline (set by `autograder gradescope --deadline`); the environment
variable AUTOGRADER_GRADESCOPE_DEADLINE overrides it (the tests use a short one).

Every check of a grade runs on hidden cases (the public ones are the students' local checks): each test gets
the visibility given (`after_published` by default), and the top-level output says what is hidden and when
it shows.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from autograder.batch.files import gradescope_json, write_atomic

ROOT_ENV = "AUTOGRADER_GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"
ASSIGNMENTS_ENV = "AUTOGRADER_ASSIGNMENTS"
KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL of a grading that overran
WHEN_SHOWN = {
    "after_published": "you see their results once grades are published",
    "after_due_date": "you see their results after the due date",
    "hidden": "their results are not shown to you, and they count in your score",
    "visible": "each names a case by its sizes, never by its inputs or the expected values",
}


@dataclass(frozen=True)
class GradescopeRoot:
    """Gradescope's folders, under one root."""

    root: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike | None = None) -> GradescopeRoot:
        return cls(Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT))

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"


def fallback_results(reason: str) -> dict[str, Any]:
    """results.json of a submission the grading could not finish: score 0, and why, for the student."""
    return {"score": 0, "output": f"This submission was not graded: {reason}. Submitting again, or asking your "
            "instructor, may help.", "visibility": "visible", "stdout_visibility": "hidden", "tests": [],
            "extra_data": {"not_graded": reason}}


def write_results(paths: GradescopeRoot, data: dict[str, Any]) -> None:
    write_atomic(paths.results, json.dumps(data, indent=2) + "\n", durable=True)


def supervise(paths: GradescopeRoot, command: Sequence[str], deadline: float) -> int:
    """Run the grading `command` with at most `deadline` seconds, and leave a results.json in every case."""
    paths.results.parent.mkdir(parents=True, exist_ok=True)
    write_results(paths, fallback_results("the grading stopped before it finished"))
    protect(paths.source)
    env = dict(os.environ, **{ROOT_ENV: str(paths.root), ASSIGNMENTS_ENV: str(paths.source / "assignments")})
    started = time.monotonic()
    child = subprocess.Popen(list(command), env=env, start_new_session=True)
    try:
        code = child.wait(timeout=deadline)
    except subprocess.TimeoutExpired:
        _end_session(child)
        write_results(paths, fallback_results(f"it took longer than the {deadline:g} s the autograder allows"))
        print(f"gradescope: the grading ran past its {deadline:g} s deadline and was killed", file=sys.stderr)
        return 0
    _end_session(child)  # anything it left behind in its session
    if code != 0 or not _graded(paths.results):
        why = f"killed by signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        write_results(paths, fallback_results(f"the grader stopped unexpectedly ({why})"))
        print(f"gradescope: the grading stopped ({why}) after {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


def protect(source: Path) -> None:
    """As root: ROOT/source (grader.toml, the reference) readable and searchable by root alone. A worker runs
    as a uid of its own, so even where no other isolation is possible it cannot open them."""
    if os.geteuid() == 0 and source.is_dir():
        os.chmod(source, stat.S_IRWXU)


def _end_session(child: subprocess.Popen) -> None:
    """SIGTERM the child's session (its zygote and workers close), then SIGKILL whatever is left of it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            child.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            pass


def _graded(path: Path) -> bool:
    """Whether results.json is a grade the child wrote (not the runner's placeholder)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "not_graded" not in data.get("extra_data", {})


def choose_submission(folder: Path, name: str) -> Path:
    """What of the upload is the submission: the folder itself when it holds one notebook (helper files beside
    it are not graded), or one .py and no notebook; else NAME.ipynb or NAME.py if exactly one is there; else
    the folder, whose loading then says what is wrong (several notebooks, nothing, a symbolic link)."""
    from autograder.intake.submission import SubmissionError, folder_entries

    try:
        entries = [e for e in folder_entries(folder) if stat.S_ISREG(e.mode)]
    except SubmissionError:
        return folder
    notebooks = [e for e in entries if e.parts[-1].endswith(".ipynb")]
    candidates = notebooks or [e for e in entries if e.parts[-1].endswith(".py")]
    if len(candidates) <= 1:
        return folder
    named = [e for e in candidates if e.parts[-1] == f"{name}{'.ipynb' if notebooks else '.py'}"]
    return folder.joinpath(*named[0].parts) if len(named) == 1 else folder


def with_visibility(data: dict[str, Any], hidden: str) -> dict[str, Any]:
    """Gradescope's results, every test with visibility `hidden`, and the output saying so."""
    tests = data.get("tests", [])
    for test in tests:
        test["visibility"] = hidden
    if tests:
        note = (f"The {len(tests)} checks below ran on hidden cases, drawn at grading (not the public cases of "
                f"your local checks): {WHEN_SHOWN[hidden]}.")
        data["output"] = f"{data['output']}\n{note}" if data.get("output") else note
    return data


def grade(paths: GradescopeRoot, name: str, hidden: str, unsafe_no_isolation: bool) -> None:
    """In the child: grade the upload as one submission and write results.json."""
    from autograder.course.config import load_config
    from autograder.grading import grade_submission
    from autograder.sandbox.workers import NoIsolation, require_isolation

    config = load_config(paths.source / "grader.toml")
    try:
        require_isolation(unsafe_no_isolation)
    except NoIsolation as error:
        print(f"gradescope: {error}", file=sys.stderr)
        write_results(paths, fallback_results("the grading machine cannot isolate student code, so the "
                                              "autograder refuses to run it (the instructor can allow it)"))
        return
    started = time.monotonic()
    result = grade_submission(choose_submission(paths.submission, name), name, config)
    data = gradescope_json(result, execution_time=time.monotonic() - started)
    write_results(paths, with_visibility(data, hidden))
    print(f"gradescope: {result.score} / {result.max_score} in {time.monotonic() - started:.1f} s "
          f"(isolation: {result.isolation})", file=sys.stderr)


def check_setup(paths: GradescopeRoot) -> None:
    """For setup.sh: the settings read, and every assignment they name is found."""
    from autograder.course.config import load_config
    from autograder.course.registry import ASSIGNMENTS
    from autograder.grading import points_for

    config = load_config(paths.source / "grader.toml")
    for name in config.assignments:
        points_for(config, ASSIGNMENTS[name])
    print(f"gradescope: the grader is installed ({', '.join(config.assignments)})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.batch.gradescope", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=None, help=f"Gradescope's folder (default: ${ROOT_ENV}, else {DEFAULT_ROOT})")
    parser.add_argument("--assignment", "-a")
    parser.add_argument("--hidden", default="after_published", choices=sorted(WHEN_SHOWN))
    parser.add_argument("--deadline", type=float, default=540.0, help="seconds before the grading is killed")
    parser.add_argument("--unsafe-no-isolation", action="store_true")
    parser.add_argument("--check-setup", action="store_true", help="only check the installation (setup.sh)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # the grading, under supervision
    args = parser.parse_args(argv)
    paths = GradescopeRoot.from_env(args.root)
    if args.check_setup:
        check_setup(paths)
        return 0
    if not args.assignment:
        parser.error("--assignment is required")
    if args.child:
        grade(paths, args.assignment, args.hidden, args.unsafe_no_isolation)
        return 0
    deadline = float(os.environ.get("AUTOGRADER_GRADESCOPE_DEADLINE") or args.deadline)
    command = [sys.executable, "-m", "autograder.batch.gradescope", "--child", "--root", str(paths.root),
               "--assignment", args.assignment, "--hidden", args.hidden]
    if args.unsafe_no_isolation:
        command.append("--unsafe-no-isolation")
    return supervise(paths, command, deadline)


if __name__ == "__main__":
    sys.exit(main())
