"""Text from submissions that is not what it seems: file names that are not UTF-8, lone surrogates in a
notebook's JSON or a student's message, and characters a terminal obeys (a carriage return, an escape
sequence, a bidirectional override). None of them may stop a class, and none may reach a terminal as is."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.authoring.notebooks import notebook_from_source, write_notebook
from autograder.batch.progress import ProgressBar
from autograder.batch.run import grade_batch
from autograder.course.config import GraderConfig
from autograder.report import write_reports
from autograder.similarity.run import similar
from autograder.terminal import terminal_text
from tests.conftest import ROOT, reference_source

# A relu_forward whose error message carries what a terminal obeys, and a lone surrogate.
RAISES = reference_source("backprop").replace(
    "def relu_forward(x):", "def relu_forward(x):\n    raise ValueError('bad \\ud800 \\x1b[2J\\rPASSED')\n\n\ndef _old(x):")


def test_terminal_text_escapes_what_a_terminal_would_obey():
    assert terminal_text("é 中 ok") == "é 中 ok"
    assert terminal_text("FAILED\rPASSED \x1b]0;title\x07 \u202eevil \ud800") == \
        "FAILED\\rPASSED \\x1b]0;title\\x07 \\u202eevil \\ud800"
    assert terminal_text("a\nb\tc") == "a\\nb\\tc"
    assert terminal_text("a\nb\tc\x1b", lines=True) == "a\nb\tc\\x1b"


def test_the_progress_line_shows_an_id_with_control_characters_escaped():
    bar = ProgressBar(io.StringIO(), clock=lambda: 10.0)
    bar.running(0, 2, ["cr\rFAKE", "esc\x1b[2J"])
    line = bar.line()
    assert "cr\\rFAKE" in line and "esc\\x1b[2J" in line and "\r" not in line and "\x1b" not in line


def test_a_file_name_that_is_not_utf8_is_graded_under_an_escaped_id(tmp_path: Path, config: GraderConfig):
    """Zips made on another system, or an LMS's download, can name a file in bytes that are not UTF-8; its id
    used to raise UnicodeEncodeError before any grading (the whole class stopped)."""
    folder = tmp_path / "subs"
    folder.mkdir()
    notebook = notebook_from_source(reference_source("backprop"), [], "backprop")
    try:
        write_notebook(notebook, Path(os.fsdecode(os.fsencode(folder) + b"/caf\xe9.ipynb")))
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    write_notebook(notebook, folder / "ok.ipynb")
    out = tmp_path / "out"
    report = grade_batch([folder], assignment="backprop", out_dir=out, config=config, jobs=2)
    assert sorted(r.id for r in report.results) == ["caf\\xe9", "ok"]
    assert all(r.error is None and r.score == r.max_score for r in report.results)
    with open(out / "gradebook.csv", encoding="utf-8") as table:
        assert sorted(row["id"] for row in csv.DictReader(table)) == ["caf\\xe9", "ok"]
    assert (out / "caf\\xe9" / "grade.json").is_file()
    write_reports(out)
    again = grade_batch([folder], assignment="backprop", out_dir=out, config=config, jobs=2)
    assert (again.graded, again.reused) == (0, 2)


def test_lone_surrogates_in_a_notebook_and_a_message_stop_nothing(tmp_path: Path, config: GraderConfig):
    """A notebook's JSON can hold "\\ud800", which no file can be written with as UTF-8: the TAs' pages (which
    show the code), similarity and `autograder check` used to raise UnicodeEncodeError on it."""
    folder = tmp_path / "subs"
    folder.mkdir()
    odd = notebook_from_source(reference_source("backprop"), ["# a note \ud800\nlabel = '\udcff'"], "backprop")
    (folder / "odd.ipynb").write_text(json.dumps(odd))  # json escapes the surrogates, as a hostile file would
    write_notebook(notebook_from_source(RAISES, [], "backprop"), folder / "raises.ipynb")
    write_notebook(notebook_from_source(reference_source("backprop"), [], "backprop"), folder / "fine.ipynb")
    out = tmp_path / "out"
    report = grade_batch([folder], assignment="backprop", out_dir=out, config=config, jobs=1)
    scores = {r.id: (r.error, r.score == r.max_score) for r in report.results}
    assert scores == {"fine": (None, True), "odd": (None, True), "raises": (None, False)}
    for audience in ("student", "ta"):
        assert len(write_reports(out, audience=audience).feedback) == 3
    assert "\\ud800" in (out / "odd" / "feedback-ta.html").read_text(encoding="utf-8")
    assert similar([folder], assignment="backprop", config=config, out_dir=out).compared == 3

    run = subprocess.run([sys.executable, "-m", "autograder.cli", "check", str(folder / "raises.ipynb"), "-a",
                          "backprop"], cwd=ROOT, capture_output=True, timeout=300)
    assert run.returncode == 1 and b"Traceback" not in run.stderr, run.stderr.decode(errors="replace")[-2000:]
    # The message's first line (a carriage return ends it), its escape sequence shown, not obeyed.
    assert b"raised ValueError: bad \\ud800 \\x1b[2J" in run.stdout
    assert b"\x1b" not in run.stdout and b"\r" not in run.stdout


def test_an_id_that_a_spreadsheet_would_run_as_a_formula_is_written_as_text(tmp_path: Path, config: GraderConfig):
    """A file named =cmd|'calc'!A0 is a formula to Excel and LibreOffice when gradebook.csv is opened (CSV
    injection): the id cells of the gradebook and of similarity.csv start with an apostrophe instead."""
    folder = tmp_path / "subs"
    folder.mkdir()
    formula = "=cmd|'calc'!A0"
    notebook = notebook_from_source(reference_source("backprop"), [], "backprop")
    for name in (formula, "@SUM(1)", "ann"):
        write_notebook(notebook, folder / f"{name}.ipynb")
    out = tmp_path / "out"
    grade_batch([folder], assignment="backprop", out_dir=out, config=config, jobs=1)
    with open(out / "gradebook.csv", encoding="utf-8") as table:
        rows = list(csv.DictReader(table))
    assert sorted(row["id"] for row in rows) == ["'" + formula, "'@SUM(1)", "ann"]
    assert {row["total"] for row in rows} == {"39"}  # numbers as they are
    similar([folder], assignment="backprop", config=config, out_dir=out)
    with open(out / "similarity.csv", encoding="utf-8") as table:
        named = {cell for row in csv.DictReader(table) for cell in (row["a"], row["b"])}
    assert named == {"'" + formula, "'@SUM(1)", "ann"}
