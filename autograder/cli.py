"""The `autograder` command. Each command declares its options and calls a function usable from Python."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from autograder import __version__
from autograder.course.config import ConfigError, GraderConfig, describe_schema, load_config
from autograder.course.registry import ASSIGNMENTS
from autograder.terminal import terminal_text

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "grader.toml"


def _config_option(function):
    return click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                        default=None, help="grader.toml to use (default: ./grader.toml, else the project's)")(function)


def _resolve_config(config_path: Path | None):
    """--config, else ./grader.toml, else the project's; one that is not the project's is layered over it (when
    there is one: not in a student's release), so a partial file changes only what it sets."""
    if config_path is None:
        config_path = Path("grader.toml") if Path("grader.toml").exists() else DEFAULT_CONFIG
    try:
        return load_config(config_path, over=DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _warn_if_other_numpy(config: GraderConfig) -> None:
    """One line on stderr per run when grader.toml states another NumPy than the one student code will run on."""
    from autograder.sandbox.numpy_removals import numpy_mismatch

    warning = numpy_mismatch(config.grading.numpy)
    if warning:
        click.echo(warning, err=True)


@click.group()
@click.version_option(version=__version__, prog_name="autograder")  # the grader's and a release's wheel alike
def main() -> None:
    """Grade neural-network homework with student code isolated in worker processes."""


@main.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--assignment", "-a", required=True, type=click.Choice(sorted(ASSIGNMENTS)))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for <id>/results.json, gradebook.csv, canvas.csv and summary.json")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="parallel graders on this machine (default: cores); overrides [batch] scheduler")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="grade on the running Dask cluster whose scheduler is at ADDRESS, e.g. tcp://10.0.0.5:8786 "
                   "(default: [batch] scheduler)")
@click.option("--cluster", metavar="local:N", default=None,
              help="grade on a Dask LocalCluster of N worker processes started for this run (a trial of --scheduler)")
@click.option("--force", is_flag=True, help="grade again even what an earlier run already graded")
@click.option("--no-report", is_flag=True, help="skip the HTML reports (`autograder report DIR` writes them later)")
@click.option("--unsafe-no-isolation", is_flag=True,
              help="grade even where student code cannot be isolated (it could read the reference and the results)")
@_config_option
def grade(submissions: tuple[Path, ...], assignment: str, out_dir: Path, jobs: int | None, scheduler: str | None,
          cluster: str | None, force: bool, no_report: bool, unsafe_no_isolation: bool,
          config_path: Path | None) -> None:
    """Grade SUBMISSIONS: notebooks, .py files, folders holding one, or folders of them."""
    from autograder.batch.dask_worker import ClusterError
    from autograder.batch.hints import wrong_assignment
    from autograder.batch.progress import ProgressBar
    from autograder.batch.run import BatchInterrupted, OutputError, grade_batch
    from autograder.sandbox.workers import NoIsolation

    config = _resolve_config(config_path)
    _warn_if_other_numpy(config)
    where = _where_to_grade(jobs, scheduler, cluster)
    bar = ProgressBar(sys.stderr, log=sys.stdout)  # a line redrawn on a terminal; else a line now and then
    try:
        report = grade_batch(list(submissions), assignment=assignment, out_dir=out_dir, config=config, jobs=jobs,
                             force=force, progress=bar.update, running=bar.running,
                             unsafe_no_isolation=unsafe_no_isolation, scheduler=where)
    except (ConfigError, NoIsolation, OutputError, ClusterError) as error:
        bar.close()
        raise click.ClickException(str(error)) from None
    except BatchInterrupted as stop:  # Ctrl-C or SIGTERM: one line, and the shell's exit code for that signal
        bar.close()
        click.echo(str(stop), err=True)
        sys.exit(stop.exit_code)
    bar.close()
    summary = report.summary
    click.echo(f"{summary['students']} students ({report.graded} graded now, {report.reused} already graded, "
               f"{summary['not_graded']} not gradable); mean {summary['score']['mean']} / "
               f"{summary['score']['max']}; gradebook: {out_dir / 'gradebook.csv'}")
    hint = wrong_assignment(report.results, assignment, out_dir)  # rnn notebooks graded as backprop, all 0
    if hint:
        click.echo(hint, err=True)
    if summary["submissions"] >= 2:  # cheap (text only), and the class summary then links to it
        _compare_after_grading(list(submissions), assignment, out_dir, config)
    if not no_report:  # the students' pages always; [report] audience = "ta" adds the TAs' beside them
        for audience in ("student", "ta") if config.report.audience == "ta" else ("student",):
            _write_reports(out_dir, audience)


