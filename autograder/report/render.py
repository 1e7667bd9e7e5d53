"""Render the reports of a results folder with Jinja templates, and write them next to the results.

The two audiences' pages live side by side, so one can keep both: feedback.html and summary.html for
students, feedback-ta.html and summary-ta.html for TAs (which also show each failed task's code). Which
details a student may see is decided here, in Python, before any template runs: in the student
variant, evidence from a hidden case reaches the template as its item name only, so no template can leak
its inputs or reference values (nbgrader's issue #917 is the mistake avoided).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2

from autograder.batch.files import number, write_atomic
from autograder.report.load import Check, Evidence, ResultsFolder, Submission, load_folder
from autograder.report.plots import Heatmap, heatmap, histogram_svg
from autograder.report.student_code import CodeBlock, Definition, code_blocks, load_definitions
from autograder.report.summary import ClassSummary, summarize_class
from autograder.results import Outcome

AUDIENCES = ("student", "ta")
# audience -> (each submission's page, the class summary): a TA's pages never overwrite the students'
PAGES = {"student": ("feedback.html", "summary.html"), "ta": ("feedback-ta.html", "summary-ta.html")}
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class EvidenceView:
    """Evidence as the audience may see it; `redacted` when a hidden case's details were removed."""

    item: str
    where: str
    message: str
    received_shape: tuple[int, ...] | None
    expected_shape: tuple[int, ...] | None
    heatmap: Heatmap | None
    downsampled_from: tuple[int, ...] | None
    over_batch: bool  # a (batch, time, features) array: each square is the largest error over the batch
    hidden: bool
    redacted: bool


@dataclass(frozen=True)
class CheckView:
    check: Check
    evidence: tuple[EvidenceView, ...]


@dataclass(frozen=True)
class TaskView:
    """One task of one submission: its points, its status and the checks that lost points."""

    name: str
    score: float
    max_score: float
    outcome: str
    lost: tuple[CheckView, ...]
    passed: tuple[Check, ...]
    not_attempted: str | None  # why, when no check of the task was attempted


def environment() -> jinja2.Environment:
    """Templates from the package; every value is HTML-escaped (feedback quotes student exceptions verbatim)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(num=lambda v: str(number(v)), short=lambda v: f"{v:.2f}".rstrip("0").rstrip("."),
                       pct=lambda v: f"{v:.1f}".rstrip("0").rstrip(".") + " %",
                       shape=shape_text, seconds=lambda v: f"{v:.2f} s", slug=lambda v: v.replace(" ", "-"))
    return env


def shape_text(shape: tuple[int, ...] | None) -> str:
    """(6,) and (1, 6) as numpy prints them; a scalar as 'a number'."""
    if shape is None:
        return "unknown"
    if not shape:
        return "a number"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def evidence_view(evidence: Evidence, audience: str) -> EvidenceView:
    """Evidence for `audience`. A student sees of a hidden case only which item is wrong, its shapes and the
    pattern of where it is wrong: not the case's sizes, the message, nor any error value (from which, with
    the inputs, the reference answer would follow)."""
    redacted = evidence.hidden and audience != "ta"
    grid, expected = evidence.abs_error, evidence.expected_shape
    where = "" if redacted else evidence.where
    # The checks' message starts with the case it is about; `where` already says it.
    message = "" if redacted else evidence.message.removeprefix(f"{evidence.where}: ")
    if grid is None or not expected:  # no map, or a scalar: a single square would say nothing
        return EvidenceView(evidence.item, where, message, evidence.received_shape, expected, None, None, False,
                            evidence.hidden, redacted)
    # The checks fold a 3-D array (batch, time, features) over the batch and shrink big ones to 16 x 16 cells.
    drawn = {1: (1, expected[0]), 2: tuple(expected)}.get(len(expected), tuple(expected[-2:]))
    downsampled = expected if (len(grid), len(grid[0])) != drawn else None
    return EvidenceView(evidence.item, where, message, evidence.received_shape, expected,
                        heatmap(grid, numbers=not redacted), downsampled, len(expected) == 3, evidence.hidden,
                        redacted)


def task_views(submission: Submission, audience: str) -> list[TaskView]:
    """The submission's tasks in grading order, each with its lost and passed checks."""
    by_task: dict[str, list[Check]] = {}
    for check in submission.checks:
        by_task.setdefault(check.result.task, []).append(check)
    outcomes = submission.result.task_outcomes()
    views = []
    for task, checks in by_task.items():
        outcome = outcomes[task]
        skipped = checks[0].result.feedback if outcome is Outcome.NOT_ATTEMPTED else None
        lost = () if skipped else tuple(CheckView(c, tuple(evidence_view(e, audience) for e in c.evidence))
                                        for c in checks if c.lost_points)
        views.append(TaskView(task, sum(c.result.score for c in checks), sum(c.result.max_score for c in checks),
                              outcome.value, lost, tuple(c for c in checks if not c.lost_points), skipped))
    return views


