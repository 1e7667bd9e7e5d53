"""The TAs' pages: beside the students' (feedback-ta.html, summary-ta.html), with each failed task's code.

A real class is graded by the real command: a notebook with a missing transpose in linear_backward, and a .py
file with the same bug on a line that also holds `<script>`. grade.toml's `[report] audience = "ta"` makes
`grade` write both audiences' pages; `report` then writes either without touching the other's.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main as cli
from autograder.report.render import write_summary
from tests.conftest import MUTANTS, ROOT, reference_source, write_submission

FIXTURE = ROOT / "tests" / "fixtures" / "reports"
BUG = "    dx = dout @ W\n"
SCRIPT = "    dx = dout @ W  # </script><script>alert(1)</script>\n"


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """`autograder grade` of the two buggy submissions, with TA pages asked for in grader.toml."""
    root = tmp_path_factory.mktemp("ta")
    mutant = (MUTANTS / "backprop" / "linear_backward__missing-transpose.py").read_text()
    assert BUG in mutant
    folder = root / "class"
    folder.mkdir()
    write_submission(folder, "nb", reference_source("backprop") + "\n\n" + mutant, notebook=True)
    write_submission(folder, "py", reference_source("backprop") + "\n\n" + mutant.replace(BUG, SCRIPT))
    config = root / "grader.toml"
    text = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    config.write_text(text.replace('audience = "student"', 'audience = "ta"'))
    out = root / "out"
    run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(folder), "-a", "backprop", "-j", "1",
                          "--out", str(out), "--config", str(config)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "2 feedback reports for students" in run.stdout and "2 feedback reports for TAs" in run.stdout
    return out


def _code(html: str, task: str) -> str:
    found = re.search(rf'<section class="student-code" data-code="{task}">(.*?)</section>', html, re.S)
    assert found, f"no code section for {task}"
    return found.group(1)


def _marked(section: str) -> list[tuple[int, str]]:
    return [(int(n), text) for n, text in re.findall(
        r'<span class="line marked"><span class="ln" aria-hidden="true">(\d+)</span><mark>(.*?)</mark></span>',
        section)]


def test_grade_writes_the_ta_pages_beside_the_students(graded):
    """With [report] audience = "ta", does grade write feedback-ta.html and summary-ta.html beside the students'
    pages, each summary linking to its own audience's pages?"""
    for sid in ("nb", "py"):
        assert {p.name for p in (graded / sid).iterdir()} >= {"feedback.html", "feedback-ta.html", "code.json"}
    student, ta = (graded / "summary.html").read_text(), (graded / "summary-ta.html").read_text()
    assert 'href="nb/feedback.html"' in student and "feedback-ta.html" not in student
    assert 'href="nb/feedback-ta.html"' in ta and 'href="nb/feedback.html"' not in ta
    assert 'id="ta-banner"' in (graded / "nb" / "feedback-ta.html").read_text()
    assert 'id="ta-banner"' not in (graded / "nb" / "feedback.html").read_text()


def test_the_ta_page_shows_the_failed_tasks_code_with_the_failing_line_marked(graded):
    """Does the TA page show linear_backward as the student wrote it, numbered as its cell is, with the line the
    error names ("<cell N>, line 3": the product missing its transpose) marked; and does the training task,
    which failed on that line, point to it too?"""
    html = (graded / "nb" / "feedback-ta.html").read_text()
    cell, line = map(int, re.search(r"&lt;cell (\d+)&gt;, line (\d+)\)", html).groups())
    own = _code(html, "linear_backward")
    assert f"<code>linear_backward</code>, cell {cell}, lines 1-6; marked: line {line}, named in the feedback" in own
    assert _marked(own) == [(3, "    dx = dout @ W")] and line == 3
    assert own.count('<span class="ln"') == 6 and "dW = x.T @ dout" in own
    assert 'data-definition="linear_backward"' in _code(html, "two_layer_net")
    assert set(re.findall(r'data-code="(\w+)"', html)) == {"linear_backward", "two_layer_net"}  # failed only


