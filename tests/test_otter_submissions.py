"""Submissions exported by otter-grader (issue 14, part 2): the zip `grader.export()` writes (the notebook, its
.OTTER_LOG, __zip_filename__) is one submission, graded as the notebook alone would be, and the log, an otter
pickle, is untrusted bytes that are never unpickled or run.

The zips come from the real otter-grader (pinned), installed once into a virtual environment of its own under
~/.cache by conftest's `otter_python` (it reuses this interpreter's packages, so only otter itself is downloaded
from the registry).
"""
from __future__ import annotations

import base64
import os
import pickle
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder.batch.run import grade_batch
from autograder.course.config import GraderConfig
from tests.conftest import ROOT

EXAMPLES = ROOT / "assignments" / "backprop" / "examples"
EXPORT = """
import otter
grader = otter.Notebook("{name}.ipynb", tests_dir="tests")
grader.export("{name}.ipynb", pdf=False, force_save=False, filtering=False, run_tests=False)
"""


def _export(otter_python: Path, notebook: Path, workdir: Path) -> Path:
    """The zip otter's grader.export() makes of `notebook`, run in a folder of its own as a student would."""
    workdir.mkdir(parents=True)
    shutil.copy(notebook, workdir / notebook.name)
    (workdir / "tests").mkdir()
    (workdir / "export.py").write_text(EXPORT.format(name=notebook.stem))
    subprocess.run([str(otter_python), "export.py"], cwd=workdir, check=True, timeout=180, capture_output=True)
    zips = list(workdir.glob(f"{notebook.stem}_*.zip"))
    assert len(zips) == 1, list(workdir.iterdir())
    return zips[0]


def _scores(out: Path) -> dict[str, str]:
    rows = (out / "gradebook.csv").read_text().splitlines()
    header = rows[0].split(",")
    return {line.split(",")[0]: dict(zip(header, line.split(","))) for line in rows[1:]}


@pytest.mark.slow
def test_an_otter_export_is_one_submission_graded_as_its_notebook(otter_python: Path, tmp_path: Path,
                                                                  fast_config: GraderConfig) -> None:
    exported, plain = tmp_path / "exported", tmp_path / "plain"
    exported.mkdir()
    plain.mkdir()
    for name in ("ada", "ben"):
        archive = _export(otter_python, EXAMPLES / f"{name}.ipynb", tmp_path / f"work-{name}")
        assert {".OTTER_LOG", f"{name}.ipynb"} <= set(zipfile.ZipFile(archive).namelist())
        shutil.copy(archive, exported / f"{name}.zip")
        shutil.copy(EXAMPLES / f"{name}.ipynb", plain / f"{name}.ipynb")
    grade_batch([exported], assignment="backprop", out_dir=tmp_path / "out-exported", config=fast_config, jobs=1)
    grade_batch([plain], assignment="backprop", out_dir=tmp_path / "out-plain", config=fast_config, jobs=1)
    assert _scores(tmp_path / "out-exported") == _scores(tmp_path / "out-plain")
    assert set(_scores(tmp_path / "out-exported")) == {"ada", "ben"}


class _Planted:
    """Unpickling this runs os.system: it would leave a file behind."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_the_otter_log_is_never_unpickled(tmp_path: Path, fast_config: GraderConfig) -> None:
    """An .OTTER_LOG that runs a command when unpickled, in a zip shaped like otter's export: graded as the
    notebook, and the command never ran (neither in the grader nor in the worker)."""
    marker = tmp_path / "unpickled"
    klass = tmp_path / "class"
    klass.mkdir()
    with zipfile.ZipFile(klass / "ada.zip", "w") as archive:
        archive.write(EXAMPLES / "ada.ipynb", "ada.ipynb")
        archive.writestr(".OTTER_LOG", pickle.dumps(_Planted(marker)))
        archive.writestr("__zip_filename__", base64.b64encode(b"ada.zip").decode())
    report = grade_batch([klass], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=1)
    assert [r.id for r in report.results] == ["ada"]
    assert report.results[0].score == report.results[0].max_score
    assert not marker.exists()