def _where_to_grade(jobs: int | None, scheduler: str | None, cluster: str | None) -> str | None:
    """grade_batch's `scheduler` from the flags: None leaves it to [batch] scheduler, "" grades here."""
    import re

    if sum(option is not None for option in (jobs, scheduler, cluster)) > 1:
        raise click.UsageError("give one of -j (this machine), --scheduler (a Dask cluster) and --cluster (a "
                               "LocalCluster)")
    if cluster is not None and not re.fullmatch(r"local:[1-9]\d*", cluster):
        raise click.BadParameter(f"{cluster!r} is not local:N (N worker processes)", param_hint="--cluster")
    if scheduler is not None and (re.fullmatch(r"local:.*", scheduler) or not re.fullmatch(
            r"[a-z][a-z0-9+]*://\S+|[^\s/:]+:\d+", scheduler)):
        raise click.BadParameter(f"{scheduler!r} is not a Dask scheduler's address such as tcp://host:8786 "
                                 "(--cluster local:N starts one here)", param_hint="--scheduler")
    return cluster or scheduler or ("" if jobs is not None else None)


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--ta/--student", "ta", default=None,
              help="the TAs' pages, feedback-ta.html and summary-ta.html (hidden cases in full, the code of "
                   "failed tasks), or the students' (default: [report] audience)")
@click.option("--prune", is_flag=True, help="remove DIR/<id>/ of submissions the last `grade` no longer graded")
@_config_option
def report(out_dir: Path, ta: bool | None, prune: bool, config_path: Path | None) -> None:
    """Write DIR/<id>/feedback.html and DIR/summary.html (with --ta: feedback-ta.html and summary-ta.html, beside
    them) from the result files of the last `grade` into DIR; runs no student code."""
    audience = _resolve_config(config_path).report.audience if ta is None else ("ta" if ta else "student")
    _write_reports(out_dir, audience, prune=prune)


@main.command()
@click.argument("paths", metavar="DIR_OR_OUT...", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--assignment", "-a", required=True, type=click.Choice(sorted(ASSIGNMENTS)))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder for similarity.csv, .json and .html (default: OUT, a folder `grade --out` wrote)")
@click.option("--threshold", type=click.FloatRange(0, 100, min_open=True), default=None,
              help="flag a pair sharing this percent of the smaller one's code beyond the skeleton, or more "
                   "(default: 70)")
@click.option("--min-shared", type=click.IntRange(min=1), default=None,
              help="and at least this many characters of it, normalized (default: 100)")
