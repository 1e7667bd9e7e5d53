"""`autograder gradescope`: a Gradescope autograder zip for one assignment, per Gradescope's specification.

Gradescope unpacks the zip into /autograder/source, runs setup.sh there once (as root, on its Ubuntu 22.04
image) and then, for every submission, /autograder/run_autograder (a copy of the zip's), which must write
/autograder/results/results.json from what the student uploaded to /autograder/submission. The zip holds:

- setup.sh: a Python >= 3.11 (the image's python3 is 3.10: apt's python3.11 when none is there), a venv in
  /autograder/venv, and in it the grader, built from its source in grader/, with its dependencies from PyPI
  (numpy pinned to the course's `[grading] numpy` through constraints.txt);
- run_autograder: the venv's Python running autograder.batch.gradescope, which grades the submission as one
  and always leaves a results.json (see that module);
- grader.toml (the course's settings for this assignment, with worker limits and a time budget sized for
  Gradescope's box), reference/NAME.py and assignments/NAME/ (spec, catalogue, trainer, data; no examples).

Student code never sees these: a worker's view holds only the Python installation (the venv), numpy and the
system libraries (README, Isolation), and the runner makes /autograder/source readable by root alone before
it starts one. The members are written in a fixed order with fixed dates: the same sources give the same zip.
"""
from __future__ import annotations

import json
import math
import shlex
import stat
import zipfile
from dataclasses import asdict
from pathlib import Path

from autograder.course.config import GraderConfig, load_config
from autograder.course.registry import ASSIGNMENTS, folder_of
from autograder.grading import points_for, time_budget

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # autograder/
PROJECT_DIR = PACKAGE_DIR.parent
VISIBILITIES = ("after_published", "hidden", "after_due_date", "visible")  # Gradescope's, of a test
# Gradescope's default box: 768 MB of memory, 0.5 vCPU, 10 minutes for run_autograder in all.
BOX_SECONDS = 600.0
DEADLINE = 540.0  # what the grading may take before the runner kills it and writes the reason
RESULTS_MARGIN = 60.0  # of the deadline, kept for starting Python and writing results.json
WORKER_MEMORY_MB = 512  # the worker's address space; the grader, its zygote and the worker share the 768 MB
LEFT_OUT = {"examples", "notebook.md", "__pycache__"}  # graded examples (solutions among them), the notebook's source
FIXED_DATE = (2020, 1, 1, 0, 0, 0)


class GradescopeError(RuntimeError):
    """The zip cannot be built; the message says why."""


def write_gradescope_zip(name: str, config: GraderConfig, out_dir: Path, *, hidden: str = "after_published",
                         deadline: float = DEADLINE, unsafe_no_isolation: bool = False) -> Path:
    """out_dir/gradescope-NAME.zip; `hidden` is the Gradescope visibility of the checks (all run on hidden cases),
    `deadline` the seconds grading may take before the runner stops it and reports why."""
    if hidden not in VISIBILITIES:
        raise GradescopeError(f"visibility must be one of {', '.join(VISIBILITIES)} (got {hidden!r})")
    if not RESULTS_MARGIN < deadline <= BOX_SECONDS:
        raise GradescopeError(f"the deadline must be over {RESULTS_MARGIN:g} s and at most Gradescope's "
                              f"{BOX_SECONDS:g} s (got {deadline:g})")
    assignment = ASSIGNMENTS[name]
    points_for(config, assignment)  # a bad grader.toml fails here, not on Gradescope
    reference = config.assignments[name].reference
    members: dict[str, bytes] = {
        "setup.sh": setup_script().encode(),
        "run_autograder": run_script(name, hidden, deadline, unsafe_no_isolation).encode(),
        "grader.toml": gradescope_config(name, config, deadline).encode(),
        "constraints.txt": constraints(config).encode(),
        f"reference/{reference.name}": reference.read_bytes(),
    }
    folder = folder_of(name)
    for path in _files(folder):
        members[f"assignments/{folder.name}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    for path in [PROJECT_DIR / "pyproject.toml", PROJECT_DIR / "README.md", *_files(PACKAGE_DIR)]:
        members[f"grader/{path.relative_to(PROJECT_DIR).as_posix()}"] = path.read_bytes()
    _check_config(members["grader.toml"].decode(), name, reference.name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"gradescope-{name}.zip"
    temporary = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, FIXED_DATE)
            executable = member in ("setup.sh", "run_autograder")
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    temporary.replace(target)
    return target


def _files(folder: Path) -> list[Path]:
    """Every file under `folder` but compiled code and what LEFT_OUT names, sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".pyc"
                  and not LEFT_OUT.intersection(p.relative_to(folder).parts))


def gradescope_config(name: str, config: GraderConfig, deadline: float) -> str:
    """The zip's grader.toml: the course's settings for `name`, with worker limits that fit Gradescope's box and
    a time budget that ends before the runner's deadline (the course's own when that is shorter)."""
    budget = min(time_budget(config, ASSIGNMENTS[name]), deadline - RESULTS_MARGIN)
    grading = dict(asdict(config.grading), time_budget=budget)
    limits = asdict(config.limits)
    limits["memory_mb"] = min(limits["memory_mb"], WORKER_MEMORY_MB)
    limits["cpu_seconds"] = min(limits["cpu_seconds"], math.ceil(budget))
    settings = config.assignments[name]
    lines = ["# Written by `autograder gradescope`: the course's settings for this assignment, with worker limits and a",
             "# time budget sized for Gradescope's box. Only root reads this file on Gradescope (the runner sees to it).",
             ""]
    lines += _table("grading", grading) + _table("tolerances", asdict(config.tolerances)) + _table("limits", limits)
    lines += [f"[assignments.{name}]", f"reference = {_toml(f'reference/{settings.reference.name}')}", "",
              f"[assignments.{name}.points]"]
    lines += [f"{task} = {{ {', '.join(f'{check} = {_toml(v)}' for check, v in checks.items())} }}"
              for task, checks in settings.points.items()]
    return "\n".join(lines) + "\n"


def _table(name: str, values: dict) -> list[str]:
    return [f"[{name}]"] + [f"{key} = {_toml(value)}" for key, value in values.items()] + [""]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    raise GradescopeError(f"cannot write {value!r} to grader.toml")


def _check_config(text: str, name: str, reference: str) -> None:
    """The written grader.toml reads back as a valid configuration (in a scratch folder with its reference)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "grader.toml").write_text(text)
        (Path(scratch) / "reference").mkdir()
        (Path(scratch) / "reference" / reference).write_text("")
        points_for(load_config(Path(scratch) / "grader.toml"), ASSIGNMENTS[name])


