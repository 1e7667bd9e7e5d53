"""`autograder otter`: one assignment as an otter-grader assignment, for a course that grades with otter.

It writes, for assignment NAME, a folder laid out as `otter assign` lays out its output:

- student/: what students get. NAME.ipynb (our notebook, with `grader = otter.Notebook(tests_dir="tests")` in
  its setup cell, `grader.check("task")` under every task, `grader.check_all()` and `grader.export()` at the
  end), tests/<task>.py (one otter test file per task: exception-based, `OK_FORMAT = False`, public cases only),
  tests/NAME.checks.json (the public cases' expected values, as `autograder assign` records them) and
  autograder/ (the student-side package, as the release wheel holds it: the tests import it, and the kernel finds
  it beside the notebook, so students install otter-grader and nothing else);
- autograder/autograder.zip: what `otter run -a`, `otter grade -a` and Gradescope take, laid out as otter 7's
  `otter generate` lays it out: otter_config.json, setup.sh, run_autograder, run_otter.py and environment.yml
  (authoring/otter_image.py), tests/ (the test files with their hidden cases too, the public checks file and
  NAME.hidden.json, the hidden cases' expected values) and files/autograder/ (the package again: otter copies
  files/ into the submission's folder before it runs the notebook).

Points: a test file's public cases are worth 0 (they are feedback); its hidden cases, one per item of each check
(what a check's points are split over, see autograder.checks.common.Tally), carry the task's points from
grader.toml, so otter's sum of passed cases is what `autograder grade` gives. The hidden cases are drawn from
[grading] seed and secret as grading draws them; the zip holds their expected values and the seed they were
drawn from, never the secret nor the reference's code. Every written file is scanned for the reference's
solution lines first, as a release is.
"""
from __future__ import annotations

import json
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.authoring import otter_image
from autograder.authoring.assign import write_student_files
from autograder.authoring.gradescope import constraints
from autograder.authoring.release import _project, build_wheel, find_leaks
from autograder.checks import TaskContext, grade_task
from autograder.course.config import GraderConfig
from autograder.course.registry import ASSIGNMENTS
from autograder.course.tasks import Assignment
from autograder.grading import load_reference, points_for
from autograder.local import LocalRunner, RecordedReference, config_from_public
from autograder.otter_checks import config_from_hidden, hidden_settings
from autograder.results import Outcome

SETUP_LINE = re.compile(r'^check = Checker\("(\w+)", globals\(\)\)$', re.MULTILINE)
CHECK_CELL = re.compile(r'^check\("(\w+)"\)$')
FIXED_DATE = (2020, 1, 1, 0, 0, 0)
EXECUTABLE = {"setup.sh", "run_autograder"}
ZIP_NAME = "autograder.zip"


class OtterError(RuntimeError):
    """The otter assignment cannot be built; the message says why."""


def write_otter_assignment(name: str, config: GraderConfig, out_dir: Path) -> list[Path]:
    """out_dir/student/ (notebook, public tests, package) and out_dir/autograder/autograder.zip for `name`."""
    assignment = ASSIGNMENTS[name]
    if name not in config.assignments:
        raise OtterError(f"grader.toml has no [assignments.{name}] naming its reference")
    points = points_for(config, assignment)
    reference_path = config.assignments[name].reference
    reference = load_reference(reference_path)
    with tempfile.TemporaryDirectory(prefix=f"otter-{name}-") as scratch:
        staging = Path(scratch)
        notebook, _, checks_path = write_student_files(name, config, staging / "release")
        public = json.loads(checks_path.read_text())
        hidden = record_hidden_checks(assignment, config, reference, points)
        public_checks = public_check_names(assignment, public, reference)
        student, grading = staging / "student", staging / "grading"
        package = package_files(name, staging, reference_path)
        for root, with_hidden in ((student, False), (grading, True)):
            tests = root / "tests"
            tests.mkdir(parents=True)
            for task in assignment.tasks:
                text = test_file(name, task.name, points[task.name], public_checks[task.name],
                                 hidden["items"][task.name] if with_hidden else None)
                (tests / f"{task.name}.py").write_text(text)
            shutil.copyfile(checks_path, tests / checks_path.name)
            package_root = root if not with_hidden else root / "files"
            for member, data in package.items():
                (package_root / member).parent.mkdir(parents=True, exist_ok=True)
                (package_root / member).write_bytes(data)
        (grading / "tests" / f"{name}.hidden.json").write_text(json.dumps(hidden, indent=1, sort_keys=True) + "\n")
        nbformat.write(otter_notebook(nbformat.read(notebook, as_version=4)), student / f"{name}.ipynb")
        for member, text in image_files(config).items():
            (grading / member).write_text(text)
        written = sorted(p for p in staging.rglob("*") if p.is_file() and staging / "release" not in p.parents)
        leaks = find_leaks(reference_path.read_text(), written)
        if leaks:
            raise OtterError("the otter assignment would carry the reference: " + "; ".join(leaks[:5]))
        out_dir = Path(out_dir)
        target_student = out_dir / "student"
        shutil.rmtree(target_student, ignore_errors=True)
        shutil.copytree(student, target_student)
        archive = write_zip(grading, out_dir / "autograder" / ZIP_NAME)
    return sorted(p for p in target_student.rglob("*") if p.is_file()) + [archive]


