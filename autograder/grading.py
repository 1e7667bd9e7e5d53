"""Grade one submission: read it, plan it, run it in a worker, apply every task's checks."""
from __future__ import annotations

import importlib.util
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from autograder.checks import TaskContext, grade_task
from autograder.course.config import ConfigError, GraderConfig
from autograder.course.registry import ASSIGNMENTS
from autograder.course.tasks import Assignment
from autograder.intake.submission import SubmissionError, load_submission, submission_id
from autograder.local import PublicChecks
from autograder.results import CheckResult, Outcome, SubmissionResult, task_outcome
from autograder.sandbox.numpy_removals import grader_versions
from autograder.sandbox.program import Definition, plan_program
from autograder.sandbox.runner import StudentCrash, StudentRunner


@lru_cache(maxsize=None)
def load_reference(path: Path) -> ModuleType:
    """The reference solutions, imported into the grader process only (workers never see this file)."""
    spec = importlib.util.spec_from_file_location(f"reference_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"reference file {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def points_for(config: GraderConfig, assignment: Assignment) -> dict[str, dict[str, float]]:
    """Points of every check of every task, checked against the assignment: nothing missing, nothing unknown."""
    if assignment.name not in config.assignments:
        raise ConfigError(f"grader.toml has no [assignments.{assignment.name}]")
    configured = config.assignments[assignment.name].points
    for task in configured:
        if not any(t.name == task for t in assignment.tasks):
            raise ConfigError(f"grader.toml: unknown task assignments.{assignment.name}.points.{task}")
    for task in assignment.tasks:
        checks = configured.get(task.name)
        if checks is None:
            raise ConfigError(f"grader.toml: assignments.{assignment.name}.points.{task.name} is missing")
        expected = set(assignment.check_names(task))
        for check in checks:
            if check not in expected:
                raise ConfigError(f"grader.toml: unknown check assignments.{assignment.name}.points.{task.name}."
                                  f"{check} (known: {', '.join(sorted(expected))})")
        for check in expected - set(checks):
            raise ConfigError(f"grader.toml: assignments.{assignment.name}.points.{task.name}.{check} is missing")
    return configured


def grade_submission(path: Path | str, assignment_name: str, config: GraderConfig,
                     public: PublicChecks | None = None) -> SubmissionResult:
    """The graded result of one submission. A bad submission is a result; only a broken grader raises.

    With `public`, only the public checks run, against the expected values shipped to students, with the
    worker limits and timeouts of `config`.
    """
    return grade_with_code(path, assignment_name, config, public)[0]


def grade_with_code(path: Path | str, assignment_name: str, config: GraderConfig,
                    public: PublicChecks | None = None) -> tuple[SubmissionResult, tuple[Definition, ...] | None]:
    """The graded result and the submission's top-level definitions as written (None when it cannot be read),
    taken from the plan that graded it rather than from reading the file again."""
    assignment = ASSIGNMENTS[assignment_name]
    if public is None:
        points = points_for(config, assignment)
        reference = load_reference(config.assignments[assignment_name].reference)
    else:
        points, reference = public.points, public.reference
        config = replace(config, grading=replace(config.grading, seed=public.config.grading.seed,
                                                 random_cases=public.config.grading.random_cases),
                         tolerances=public.config.tolerances)
    path = Path(path)
    result = SubmissionResult(id=submission_id(path), assignment=assignment_name, versions=grader_versions())
    try:
        submission = load_submission(path)
    except SubmissionError as error:
        result.error = str(error)
        result.checks = _zero(assignment, points, Outcome.ERROR, f"Not graded: {error}")
        return result, None
    program = plan_program(submission.cells, assignment.function_names())
    with StudentRunner(program, config.grading, config.limits.to_limits(), time_budget(config, assignment)) as runner:
        result.isolation = runner.isolation
        try:
            defined = runner.defined(assignment.function_names())
        except StudentCrash as crash:  # lost while answering the first question: every task is not run
            result.checks = _zero(assignment, points, Outcome.FAILED, f"Not run: {crash}")
            result.notes = list(runner.notes)
            return result, program.definitions
        failing: set[str] = set()  # tasks so far that did not pass: a trained model names those it is built from
        for task in assignment.tasks:
            if runner.spent():
                checks = [CheckResult(task.name, check, 0.0, float(points[task.name][check]), Outcome.FAILED,
                                      f"Not run: {runner.spent_reason()}") for check in assignment.check_names(task)]
            else:
                ctx = TaskContext(assignment, runner, reference, config, points[task.name], defined,
                                  public=public is not None, failing=frozenset(failing), lost=program.lost)
                try:
                    checks = grade_task(ctx, task)
                except StudentCrash as crash:  # the worker was lost too often: the rest scores 0, with the reason
                    checks = [CheckResult(task.name, check, 0.0, float(points[task.name][check]), Outcome.FAILED,
                                          f"Not run: {crash}") for check in assignment.check_names(task)]
            result.checks.extend(checks)
            if checks and task_outcome(checks) is not Outcome.PASSED:
                failing.add(task.name)
        result.notes = list(runner.notes)
        result.timeouts = runner.timeouts
    return result, program.definitions


def time_budget(config: GraderConfig, assignment: Assignment) -> float:
    """Seconds one submission may take in all: [grading] time_budget, or by default the loading budget, one
    call_timeout per task (a hang costs its timeout once) and 30 s, several times what a correct submission
    takes (under 2 s here)."""
    grading = config.grading
    return grading.time_budget or grading.load_timeout + grading.call_timeout * len(assignment.tasks) + 30.0


def _zero(assignment: Assignment, points: dict, outcome: Outcome, text: str) -> list[CheckResult]:
    return [CheckResult(task.name, check, 0.0, float(points[task.name][check]), outcome, text)
            for task in assignment.tasks for check in assignment.check_names(task)]