def constraints(config: GraderConfig) -> str:
    """pip constraints: numpy at the course's release ("2.4" is any 2.4.x), else unconstrained."""
    release = config.grading.numpy
    if not release:
        return "# [grading] numpy is unset: any numpy the grader accepts\n"
    return f"numpy=={release}{'.*' if release.count('.') < 2 else ''}\n"


def setup_script() -> str:
    return """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: the grader, from the files of
# this zip, in a venv of its own, with its dependencies from PyPI (numpy pinned by constraints.txt).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${AUTOGRADER_GRADESCOPE_ROOT:-/autograder}"
VENV="$ROOT/venv"
# The grader needs Python >= 3.11; Ubuntu 22.04's python3 is 3.10.
PYTHON="${AUTOGRADER_PYTHON:-}"
if [ -z "$PYTHON" ]; then
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            PYTHON="$candidate"
            break
        fi
    done
fi
if [ -z "$PYTHON" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv
    PYTHON=python3.11
fi
# AUTOGRADER_VENV_OPTIONS: e.g. --system-site-packages, for a test that reuses installed packages
"$PYTHON" -m venv ${AUTOGRADER_VENV_OPTIONS:-} "$VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --constraint "$HERE/constraints.txt" "$HERE/grader"
# Fail the image build, not every submission, if the grader cannot read its settings or find the assignment.
AUTOGRADER_ASSIGNMENTS="$HERE/assignments" "$VENV/bin/python" -m autograder.batch.gradescope --check-setup --root "$ROOT"
"""


def run_script(name: str, hidden: str, deadline: float, unsafe_no_isolation: bool) -> str:
    arguments = ["--assignment", name, "--hidden", hidden, "--deadline", f"{deadline:g}"]
    if unsafe_no_isolation:
        arguments.append("--unsafe-no-isolation")
    return f"""#!/usr/bin/env bash
# Gradescope runs this (as /autograder/run_autograder) for every submission: the grader, as installed by
# setup.sh, grades /autograder/submission as one submission into /autograder/results/results.json.
ROOT="${{AUTOGRADER_GRADESCOPE_ROOT:-/autograder}}"
cd "$ROOT"
"$ROOT/venv/bin/python" -m autograder.batch.gradescope --root "$ROOT" {shlex.join(arguments)}
# The runner always writes results.json; if even it could not start (setup.sh failed), say so.
if [ ! -s "$ROOT/results/results.json" ]; then
    mkdir -p "$ROOT/results"
    printf '%s\\n' '{{"score": 0, "output": "The autograder could not start, so this submission was not graded. Please tell your instructor.", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}}' > "$ROOT/results/results.json"
fi
"""