def record_hidden_checks(assignment: Assignment, config: GraderConfig, reference_module: object,
                         points: dict[str, dict[str, float]]) -> dict:
    """Every check on the hidden cases, run against the reference in this process: the expected values they used,
    their settings (the seed they are drawn from, not the secret) and the items each check is scored by."""
    settings = hidden_settings(config)
    hidden_config = config_from_hidden(settings)
    recorder = RecordedReference(assignment, module=reference_module)
    namespace = {name: getattr(reference_module, name) for name in dir(reference_module)}
    runner = LocalRunner(namespace)
    items: dict[str, dict[str, list[str]]] = {}
    for task in assignment.tasks:
        ctx = TaskContext(assignment, runner, recorder, hidden_config, points[task.name],
                          runner.defined(assignment.function_names()), public=False)
        results = grade_task(ctx, task)
        failed = [r.name for r in results if r.outcome is not Outcome.PASSED]
        if failed:
            raise OtterError(f"the reference fails its own hidden checks: {failed}")
        # A check scored by no item earns its points whole: one case of its own name stands for it.
        items[task.name] = {r.check: list(r.items) or [r.check] for r in results}
    return {"assignment": assignment.name, "settings": settings, "points": points, "items": items,
            "expected": dict(sorted(recorder.table.items()))}


def public_check_names(assignment: Assignment, public: dict, reference_module: object) -> dict[str, list[str]]:
    """The checks each task runs on the public cases (some run on hidden cases only), from the recorded values."""
    config = config_from_public(public["settings"])
    replay = RecordedReference(assignment, table=public["expected"])
    namespace = {name: getattr(reference_module, name) for name in dir(reference_module)}
    runner = LocalRunner(namespace)
    names = {}
    for task in assignment.tasks:
        ctx = TaskContext(assignment, runner, replay, config, public["points"][task.name],
                          runner.defined(assignment.function_names()), public=True)
        names[task.name] = [r.check for r in grade_task(ctx, task)]
    return names


