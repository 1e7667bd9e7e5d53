"""Feedback for a student at a terminal (text) or in a notebook's output cell (HTML): per task, what passed
and what to look at, each thing said once.

A task's checks often fail for one reason: a crash in every case, a hang, a forward that is not written yet.
Checks whose explanations are the same are listed together and the explanation follows once, and a "Likely
misconception" paragraph that several checks share is given once, at the end of the task.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from autograder.results import CheckResult, Outcome, SubmissionResult

MARKS = {Outcome.PASSED: "PASS", Outcome.PARTIAL: "PART", Outcome.FAILED: "FAIL",
         Outcome.NOT_ATTEMPTED: "TODO", Outcome.ERROR: "ERROR"}
COLOURS = {Outcome.PASSED: "#1a7f37", Outcome.PARTIAL: "#9a6700", Outcome.FAILED: "#cf222e",
           Outcome.NOT_ATTEMPTED: "#57606a", Outcome.ERROR: "#cf222e"}
MISCONCEPTION = "Likely misconception"


@dataclass
class Group:
    """Checks of one task shown together: each with what it checked, then the explanation they share."""

    checks: list[tuple[CheckResult, str]]  # (check, its "Checked: ..." line, or "")
    why: list[str]


@dataclass
class TaskView:
    task: str
    outcome: Outcome
    score: float
    max_score: float
    passed: list[CheckResult]  # checks that passed with nothing to add
    groups: list[Group]
    shared: list[str]  # paragraphs given once for the whole task (a shared misconception)
    not_attempted: str | None = None


def points(value: float) -> str:
    """Points as a grader writes them: 4.67, not 4.66667; whole numbers without decimals."""
    return f"{round(float(value), 2):g}"


def task_views(result: SubmissionResult) -> list[TaskView]:
    """Each task of `result`, its checks grouped so that every explanation is given once."""
    views = []
    scores = result.task_scores()
    for task, outcome in result.task_outcomes().items():
        checks = [c for c in result.checks if c.task == task]
        view = TaskView(task, outcome, scores[task], sum(c.max_score for c in checks), [], [], [])
        if outcome is Outcome.NOT_ATTEMPTED:
            view.not_attempted = checks[0].feedback
            views.append(view)
            continue
        explained = []
        for check in checks:
            if check.outcome is Outcome.PASSED and "Note:" not in check.feedback:
                view.passed.append(check)
                continue
            lines = check.feedback.splitlines()
            checked = lines[0] if lines and lines[0].startswith("Checked:") else ""
            explained.append((check, checked, lines[1:] if checked else lines))
        # A misconception paragraph that more than one check gives is said once, after the task's checks.
        counts: dict[str, int] = {}
        for _, _, why in explained:
            for line in dict.fromkeys(why):
                if line.startswith(MISCONCEPTION):
                    counts[line] = counts.get(line, 0) + 1
        view.shared = [line for line, count in counts.items() if count > 1]
        for check, checked, why in explained:
            why = [line for line in why if line not in view.shared]
            same = next((g for g in view.groups if g.why == why and why), None)
            if same is not None:
                same.checks.append((check, checked))
            else:
                view.groups.append(Group([(check, checked)], why))
        views.append(view)
    return views


def render_text(result: SubmissionResult, verbose: bool = False) -> str:
    """A readable report of one graded submission; same result in, same text out.

    `verbose` also lists the checks that passed, so a student sees what was checked, not only what failed.
    """
    lines = [f"{result.assignment}: {result.id}  score {points(result.score)} / {points(result.max_score)}"]
    if result.error:
        lines.append(f"Not graded: {result.error}")
    for note in result.notes:
        lines.append(f"note: {note}")
    for view in task_views(result):
        lines.append("")
        lines.append(f"[{MARKS[view.outcome]}] {view.task}  {points(view.score)} / {points(view.max_score)}")
        if view.not_attempted is not None:
            lines.append(f"    {view.not_attempted}")
            continue
        if verbose:
            lines.extend(f"  {MARKS[c.outcome]} {c.check}: {c.feedback}" for c in view.passed)
        for group in view.groups:
            for check, checked in group.checks:
                lines.append(f"  {MARKS[check.outcome]} {check.check} ({points(check.score)} / "
                             f"{points(check.max_score)})")
                if checked:
                    lines.append(f"    {checked}")
            if len(group.checks) > 1:
                lines.append(f"    Each of {', '.join(c.check for c, _ in group.checks)}:")
            lines.extend(f"    {line}" for line in group.why)
        lines.extend(f"  {line}" for line in view.shared)
    return "\n".join(lines) + "\n"


def render_html(result: SubmissionResult) -> str:
    """Compact HTML for a notebook output cell: the score, then per task its points and one line per check,
    with the same grouping as the text."""
    e = html.escape
    rows = []
    for view in task_views(result):
        colour = COLOURS[view.outcome]
        rows.append(f'<tr style="border-top:1px solid #d0d7de"><td style="color:{colour};font-weight:bold;'
                    f'padding-right:1em">{MARKS[view.outcome]}</td><td colspan="2" style="text-align:left">'
                    f'<b><code>{e(view.task)}</code></b> {points(view.score)} / {points(view.max_score)}</td></tr>')
        if view.not_attempted is not None:
            rows.append(_row("", "", e(view.not_attempted)))
            continue
        for check in view.passed:
            rows.append(_row(_mark(check), _name(check), e(check.feedback)))
        for group in view.groups:
            for check, checked in group.checks:
                text = e(checked) if len(group.checks) > 1 else "<br>".join(e(line) for line in [checked] + group.why
                                                                             if line)
                rows.append(_row(_mark(check), _name(check), text))
            if len(group.checks) > 1:
                names = ", ".join(c.check for c, _ in group.checks)
                rows.append(_row("", "", f"<i>Each of {e(names)}:</i><br>" + "<br>".join(e(l) for l in group.why)))
        for line in view.shared:
            rows.append(_row("", "", e(line)))
    head = (f'<p style="margin:0 0 .3em 0"><b>{e(result.assignment)}</b>: score <b>{points(result.score)} / '
            f'{points(result.max_score)}</b></p>')
    notes = "".join(f'<p style="margin:0;color:#9a6700">{e(text)}</p>' for text in
                    ([f"Not graded: {result.error}"] if result.error else []) + [f"note: {n}" for n in result.notes])
    return head + notes + '<table style="font-size:90%">' + "".join(rows) + "</table>"


def _mark(check: CheckResult) -> str:
    return f'<span style="color:{COLOURS[check.outcome]};font-weight:bold">{MARKS[check.outcome]}</span>'


def _name(check: CheckResult) -> str:
    return f"<code>{html.escape(check.check)}</code> ({points(check.score)} / {points(check.max_score)})"


def _row(mark: str, name: str, text: str) -> str:
    return (f'<tr><td style="padding-right:1em">{mark}</td><td style="padding-right:1em;white-space:nowrap">{name}'
            f'</td><td style="text-align:left">{text}</td></tr>')
