"""HTML reports from result files: golden outputs, what students may see, the class summary, the commands.

The input is tests/fixtures/reports: the grade.json files `autograder grade` wrote for realistic submissions
(a correct one, real bugs from tests/mutants, the skeleton, a loop that times out, a MemoryError, a syntax
error, an exception message holding HTML, a binary file, a broken notebook, a student with two submissions),
edited by hand where real grading does not reach a path of the reports: ada, cy, ivy and jo have the format
from before checks recorded `diagnosis` and `evidence`; ben's case 1 is marked public; fay has a large hidden
case shrunk to 16 x 12; gus has a map with nan; the failed nets of ben, mo and lee_v1 have an unsure diagnosis.

Set UPDATE_GOLDEN=1 to rewrite tests/golden/reports from the current renderer, then read the diff.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main as cli
from autograder.course.config import ConfigError, load_config
from autograder.report import ReportError, write_reports
from autograder.report.load import Evidence, load_folder, submission_from_record
from autograder.report.plots import NOT_A_NUMBER, colour, heatmap, histogram_svg
from autograder.report.render import evidence_view, render_feedback
from autograder.report.summary import summarize_class
from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "reports"
GOLDEN = ROOT / "tests" / "golden" / "reports"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# matplotlib's SVG serialisation may change between its releases; the histogram has its own tests below.
HISTOGRAM = re.compile(r'<svg class="plot".*?</svg>', re.S)


def rendered(tmp_path: Path, audience: str) -> Path:
    out = tmp_path / audience
    shutil.copytree(FIXTURE, out)
    write_reports(out, audience=audience)
    return out


def html_files(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(folder.rglob("*.html"))}


@pytest.fixture(scope="module")
def student(tmp_path_factory) -> Path:
    return rendered(tmp_path_factory.mktemp("reports"), "student")


@pytest.fixture(scope="module")
def ta(tmp_path_factory) -> Path:
    return rendered(tmp_path_factory.mktemp("reports"), "ta")


@pytest.mark.parametrize("audience", ["student", "ta"])
def test_reports_match_the_golden_files(audience, student, ta):
    """Do the same results give the same report bytes as the reviewed golden files (UPDATE_GOLDEN=1 rewrites)?"""
    produced = html_files(student if audience == "student" else ta)
    golden_dir = GOLDEN / audience
    if UPDATE:
        shutil.rmtree(golden_dir, ignore_errors=True)
        for name, text in produced.items():
            (golden_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (golden_dir / name).write_text(text, encoding="utf-8")
    golden = html_files(golden_dir)
    assert sorted(produced) == sorted(golden), "reports written differ from the golden set (UPDATE_GOLDEN=1)"
    for name, text in produced.items():
        want, got = HISTOGRAM.sub("<svg/>", golden[name]), HISTOGRAM.sub("<svg/>", text)
        if got != want:
            diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), f"golden/{name}",
                                                     f"rendered/{name}"))[:60])
            pytest.fail(f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept):\n{diff}")


def test_rendering_twice_in_fresh_processes_gives_the_same_bytes(tmp_path):
    """Is every report, the matplotlib histogram included, byte-identical across processes and hash seeds?"""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        shutil.copytree(FIXTURE, out)
        run = subprocess.run([sys.executable, "-m", "autograder.cli", "report", str(out)], cwd=ROOT, text=True,
                             capture_output=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed})
        assert run.returncode == 0, run.stderr
        outputs.append({name: text.encode() for name, text in html_files(out).items()})
    assert len(outputs[0]) == 15 and outputs[0] == outputs[1]


def test_a_student_report_shows_score_tasks_check_diagnosis_shapes_and_heatmap(student):
    """Does ben's report carry the score, a row per task, what was checked, the diagnosis and a heatmap?"""
    html = (student / "ben" / "feedback.html").read_text()
    assert "34.6667 / 39" in html
    assert html.count('<tr data-task="') == 13
    assert '<tr data-task="linear_backward">' in html and "partial" in html
    assert "Checked:</span> the gradients, computed from the cache of your own linear_forward" in html
    assert "Likely misconception:</span> db is averaged over the batch instead of summed" in html
    assert "In the notebook: 2. The affine layer and the chain rule in matrix form" in html
    assert "Likely the same cause as above" in html  # gradcheck: the same diagnosis is not repeated in full
    assert "<code>db</code>, case 1 (N=7, D=2, M=6, C=3): db differs from the reference" in html
    assert "Shape (6,), as expected." in html
    assert html.count('<svg class="heatmap"') == 1 and html.count("<rect ") == 6  # db is 1 x 6
    assert "row 0, column 0: 2.01</title>" in html
    # the unsure diagnosis of the trained net is a symptom, not a named misconception
    assert "What we can tell:</span> the net trained with your layers does not learn" in html
    assert "test accuracy 60.5%, below the required 90%" in html


