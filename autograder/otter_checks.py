"""What the otter test files of `autograder otter` call in the student's kernel: our checks as otter test cases.

A test file `tests/<task>.py` (written by autograder/authoring/otter.py) makes one `TaskCases` each time otter
loads it, that is once per `grader.check(task)`, `grader.check_all()` or grading run, and each of its test cases
asks it about one check:

- a public case (`public`) about one check on the public cases, worth no points: the feedback `check(...)`
  gives, as otter shows a failed case;
- a hidden case (`hidden`) about one item of one check on the hidden cases (an output, a gradient, an input or a
  case): a check's points are split evenly over its items, as grading scores it, so otter's sum of passed cases
  is the score `autograder grade` gives.

A case that fails raises AssertionError with our feedback, the likely misconception included. The checks are
those of `autograder grade`, run here on the functions in the notebook's globals (`env`) with two stand-ins
(see autograder.local): `LocalRunner` for the worker and recorded expected values for the reference:
`NAME.checks.json` (the public cases) beside the test files in the student's folder, `NAME.hidden.json` (the
hidden cases) only in the autograder zip's. Nothing here isolates student code (README, otter-grader).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.checks import TaskContext, grade_task
from autograder.course.cases import hidden_seed
from autograder.course.config import GraderConfig, GradingSettings, LimitSettings, Tolerances
from autograder.course.registry import ASSIGNMENTS
from autograder.course.tasks import Task, TrainTask
from autograder.local import LocalRunner, RecordedReference, load_public_checks
from autograder.results import CheckResult, Outcome


@dataclass(frozen=True)
class CheckData:
    """What one kind of case needs: the settings its cases are drawn with, points, the recorded reference and,
    of the hidden cases, the items each check is scored by (task -> check -> items)."""

    config: GraderConfig
    points: dict[str, dict[str, float]]
    table: dict[str, Any]
    items: dict[str, dict[str, list[str]]]


def hidden_settings(config: GraderConfig) -> dict[str, Any]:
    """The settings of the hidden cases, for NAME.hidden.json: the seed they are drawn from has the course's secret
    mixed in already, so the secret itself never leaves the course."""
    grading = config.grading
    return {"seed": hidden_seed(grading.seed, grading.secret), "random_cases": grading.random_cases,
            "public_seed": grading.public_seed, "call_timeout": grading.call_timeout,
            "tolerances": {k: getattr(config.tolerances, k) for k in ("values", "gradcheck", "floor", "step")}}


def config_from_hidden(settings: dict[str, Any]) -> GraderConfig:
    grading = GradingSettings(seed=settings["seed"], random_cases=settings["random_cases"],
                              public_seed=settings["public_seed"], call_timeout=settings["call_timeout"])
    return GraderConfig(grading=grading, tolerances=Tolerances(**settings["tolerances"]), limits=LimitSettings(),
                        assignments={}, root=Path("."))


def load_check_data(tests_dir: Path, assignment: str, hidden: bool) -> CheckData:
    """The public checks file or the hidden one of `assignment`, from the tests folder."""
    if not hidden:
        public = load_public_checks(tests_dir / f"{assignment}.checks.json")
        return CheckData(public.config, public.points, public.reference.table, {})
    path = tests_dir / f"{assignment}.hidden.json"
    if not path.is_file():
        raise RuntimeError(f"{path.name} is missing: hidden cases run only in the autograder zip's tests folder")
    data = json.loads(path.read_text())
    return CheckData(config_from_hidden(data["settings"]), data["points"], data["expected"], data["items"])


class TaskCases:
    """The cases of one task's test file: grades the task once per kind of case (public, hidden) for the functions
    currently in `env`, and answers each case from that grading."""

    def __init__(self, tests_dir: str | Path, assignment: str, task: str) -> None:
        self.tests_dir = Path(tests_dir)
        self.assignment = ASSIGNMENTS[assignment]
        self.task = task
        self.graded: dict[bool, tuple[tuple, dict[str, CheckResult]]] = {}
        self.given_up: tuple[tuple, dict[str, str]] | None = None  # a function that timed out is not called again

    def public(self, env: dict[str, Any], check: str) -> None:
        """Pass, or raise AssertionError with the feedback of `check` on the public cases."""
        result = self._results(env, hidden=False)[check]
        if result.outcome is not Outcome.PASSED:
            raise AssertionError(_message(result, "on the public cases"))

    def hidden(self, env: dict[str, Any], check: str, item: str) -> None:
        """Pass when `item` of `check` is right in every hidden case; else raise AssertionError with the check's
        feedback (once per check: the other wrong items point to it)."""
        result = self._results(env, hidden=True)[check]
        expected = self._data(hidden=True).items[self.task][check]
        if result.items and list(result.items) != expected:
            raise RuntimeError(f"the hidden cases of {self.task} / {check} are scored by {list(result.items)}, "
                               f"the test file by {expected}: rebuild the assignment with `autograder otter`")
        failed = list(result.failed_items) if result.items else \
            ([] if result.outcome is Outcome.PASSED else expected)  # a check that never ran: every item lost
        if item not in failed:
            return
        if item == failed[0]:
            raise AssertionError(_message(result, "on the hidden cases"))
        raise AssertionError(f"{item} is wrong too: see {self.task} / {check}: {failed[0]}, above")

    def _data(self, hidden: bool) -> CheckData:
        return load_check_data(self.tests_dir, self.assignment.name, hidden)

    def _results(self, env: dict[str, Any], hidden: bool) -> dict[str, CheckResult]:
        # The functions themselves (held, so no id is reused) say whether the notebook changed since the last case.
        key = (id(env),) + tuple(env.get(name) for name in self.assignment.function_names())
        if hidden in self.graded and self.graded[hidden][0] == key:
            return self.graded[hidden][1]
        data = self._data(hidden)
        runner = LocalRunner(env, timeout=data.config.grading.call_timeout)  # calls timed as grading times them
        if self.given_up is not None and self.given_up[0] == key:
            runner.given_up = self.given_up[1]
        self.given_up = (key, runner.given_up)
        reference = RecordedReference(self.assignment, table=data.table)
        defined = runner.defined(self.assignment.function_names())
        spec = self.assignment.task(self.task)
        failing: frozenset[str] = frozenset()
        if hidden and isinstance(spec, TrainTask):  # the diagnosis names the layers that lost points, as grading does
            failing = frozenset(name for name in spec.uses if any(
                r.outcome is not Outcome.PASSED
                for r in self._grade(self.assignment.task(name), runner, reference, data, defined, hidden)))
        results = {r.check: r for r in self._grade(spec, runner, reference, data, defined, hidden, failing)}
        self.graded[hidden] = (key, results)
        return results

    def _grade(self, spec: Task, runner: LocalRunner, reference: RecordedReference, data: CheckData,
               defined: set[str], hidden: bool, failing: frozenset[str] = frozenset()) -> list[CheckResult]:
        ctx = TaskContext(self.assignment, runner, reference, data.config, data.points[spec.name], defined,
                          public=not hidden, failing=failing)
        return grade_task(ctx, spec)


def _message(result: CheckResult, cases: str) -> str:
    return f"{result.task} / {result.check} {cases}: {result.score:g} of {result.max_score:g}\n{result.feedback}"
