"""What a finished batch suggests to the instructor: a class graded against the wrong assignment.

Grading rnn notebooks with `-a backprop` scores every row 0 and says only "not attempted" per task. When most
graded submissions define none of the assignment's functions, the functions they do define (their code.json)
name the assignment they look like, and one line says so.
"""
from __future__ import annotations

import json
from pathlib import Path

from autograder.checks import NO_FUNCTION
from autograder.course.registry import ASSIGNMENTS
from autograder.course.tasks import TrainTask
from autograder.results import SubmissionResult


def wrong_assignment(results: list[SubmissionResult], assignment: str, out_dir: Path) -> str | None:
    """A warning when more than half of the graded `results` define none of `assignment`'s functions, naming
    the other assignments whose functions most of them define; None otherwise. A skeleton (its functions
    defined, raising NotImplementedError) is not such a submission."""
    spec = ASSIGNMENTS[assignment]
    graded = [r for r in results if r.error is None]
    missing = [r for r in graded if _defines_none(r, {t.name for t in spec.tasks if not isinstance(t, TrainTask)})]
    if not missing or 2 * len(missing) <= len(graded):
        return None
    defined = [_defined_names(Path(out_dir) / r.id / "code.json") for r in missing]
    alike = {name: sum(1 for names in defined if names & set(other.function_names()))
             for name, other in sorted(ASSIGNMENTS.items()) if name != assignment}
    most = max(alike.values(), default=0)
    line = f"warning: {len(missing)} of {len(graded)} submissions define none of {assignment}'s functions"
    if most == 0:
        return f"{line} ({', '.join(spec.function_names()[:3])}, ...); is -a {assignment} the assignment they did?"
    return f"{line}; they look like " + " or ".join(f"{name} (-a {name})" for name, n in alike.items() if n == most)


def _defines_none(result: SubmissionResult, functions: set[str]) -> bool:
    """Whether every task of `functions` was 'not attempted' for want of its function."""
    checks = [c for c in result.checks if c.task in functions]
    return bool(checks) and all(NO_FUNCTION in c.feedback for c in checks)


def _defined_names(path: Path) -> set[str]:
    """The top-level names a submission defines, from its code.json (none when it is missing or unreadable)."""
    try:
        return {str(d["name"]) for d in json.loads(path.read_text(encoding="utf-8"))["definitions"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()