def test_a_py_files_lines_are_numbered_as_in_the_file_and_its_code_is_escaped(graded):
    """In a .py file, is the marked line the file's line the error names ("<file>, line L"), and does a
    `<script>` in the student's code stay text?"""
    html = (graded / "py" / "feedback-ta.html").read_text()
    line = int(re.search(r"&lt;file&gt;, line (\d+)\)", html).group(1))
    source = (reference_source("backprop") + "\n\n" + (MUTANTS / "backprop" /
              "linear_backward__missing-transpose.py").read_text().replace(BUG, SCRIPT)).splitlines()
    assert source[line - 1] == SCRIPT.rstrip("\n")
    marked = _marked(_code(html, "linear_backward"))
    assert marked == [(line, "    dx = dout @ W  # &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;")]
    assert "<script>" not in html and "</script>" not in html


def test_the_students_pages_show_no_code(graded):
    for sid in ("nb", "py"):
        html = (graded / sid / "feedback.html").read_text()
        assert "student-code" not in html and "dx = dout @ W" not in html and "pre.listing" not in html


def test_report_writes_one_audience_and_keeps_the_other(graded, tmp_path):
    """Does `report --ta` write only the TA pages, and a `report` after it only the students', both kept?"""
    out = tmp_path / "out"
    shutil.copytree(graded, out)
    for page in out.rglob("*.html"):
        if page.name != "similarity.html":
            page.unlink()
    runner = CliRunner()
    result = runner.invoke(cli, ["report", str(out), "--ta"])
    assert result.exit_code == 0, result.output
    assert f"2 feedback reports for TAs ({out}/<id>/feedback-ta.html); class summary: {out / 'summary-ta.html'}" \
        in result.output
    assert sorted(p.name for p in (out / "nb").glob("*.html")) == ["feedback-ta.html"]
    assert not (out / "summary.html").exists()
    ta_page = (out / "nb" / "feedback-ta.html").read_bytes()
    result = runner.invoke(cli, ["report", str(out)])
    assert result.exit_code == 0 and "2 feedback reports for students" in result.output
    assert sorted(p.name for p in (out / "nb").glob("*.html")) == ["feedback-ta.html", "feedback.html"]
    assert (out / "summary.html").exists() and (out / "summary-ta.html").exists()
    assert (out / "nb" / "feedback-ta.html").read_bytes() == ta_page


def test_code_of_other_bytes_or_damaged_shows_no_code(tmp_path):
    """Is a code.json that does not match the graded bytes (source_sha256), or is damaged, left out?"""
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    code = out / "hal" / "code.json"
    original = json.loads(code.read_text())
    runner = CliRunner()
    assert runner.invoke(cli, ["report", str(out), "--ta"]).exit_code == 0
    assert "student-code" in (out / "hal" / "feedback-ta.html").read_text()
    for damaged in ({**original, "source_sha256": "0" * 64}, {**original, "definitions": [{"name": "x"}]}, "[1]"):
        code.write_text(damaged if isinstance(damaged, str) else json.dumps(damaged))
        assert runner.invoke(cli, ["report", str(out), "--ta"]).exit_code == 0
        html = (out / "hal" / "feedback-ta.html").read_text()
        assert "student-code" not in html and 'id="ta-banner"' in html


def test_write_summary_also_updates_the_ta_summary_when_there_is_one(tmp_path):
    """After `autograder similar`, are both class summaries rewritten (each with its own links)?"""
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    write_summary(out)
    assert not (out / "summary-ta.html").exists()
    (out / "summary-ta.html").write_text("stale")
    write_summary(out)
    assert 'href="ben/feedback-ta.html"' in (out / "summary-ta.html").read_text()
    assert 'href="ben/feedback.html"' in (out / "summary.html").read_text()