def test_file(assignment: str, task: str, points: dict[str, float], public: list[str],
              hidden: dict[str, list[str]] | None) -> str:
    """The otter test file of one task: its public cases, and its hidden ones when `hidden` (check -> items)."""
    cases: list[tuple[str, float, bool, str]] = [(f"{task} / {check}", 0, False, f"CASES.public(env, {check!r})")
                                                 for check in public]
    for check, items in (hidden or {}).items():
        share = float(points[check]) / len(items)
        cases += [(f"{task} / {check}: {item} (hidden cases)", share, True, f"CASES.hidden(env, {check!r}, {item!r})")
                  for item in items]
    total = float(sum(points.values()))
    # otter refuses a file whose cases add up to more than its points; thirds may add up to a hair more
    written = sum(case[1] for case in cases)
    total = max(total, written)
    lines = [f'"""{task}, of the {assignment} assignment: otter test cases written by `autograder otter`.',
             "",
             "Regenerate them rather than edit them. Each case runs the grader's own checks on the notebook's",
             "functions (autograder.otter_checks) and fails with its feedback. Public cases are worth no points:",
             "every point is on the hidden cases (in the autograder zip only), one case per item a check is scored",
             'by, as `autograder grade` scores it."""',
             "OK_FORMAT = False",
             "",
             "import inspect",
             "import os",
             "",
             "from otter.test_files import test_case",
             "",
             "from autograder.otter_checks import TaskCases",
             "",
             f"name = {task!r}",
             f"points = {_number(total)}",
             "# otter compiles this file under its own path, and loads it afresh for every check: one grading per load",
             f"CASES = TaskCases(os.path.dirname(inspect.currentframe().f_code.co_filename), {assignment!r}, {task!r})"]
    for number, (case_name, share, is_hidden, call) in enumerate(cases, start=1):
        lines += ["", "", f"@test_case(name={case_name!r}, points={_number(share)}, hidden={is_hidden})",
                  f"def case_{number}(env):", f"    {call}"]
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def otter_notebook(notebook: NotebookNode) -> NotebookNode:
    """Our student notebook made an otter one: otter's grader made in the setup cell (our `check` kept for
    `check.ready(...)` and `check.trainer(...)`, on the tests folder's checks file), `grader.check(...)` cells,
    and otter's closing cells."""
    found = None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace("`check(", "`grader.check(")
        elif cell.cell_type == "code" and (match := SETUP_LINE.search(cell.source)):
            found = name = match.group(1)
            cell.source = SETUP_LINE.sub(
                f"grader = otter.Notebook(\"{name}.ipynb\", tests_dir=\"tests\")\n"
                f"check = Checker(\"{name}\", globals(), \"tests/{name}.checks.json\")"
                "  # for check.ready(...) and check.trainer(...)", cell.source)
            cell.source = cell.source.replace("from autograder.local import Checker",
                                              "import otter\nfrom autograder.local import Checker")
        elif cell.cell_type == "code" and (match := CHECK_CELL.match(cell.source.strip())):
            cell.source = f'grader.check("{match.group(1)}")'
    if found is None:
        raise OtterError("the notebook has no `check = Checker(NAME, globals())` setup line to give otter's grader")
    closing = [
        nbformat.v4.new_markdown_cell("## Submission\n\nRun every test once more: the public ones, on your notebook "
                                      "as it is now. At grading the hidden cases run too, and they carry the points."),
        nbformat.v4.new_code_cell("grader.check_all()"),
        nbformat.v4.new_markdown_cell("Save the notebook, then export it: the zip written beside it is what you "
                                      "submit."),
        nbformat.v4.new_code_cell("grader.export(pdf=False)"),
    ]
    for index, cell in enumerate(closing, start=len(notebook.cells) + 1):
        cell["id"] = f"{found}-otter-{index:03d}"  # fixed ids: the same sources give the same notebook
    notebook.cells.extend(closing)
    return notebook


def package_files(name: str, staging: Path, reference: Path) -> dict[str, bytes]:
    """The student-side package (autograder/..., the assignment's folder in it) as the release wheel holds it."""
    wheel = build_wheel(name, staging / "wheel", reference)
    with zipfile.ZipFile(wheel) as archive:
        return {member: archive.read(member) for member in archive.namelist() if member.startswith("autograder/")}


def image_files(config: GraderConfig) -> dict[str, str]:
    """otter_config.json and the scripts otter builds its grading image with, the grader's dependencies (numpy at
    the course's release) among environment.yml's pip packages, where `otter generate` puts requirements.txt's."""
    numpy = constraints(config).strip()
    requirements = [numpy if requirement.startswith("numpy") and not numpy.startswith("#") else requirement
                    for requirement in _project().get("dependencies", [])]
    otter_config = {"lang": "python", "show_hidden": True}  # hidden cases shown once grades are published
    return {"otter_config.json": json.dumps(otter_config, indent=2) + "\n", "setup.sh": otter_image.SETUP,
            "run_autograder": otter_image.RUN_AUTOGRADER, "run_otter.py": otter_image.RUN_OTTER,
            "environment.yml": otter_image.environment(requirements)}


def write_zip(folder: Path, target: Path) -> Path:
    """Every file under `folder` into the zip `target`, in a fixed order with fixed dates."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            member = path.relative_to(folder).as_posix()
            info = zipfile.ZipInfo(member, FIXED_DATE)
            info.external_attr = (stat.S_IFREG | (0o755 if member in EXECUTABLE else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    temporary.replace(target)
    return target