@click.option("--skeleton", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a file every student was given (default: student_template/NAME.ipynb and NAME.py)")
@_config_option
def similar(paths: tuple[Path, ...], assignment: str, out_dir: Path | None, threshold: float | None,
            min_shared: int | None, skeleton: tuple[Path, ...], config_path: Path | None) -> None:
    """Rank pairs of submissions by the code they share beyond the skeleton: submissions (as `grade` takes them)
    or the OUT folder of `autograder grade`; flags pairs for a person to look at, side by side."""
    from autograder.report import ReportError
    from autograder.report.render import write_summary
    from autograder.similarity.compare import DEFAULT_MIN_SHARED, DEFAULT_THRESHOLD
    from autograder.similarity.run import SimilarityError, is_results_folder
    from autograder.similarity.run import similar as compare_class

    config = _resolve_config(config_path)
    try:
        run = compare_class(list(paths), assignment=assignment, config=config, out_dir=out_dir,
                            threshold=DEFAULT_THRESHOLD if threshold is None else threshold / 100,
                            min_shared=DEFAULT_MIN_SHARED if min_shared is None else min_shared,
                            skeleton=list(skeleton) or None)
    except SimilarityError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write the similarity files: {error.strerror} ({error.filename})") from None
    folder = run.files[0].parent
    click.echo(_similarity_line(run, folder))
    if is_results_folder(folder) and (folder / "summary.html").exists():
        try:
            click.echo(f"class summary: {write_summary(folder)}")
        except (ReportError, OSError) as error:
            click.echo(f"warning: the class summary was not updated ({error})", err=True)


def _compare_after_grading(submissions: list[Path], assignment: str, out_dir: Path, config: GraderConfig) -> None:
    """`autograder similar` on the class just graded; a problem with it is a warning, never a failed grading."""
    from autograder.batch.pool import Interrupted, interrupted_by_signals
    from autograder.similarity.run import SimilarityError, similar

    try:
        with interrupted_by_signals():
            run = similar(submissions, assignment=assignment, config=config, out_dir=out_dir)
    except (SimilarityError, OSError) as error:
        click.echo(f"warning: the submissions were not compared for shared code: {error}", err=True)
        return
    except Interrupted as interrupt:  # one line, as while grading: never click's bare "Aborted!"
        click.echo("interrupted while comparing the submissions for shared code; every grade is kept: rerun the "
                   "same command to compare them and write the reports (nothing is graded again)", err=True)
        sys.exit(128 + interrupt.signum)
    click.echo(_similarity_line(run, out_dir))


def _similarity_line(run, folder: Path) -> str:
    flagged = len(run.flagged)
    return (f"similarity: {flagged} of {run.compared} pairs share {round(100 * run.threshold)}% or more of their "
            f"code beyond the skeleton ({'look at them side by side' if flagged else 'nothing flagged'}): "
            f"{folder / 'similarity.html'}")


def _write_reports(out_dir: Path, audience: str, prune: bool = False) -> None:
    from autograder.batch.pool import Interrupted, interrupted_by_signals
    from autograder.report import ReportError, write_reports
    from autograder.report.render import PAGES

    try:
        with interrupted_by_signals():
            written = write_reports(out_dir, audience=audience, prune=prune)
    except ReportError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a folder that is not writable
        raise click.ClickException(f"cannot write the reports: {error.strerror} ({error.filename}); "
                                   f"`autograder report {out_dir}` writes them again") from None
    except Interrupted as interrupt:
        click.echo(f"interrupted while writing the reports; `autograder report {out_dir}` writes them again",
                   err=True)
        sys.exit(128 + interrupt.signum)
    for path, why in written.unreadable:
        click.echo(f"warning: {terminal_text(str(out_dir / path))} could not be read ({why}); it is left out of the "
                   "reports", err=True)
    if written.stale:  # a student removed from the class since: the gradebook no longer has them
        click.echo(f"warning: {_folders(written.stale)} in {out_dir} {'is' if len(written.stale) == 1 else 'are'} "
                   f"from submissions no longer graded, left out of the reports: {_some(written.stale)}; "
                   f"`autograder report {out_dir} --prune` removes them", err=True)
    if written.pruned:
        click.echo(f"removed {_folders(written.pruned)} of submissions no longer graded: {_some(written.pruned)}")
    click.echo(f"{len(written.feedback)} feedback reports for {'TAs' if audience == 'ta' else 'students'} "
               f"({out_dir}/<id>/{PAGES[audience][0]}); class summary: {written.summary}")


def _folders(ids: tuple[str, ...]) -> str:
    return f"{len(ids)} folder{'' if len(ids) == 1 else 's'}"


def _some(ids: tuple[str, ...], most: int = 10) -> str:
    return ", ".join(map(terminal_text, ids[:most])) + (f" and {len(ids) - most} more" if len(ids) > most else "")


@main.command()
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option("--assignment", "-a", required=True, type=click.Choice(sorted(ASSIGNMENTS)))
@click.option("--checks", "checks_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="public checks file (default: <assignment>.checks.json beside SUBMISSION, else the project's)")
@click.option("--all", "all_checks", is_flag=True, help="run the hidden checks too (needs the reference)")
@click.option("--exit-zero", is_flag=True, help="exit 0 even when a check fails (by default 1, so a CI job fails)")
@_config_option
def check(submission: Path, assignment: str, checks_file: Path | None, all_checks: bool, exit_zero: bool,
          config_path: Path | None) -> None:
    """Run the public checks on one SUBMISSION and print feedback a student can read. Exits 1 when a check
    does not pass (unless --exit-zero), so it can gate a CI job."""
    from autograder.grading import grade_submission
    from autograder.local import load_public_checks
    from autograder.report.feedback_text import render_text

    public = None
    if not all_checks:
        name = f"{assignment}.checks.json"
        candidates = [checks_file] if checks_file else list(dict.fromkeys(
            [submission.resolve().parent / name, Path.cwd() / name]
            + ([DEFAULT_CONFIG.parent / "student_template" / name] if DEFAULT_CONFIG.exists() else [])))
        found = next((path for path in candidates if path.exists()), None)
        if found is None:
            raise click.ClickException(f"no public checks file: put {name} next to {submission.name} "
                                       f"(looked for {', '.join(map(str, candidates))})")
        public = load_public_checks(found)
    if public is not None and config_path is None and not Path("grader.toml").exists() and not DEFAULT_CONFIG.exists():
        config = public.config  # a student's release: no grader.toml, the checks file's settings and default limits
    else:
        config = _resolve_config(config_path)
    _warn_if_other_numpy(config)
    configured = config.assignments.get(assignment)
    if public is not None and configured is not None and public.points != configured.points:
        click.echo(f"warning: the points in {found} are not grader.toml's "
                   f"({_points_difference(public.points, configured.points)}); this shows the checks file's: run "
                   "`autograder assign` to write it again", err=True)
    try:
        result = grade_submission(submission, assignment, config, public=public)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    sys.stdout.write(terminal_text(render_text(result, verbose=True), lines=True))  # the student's messages
    if not exit_zero and (result.error or any(c.score < c.max_score for c in result.checks)):
        sys.exit(1)


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_CONFIG.parent / "student_template", show_default=True)
@click.option("--assignment", "-a", "names", multiple=True, type=click.Choice(sorted(ASSIGNMENTS)),
              help="only these assignments (default: all)")
@_config_option
def assign(out_dir: Path, names: tuple[str, ...], config_path: Path | None) -> None:
    """Generate the student notebooks, skeletons and public-check data from the reference and assignments/."""
    from autograder.authoring.assign import SourceError, write_student_files
    from autograder.authoring.skeleton import RegionError

    config = _resolve_config(config_path)
    for unknown in sorted(set(config.assignments) - set(ASSIGNMENTS)):  # a typo, or a folder not found
        click.echo(f"warning: grader.toml has [assignments.{unknown}], but no assignment {unknown!r} was found "
                   f"(found: {', '.join(sorted(ASSIGNMENTS))}); nothing is written for it", err=True)
    try:
        for name in names or sorted(ASSIGNMENTS):
            for path in write_student_files(name, config, out_dir):
                click.echo(f"wrote {path}")
    except (RegionError, SourceError, ConfigError) as error:
        raise click.ClickException(str(error)) from None


def _points_difference(shipped: dict[str, dict[str, float]], configured: dict[str, dict[str, float]]) -> str:
    """The first few checks whose points differ, as `task.check: shipped vs configured`."""
    differ = []
    for task in sorted(set(shipped) | set(configured)):
        ours, theirs = shipped.get(task, {}), configured.get(task, {})
        differ += [f"{task}.{check}: {ours.get(check, 'none')} vs {theirs.get(check, 'none')}"
                   for check in sorted(set(ours) | set(theirs)) if ours.get(check) != theirs.get(check)]
    return ", ".join(differ[:3]) + (f" and {len(differ) - 3} more" if len(differ) > 3 else "")


@main.command()
def schema() -> None:
    """Print every grader.toml setting with its default and meaning."""
    click.echo(describe_schema())


@main.command()
@click.option("--assignment", "-a", "name", required=True, type=click.Choice(sorted(ASSIGNMENTS)))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for NAME.ipynb, NAME.py, NAME.checks.json and the student wheel")
@_config_option
def release(name: str, out_dir: Path, config_path: Path | None) -> None:
    """Write what a course hands out for one assignment: notebook, skeleton, public checks and a wheel to install."""
    from autograder.authoring.assign import SourceError
    from autograder.authoring.release import ReleaseError, write_release
    from autograder.authoring.skeleton import RegionError

    config = _resolve_config(config_path)
    try:
        written = write_release(name, config, out_dir)
    except (ReleaseError, RegionError, SourceError, ConfigError) as error:
        raise click.ClickException(str(error)) from None
    for path in written:
        click.echo(f"wrote {path}")


@main.command()
@click.option("--assignment", "-a", "name", required=True, type=click.Choice(sorted(ASSIGNMENTS)))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for gradescope-NAME.zip")
@click.option("--hidden", default="after_published", show_default=True,
              type=click.Choice(["after_published", "hidden", "after_due_date", "visible"]),
              help="Gradescope visibility of the checks (every one runs on hidden cases)")
@click.option("--deadline", type=click.FloatRange(min=61, max=600), default=540, show_default=True,
              help="seconds the grading of a submission may take on Gradescope before it is stopped with a reason")
@click.option("--unsafe-no-isolation", is_flag=True,
              help="grade even where Gradescope's machine allows no isolation of student code")
@_config_option
def gradescope(name: str, out_dir: Path, hidden: str, deadline: float, unsafe_no_isolation: bool,
               config_path: Path | None) -> None:
    """Write a Gradescope autograder zip for one assignment (setup.sh, run_autograder, settings, reference)."""
    from autograder.authoring.gradescope import GradescopeError, write_gradescope_zip

    config = _resolve_config(config_path)
    try:
        written = write_gradescope_zip(name, config, out_dir, hidden=hidden, deadline=deadline,
                                       unsafe_no_isolation=unsafe_no_isolation)
    except (GradescopeError, ConfigError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {written}")


@main.command()
@click.option("--assignment", "-a", "name", required=True, type=click.Choice(sorted(ASSIGNMENTS)))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="folder for student/ (notebook, otter tests) and autograder/autograder.zip")
@_config_option
def otter(name: str, out_dir: Path, config_path: Path | None) -> None:
    """Write one assignment as an otter-grader assignment: the student's folder and the autograder zip."""
    from autograder.authoring.assign import SourceError
    from autograder.authoring.otter import OtterError, write_otter_assignment
    from autograder.authoring.release import ReleaseError
    from autograder.authoring.skeleton import RegionError

    config = _resolve_config(config_path)
    try:
        written = write_otter_assignment(name, config, out_dir)
    except (OtterError, ReleaseError, RegionError, SourceError, ConfigError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {out_dir / 'student'} ({len(written) - 1} files) and {written[-1]}")


if __name__ == "__main__":
    main()