def render_feedback(submission: Submission, *, audience: str = "student", env: jinja2.Environment | None = None,
                    definitions: tuple[Definition, ...] | None = None) -> str:
    """The feedback page of one submission for `audience` ('student' or 'ta'); a TA's shows, from
    `definitions` (its code.json), the code of each task that lost points."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    tasks = task_views(submission, audience)
    code: dict[str, tuple[CodeBlock, ...]] | None = None
    if audience == "ta" and definitions is not None:  # never on a student's page, whatever the caller passes
        code = {t.name: code_blocks(t.name, (v.check for v in t.lost), definitions) for t in tasks if t.lost}
    template = (env or environment()).get_template("feedback.html.j2")
    return template.render(sub=submission, tasks=tasks, ta=audience == "ta", code=code)


def render_summary(summary: ClassSummary, *, audience: str = "student", env: jinja2.Environment | None = None) -> str:
    """The class summary; its links go to the feedback pages of the same audience."""
    histogram = histogram_svg(summary.percents) if summary.percents else ""
    return (env or environment()).get_template("summary.html.j2").render(
        s=summary, histogram=histogram, ta=audience == "ta", feedback_page=PAGES[audience][0])


class ReportError(ValueError):
    """The folder holds nothing to report on; the message says what to do."""


@dataclass(frozen=True)
class WrittenReports:
    feedback: tuple[Path, ...]
    summary: Path
    unreadable: tuple[tuple[str, str], ...]  # (path under DIR, why) of records left out
    stale: tuple[str, ...] = ()  # folders of submissions the last run no longer graded, left out and kept
    pruned: tuple[str, ...] = ()  # such folders, removed


def write_reports(out_dir: Path, *, audience: str = "student", prune: bool = False) -> WrittenReports:
    """Write DIR/<id>/feedback.html for every grade.json of the last run under DIR, and DIR/summary.html; for
    TAs feedback-ta.html and summary-ta.html instead, beside them (the students' pages are left as they are).
    Folders of submissions the last run no longer graded are left out, and with `prune` removed."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    out_dir = Path(out_dir)
    folder: ResultsFolder = load_folder(out_dir)
    pruned = prune_stale(folder) if prune else ()
    if not folder.submissions and not folder.unreadable:
        raise ReportError(f"{out_dir} holds no <id>/grade.json: grade into it first (autograder grade ... --out DIR)")
    env = environment()
    feedback = []
    page, summary_page = PAGES[audience]
    for submission in folder.submissions:
        path = out_dir / submission.id / page
        definitions = load_definitions(out_dir, submission) if audience == "ta" else None
        _write(path, render_feedback(submission, audience=audience, env=env, definitions=definitions))
        feedback.append(path)
    summary = out_dir / summary_page
    _write(summary, render_summary(summarize_class(folder), audience=audience, env=env))
    return WrittenReports(tuple(feedback), summary, folder.unreadable, () if prune else folder.stale, pruned)


def prune_stale(folder: ResultsFolder) -> tuple[str, ...]:
    """Remove DIR/<id>/ of each submission the last run no longer graded (only those: load_folder found a
    grade.json in each, and summary.json does not list it); the ids removed."""
    for sid in folder.stale:
        target = folder.path / sid
        if target.is_symlink():
            target.unlink()  # a link is removed, never what it points to
        else:
            shutil.rmtree(target)
    return folder.stale


def write_summary(out_dir: Path) -> Path:
    """DIR/summary.html alone, from the result files in DIR (after `autograder similar` wrote what its section
    on shared code shows; the feedback pages stay as they are), and summary-ta.html too if it is there."""
    folder = load_folder(Path(out_dir))
    if not folder.submissions and not folder.unreadable:
        raise ReportError(f"{out_dir} holds no <id>/grade.json: grade into it first (autograder grade ... --out DIR)")
    summary = summarize_class(folder)
    path = Path(out_dir) / PAGES["student"][1]
    _write(path, render_summary(summary))
    if (Path(out_dir) / PAGES["ta"][1]).exists():
        _write(Path(out_dir) / PAGES["ta"][1], render_summary(summary, audience="ta"))
    return path


def _write(path: Path, text: str) -> None:
    """Replace the file in one rename, so a browser never shows half a report. No fsync: unlike grade.json,
    a report can always be rendered again, and a thousand fsyncs would be most of the time spent here."""
    write_atomic(path, text, durable=False)  # which escapes the lone surrogates a notebook's JSON can hold
