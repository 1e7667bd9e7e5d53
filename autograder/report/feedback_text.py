"""Plain-text feedback for a student at a terminal: per task, what passed and what to look at."""
from __future__ import annotations

from autograder.results import Outcome, SubmissionResult

MARKS = {Outcome.PASSED: "PASS", Outcome.PARTIAL: "PART", Outcome.FAILED: "FAIL",
         Outcome.NOT_ATTEMPTED: "TODO", Outcome.ERROR: "ERROR"}


def render_text(result: SubmissionResult, verbose: bool = False) -> str:
    """A readable report of one graded submission; same result in, same text out.

    `verbose` also lists the checks that passed, so a student sees what was checked, not only what failed.
    """
    lines = [f"{result.assignment}: {result.id}  score {_fmt(result.score)} / {_fmt(result.max_score)}"]
    if result.error:
        lines.append(f"Not graded: {result.error}")
    for note in result.notes:
        lines.append(f"note: {note}")
    outcomes = result.task_outcomes()
    scores = result.task_scores()
    for task, outcome in outcomes.items():
        max_score = sum(c.max_score for c in result.checks if c.task == task)
        lines.append("")
        lines.append(f"[{MARKS[outcome]}] {task}  {_fmt(scores[task])} / {_fmt(max_score)}")
        if outcome is Outcome.NOT_ATTEMPTED:
            first = next(c for c in result.checks if c.task == task)
            lines.append(f"    {first.feedback}")
            continue
        for check in (c for c in result.checks if c.task == task):
            if check.outcome is Outcome.PASSED and "Note:" not in check.feedback:
                if verbose:
                    lines.append(f"  {MARKS[check.outcome]} {check.check}: {check.feedback}")
                continue
            lines.append(f"  {MARKS[check.outcome]} {check.check} ({_fmt(check.score)} / {_fmt(check.max_score)})")
            lines.extend(f"    {line}" for line in check.feedback.splitlines())
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    return f"{value:g}"