def test_a_shape_error_shows_received_and_expected_shapes(student):
    html = (student / "eve" / "feedback.html").read_text()
    assert "yours (1, 6), expected (6,)." in html
    assert "db keeps a batch axis of size 1" in html


def test_hidden_cases_show_students_where_but_no_inputs_or_values(student, ta):
    """Does a student see of a hidden case only the wrong item, its shapes and the pattern of the error, with
    no sizes, message or error value (nbgrader #917); and does a TA see everything?"""
    record = json.loads((FIXTURE / "fay" / "grade.json").read_text())
    hidden = [e for c in record["result"]["checks"] for e in c.get("evidence", []) if e["hidden"]]
    assert len(hidden) == 2, "the fixture must hold hidden cases"
    for_student = (student / "fay" / "feedback.html").read_text()
    for_ta = (ta / "fay" / "feedback-ta.html").read_text()
    # the evidence's case and message are withheld (gradcheck, with no evidence, shows the grader's own text)
    assert "N=40" not in for_student and "dx differs from the reference" not in for_student
    assert "</title></rect>" not in for_student and "the largest error)" not in for_student
    assert for_student.count("is wrong in a hidden case") == 2
    assert for_student.count('<svg class="heatmap"') == 2 and "darker where the error is larger" in for_student
    assert "Shape (40, 24), as expected." in for_student and "downsampled from (40, 24)" in for_student
    assert 'id="ta-banner"' not in for_student and '<meta name="audience" content="student">' in for_student
    assert "case 3 (N=40, D=24, M=3, C=7)" in for_ta and "relative error 1" in for_ta
    assert "row 0, column 1: 2.48</title>" in for_ta
    assert 'id="ta-banner"' in for_ta and "Feedback as recorded" in for_ta
    gus = (student / "gus" / "feedback.html").read_text()
    assert "large scores, case 1" not in gus and "</title></rect>" not in gus and "Dark grey: nan or inf" in gus
    assert "row maximum" in gus  # the diagnosis, about their own code, is still shown


def test_evidence_without_a_hidden_flag_counts_as_hidden():
    """Is evidence whose `hidden` flag is missing or malformed kept from students (never leak by default)?"""
    record = json.loads((FIXTURE / "eve" / "grade.json").read_text())
    lost = next(c for c in record["result"]["checks"] if c["evidence"])
    for flag in (None, "no", 0):
        if flag is None:
            lost["evidence"][0].pop("hidden", None)
        else:
            lost["evidence"][0]["hidden"] = flag
        html = render_feedback(submission_from_record(record), audience="student")
        assert "N=7" not in html and "db is wrong in a hidden case" in html.replace("<code>db</code>", "db")
    lost["evidence"][0]["hidden"] = False
    assert "N=7" in render_feedback(submission_from_record(record), audience="student")


def test_records_without_diagnosis_or_evidence_still_render(student):
    """Do grade.json files written before checks recorded diagnoses and evidence load and render?"""
    ada = submission_from_record(json.loads((FIXTURE / "ada" / "grade.json").read_text()))
    assert all(c.diagnosis is None and c.evidence == () for c in ada.checks)
    cy = (student / "cy" / "feedback.html").read_text()
    assert "0 / 39" in cy and 'id="not-attempted"' in cy and "raises NotImplementedError" in cy


def test_student_text_is_escaped(student):
    """Is HTML inside a student's exception message shown as text, never as markup?"""
    html = (student / "hal" / "feedback.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt; shapes &amp; sizes" in html
    assert "<img" not in html


def test_a_submission_that_could_not_be_graded_says_why(student):
    html = (student / "jo" / "feedback.html").read_text()
    assert 'id="not-graded"' in html and "jo.ipynb is not a readable notebook" in html
    assert 'data-task=' not in html


def test_reports_are_self_contained(student, ta):
    """Does every report open offline: no script, stylesheet, image or font fetched from anywhere?"""
    for folder, page in ((student, "feedback"), (ta, "feedback-ta")):
        for name, html in html_files(folder).items():
            assert "<script" not in html and "<link" not in html and "@import" not in html, name
            assert not re.search(r"<[^>]+\ssrc=", html), name  # escaped student text may say src=, a tag may not
            assert "url(" not in "".join(re.findall(r"<style>.*?</style>", html, re.S)), name
            for href in re.findall(r'href="([^"]*)"', html):
                assert href.startswith("#") or re.fullmatch(rf"[\w.-]+/{page}\.html", href), (name, href)
            assert "@media print" in html and 'name="viewport"' in html


def test_summary_names_confident_misconceptions_with_counts_and_submissions(student):
    """Are only confident diagnoses counted, each submission once, superseded submissions left out?"""
    summary = summarize_class(load_folder(student))
    found = {m.id: m.submissions for m in summary.misconceptions}
    assert found == {"db-averaged-not-summed": ("ben", "mo"), "dW-transposed": ("lee_v2",),
                     "db-keepdims-shape": ("eve",), "relu-backward-no-mask": ("fay",),
                     "no-max-shift-overflow": ("gus",)}
    assert summary.misconceptions[0].id == "db-averaged-not-summed"  # most frequent first
    html = (student / "summary.html").read_text()
    assert '<tr data-misconception="db-averaged-not-summed">' in html
    assert "net-does-not-learn" not in html and "forgets-bias" not in html


def test_summary_lists_errored_and_slowest_submissions(student):
    """Are timeouts, memory errors, syntax errors and ungradable files listed with the reason?"""
    summary = summarize_class(load_folder(student))
    kinds = {(t.submission, t.kind) for t in summary.troubles}
    assert kinds == {("dee", "timeout"), ("kim", "memory"), ("hal", "syntax error"), ("ivy", "binary file"),
                     ("jo", "not a readable notebook")}
    assert [s.id for s in summary.slowest][:2] == ["dee", "mo"] and len(summary.slowest) == 10
    html = (student / "summary.html").read_text()
    assert "cell 4 does not parse" in html and "20.02 s" in html


def test_summary_pass_rates_agree_with_summary_json(student):
    """Do the per-task counts match what `grade` wrote to summary.json from the same records?"""
    summary = summarize_class(load_folder(student))
    recorded = json.loads((FIXTURE / "summary.json").read_text())
    assert (summary.students, summary.graded, summary.not_graded) == (
        recorded["students"], recorded["graded"], recorded["not_graded"])
    for row in summary.tasks:
        assert row.full_marks == recorded["tasks"][row.task]["full_marks"], row.task
        assert row.not_attempted == recorded["tasks"][row.task]["not_attempted"], row.task
        assert f"{row.mean:.4f}".rstrip("0").rstrip(".") == str(recorded["tasks"][row.task]["mean"]), row.task
    rates = {(c.task, c.check): (c.passed, c.graded) for c in summary.checks}
    assert rates[("linear_backward", "values")] == (4, 11)


def test_histogram_is_deterministic_inline_svg_with_one_bar_per_bin():
    svg = histogram_svg([100.0, 88.9, 0.0, 66.7, 100.0])
    assert svg.startswith("<svg ") and "<?xml" not in svg and "<dc:date>" not in svg.lower()
    assert re.findall(r'<g id="(bin-\d+)">', svg) == [f"bin-{i}" for i in range(10)]
    assert histogram_svg([100.0, 88.9, 0.0, 66.7, 100.0]) == svg


def test_heatmap_colours_entries_by_their_share_of_the_largest_error():
    grid = ((0.0, 0.5), (1.0, None))
    drawn = heatmap(grid)
    assert [c.fill for c in drawn.cells] == [colour(0.0), colour(0.5), colour(1.0), NOT_A_NUMBER]
    assert colour(0.0) == "#ffffff" and colour(1.0) == "#a50026"
    assert drawn.largest == 1.0 and drawn.has_non_numbers
    assert heatmap(tuple((0.1,) * 16 for _ in range(16))).size == 15  # 16 x 16 stays a 240 px square


def test_heatmap_captions_follow_how_the_checks_shrink_arrays():
    """Is a (batch, time, features) map read as time steps, a shrunk one marked, and a scalar left undrawn?"""
    def shown(expected, grid):
        return evidence_view(Evidence("dh", "case 1", "dh differs", expected, expected, grid, False), "student")
    sequence = shown((4, 20, 8), tuple((0.5,) * 8 for _ in range(16)))
    assert sequence.over_batch and sequence.downsampled_from == (4, 20, 8)
    assert shown((4, 8), tuple((0.5,) * 8 for _ in range(4))).downsampled_from is None
    assert shown((6,), ((0.5,) * 6,)).downsampled_from is None
    assert shown((), ((0.5,),)).heatmap is None


def test_unreadable_records_are_listed_and_the_rest_still_render(tmp_path):
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    (out / "zed").mkdir()
    (out / "zed" / "grade.json").write_text("{truncated")
    written = write_reports(out)
    assert len(written.feedback) == 14 and written.unreadable[0][0] == "zed/grade.json"
    assert "zed/grade.json" in (out / "summary.html").read_text()


def test_a_folder_without_results_is_an_error(tmp_path):
    with pytest.raises(ReportError, match="grade into it first"):
        write_reports(tmp_path)


def test_a_thousand_students_render_in_seconds(tmp_path):
    """Is rendering cheap enough for a large class (no matplotlib figure per student)?"""
    records = [json.loads(p.read_text()) for p in sorted(FIXTURE.glob("*/grade.json"))]
    for index in range(1000):
        record = json.loads(json.dumps(records[index % len(records)]))
        record["result"]["id"] = record["student"] = f"s{index:04d}"
        (tmp_path / record["result"]["id"]).mkdir()
        (tmp_path / record["result"]["id"] / "grade.json").write_text(json.dumps(record))
    started = time.perf_counter()
    written = write_reports(tmp_path)
    elapsed = time.perf_counter() - started
    print(f"1000 feedback reports and the summary in {elapsed:.1f} s")
    assert len(written.feedback) == 1000 and elapsed < 30


def test_report_audience_comes_from_grader_toml_and_the_flag_overrides_it(tmp_path):
    """Does `[report] audience = "ta"` select the TA variant, and do --student / --ta override it?"""
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    config = tmp_path / "grader.toml"
    text = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    assert 'audience = "student"' in text
    config.write_text(text.replace('audience = "student"', 'audience = "ta"'))
    runner = CliRunner()
    for flags, page in (([], "feedback-ta.html"), (["--student"], "feedback.html"), (["--ta"], "feedback-ta.html")):
        for old in (out / "fay").glob("*.html"):
            old.unlink()
        result = runner.invoke(cli, ["report", str(out), "--config", str(config), *flags])
        assert result.exit_code == 0, result.output
        assert [p.name for p in (out / "fay").glob("*.html")] == [page], flags
        assert ('id="ta-banner"' in (out / "fay" / page).read_text()) is (page == "feedback-ta.html"), flags
    result = runner.invoke(cli, ["report", str(out)])  # the project's grader.toml: students
    assert result.exit_code == 0 and "14 feedback reports for students" in result.output
    assert 'id="ta-banner"' not in (out / "fay" / "feedback.html").read_text()


def test_report_audience_setting_is_validated(tmp_path):
    path = tmp_path / "grader.toml"
    path.write_text('[report]\naudience = "parents"\n')
    with pytest.raises(ConfigError, match="report.audience must be one of student, ta"):
        load_config(path)
    assert load_config(ROOT / "grader.toml").report.audience == "student"


def test_grade_writes_the_reports_unless_told_not_to(tmp_path):
    """Does `autograder grade` end by writing the students' feedback.html and summary.html (no TA pages by
    default), and skip them with --no-report?"""
    submission = ROOT / "assignments" / "backprop" / "examples" / "cy.ipynb"
    for flags, expected in (([], True), (["--no-report"], False)):
        out = tmp_path / ("with" if expected else "without")
        run = subprocess.run([sys.executable, "-m", "autograder.cli", "grade", str(submission), "-a", "backprop",
                              "--out", str(out), *flags], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert (out / "cy" / "grade.json").exists()
        assert (out / "cy" / "feedback.html").exists() is expected
        assert not (out / "cy" / "feedback-ta.html").exists()  # TA pages only when asked for ([report] audience)
        assert (out / "summary.html").exists() is expected
        assert ("class summary:" in run.stdout) is expected
