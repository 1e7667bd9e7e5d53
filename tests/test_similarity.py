"""Similarity across a class, on real files: a generated class of correct styles and disguised copies
(bench/similarity_corpus.py), the released skeleton, and `autograder similar` in a subprocess."""
from __future__ import annotations

import csv
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder.course.config import load_config
from autograder.report.render import write_summary
from autograder.similarity.compare import DEFAULT_THRESHOLD, boilerplate_hashes, fingerprint, rank
from autograder.similarity.extract import Code, boilerplate_chunks, chunks_of, read_class, skeleton_files
from autograder.similarity.run import similar
from bench.similarity_corpus import disguised, fill, make_corpus, measure, solutions, tasks_of
from tests.conftest import ROOT

SKELETON = ROOT / "student_template"
REPORT_FIXTURE = ROOT / "tests" / "fixtures" / "reports"
ACCUSING = re.compile(r"plagiar|cheat|copied|copier", re.IGNORECASE)


def autograder(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def solved(assignment: str, style: str = "reference") -> str:
    """The released .py of `assignment` with every stub the style implements filled, as a student hands it in."""
    return fill((SKELETON / f"{assignment}.py").read_text(), solutions(assignment)[style], tasks_of(assignment))


def code_of(path: Path, student: str | None = None) -> Code:
    return Code(path.stem, student or path.stem, chunks_of(path))


@pytest.fixture(scope="module")
def small_class(tmp_path_factory) -> Path:
    """Students by their plain names: ana hands in the reference, bo a disguised copy of it, cy the einsum and
    dee the dict-cache style; eve and fay the untouched skeleton."""
    folder = tmp_path_factory.mktemp("class")
    head, body = solved("backprop").split("\ndef ", 1)
    (folder / "ana.py").write_text(head + "\ndef " + body)
    (folder / "bo.py").write_text(head + "\n\n" + disguised("def " + body, random.Random(3), 0) + "\n")
    (folder / "cy.py").write_text(solved("backprop", "einsum"))
    (folder / "dee.py").write_text(solved("backprop", "dict-cache"))
    shutil.copy(SKELETON / "backprop.ipynb", folder / "eve.ipynb")
    shutil.copy(SKELETON / "backprop.py", folder / "fay.py")
    return folder


@pytest.mark.parametrize("assignment", ["backprop", "conv1d", "rnn"])
def test_copied_pairs_rank_above_independent_pairs(assignment, tmp_path):
    """In a generated class (correct styles, two untouched skeletons, copiers who renamed, reordered,
    recommented and respaced a classmate's code), does every copied pair score above every independent pair,
    and does the default threshold flag exactly the copied pairs?"""
    figures = measure(make_corpus(tmp_path, assignment))
    assert figures.ranked, figures
    assert figures.lowest_copied >= DEFAULT_THRESHOLD > figures.highest_independent, figures
    assert (figures.precision, figures.recall) == (1.0, 1.0), figures
    assert figures.copied == 5 and figures.independent > 60


def test_the_untouched_skeleton_shares_nothing(small_class):
    """Do two students who hand in only the released skeleton (a notebook and a .py) have no code beyond it,
    and so no pair with each other or with anyone?"""
    skeleton = boilerplate_chunks(skeleton_files(ROOT, "backprop"))
    prints, pairs = rank([code_of(small_class / "eve.ipynb"), code_of(small_class / "fay.py"),
                          code_of(small_class / "ana.py")], skeleton)
    sizes = {f.id: f.size for f in prints}
    assert sizes["eve"] == sizes["fay"] == 0 and sizes["ana"] > 300
    assert pairs == []


def test_renaming_reordering_and_comments_change_nothing(small_class, tmp_path):
    """Is the reference, its functions in reverse order, every local renamed and every comment changed, still
    sharing all of its code beyond the skeleton with the original, both ways?"""
    reference = solved("backprop")
    head, body = reference.split("\ndef ", 1)
    functions = ["def " + f for f in body.split("\ndef ")]
    renamed = [re.sub(r"\bcache\b", "stash", re.sub(r"\bdout\b", "upstream", f)) for f in reversed(functions)]
    (tmp_path / "other.py").write_text(head + "\n# my own comment\n" + "\n".join(renamed).replace("    ", "  "))
    skeleton = boilerplate_chunks(skeleton_files(ROOT, "backprop"))
    _, pairs = rank([code_of(small_class / "ana.py"), code_of(tmp_path / "other.py")], skeleton)
    assert [(p.a_share, p.b_share) for p in pairs] == [(1.0, 1.0)]


def test_two_submissions_of_one_student_are_not_compared(tmp_path):
    """Does lee_v1 beside lee_v2 (one student, by [batch] student_id) make no pair, while a classmate does?"""
    for name in ("lee_v1", "lee_v2", "max_v1"):
        (tmp_path / f"{name}.py").write_text(solved("backprop"))
    codes = read_class([tmp_path], pattern="(?P<id>[a-z]+)_")
    assert [c.student for c in codes] == ["lee", "lee", "max"]
    _, pairs = rank(codes, boilerplate_chunks(skeleton_files(ROOT, "backprop")))
    assert sorted((p.a, p.b) for p in pairs) == [("lee_v1", "max_v1"), ("lee_v2", "max_v1")]


def test_a_submission_too_deep_to_parse_is_one_piece_and_the_class_is_still_compared(tmp_path):
    """ast.parse raises RecursionError or MemoryError, not SyntaxError, on a hostile expression nested deep
    enough; one such submission used to stop the comparison of the whole class."""
    for name in ("ann", "bob"):
        (tmp_path / f"{name}.py").write_text(solved("backprop"))
    (tmp_path / "eve.py").write_text(solved("backprop") + "\nx = 1" + "+1" * 10_000 + "\n")  # RecursionError
    (tmp_path / "kim.py").write_text("x = " + "-" * 10_000 + "a\n")  # MemoryError
    codes = {c.id: c for c in read_class([tmp_path], pattern="(?P<id>.+)")}
    assert [len(codes["kim"].chunks)] == [1] and codes["kim"].error == ""
    _, pairs = rank(list(codes.values()), boilerplate_chunks(skeleton_files(ROOT, "backprop")))
    assert ("ann", "bob") in {(p.a, p.b) for p in pairs}


def test_a_class_zip_is_read_like_its_folder(small_class, tmp_path):
    """Does a class download (a zip of one folder of submissions) give the same code as the folder?"""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(small_class.iterdir()):
            bundle.write(path, f"hw2/{path.name}")
    assert read_class([archive], pattern="(?P<id>.+)") == read_class([small_class], pattern="(?P<id>.+)")


class Marks(HTMLParser):
    """The text inside each <mark> of a page, and whether any <script> element is there."""

    def __init__(self) -> None:
        super().__init__()
        self.marked: list[str] = []
        self.scripts = 0
        self._inside = False

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        if tag == "mark":
            self._inside = True
            self.marked.append("")

    def handle_endtag(self, tag):
        self._inside = self._inside and tag != "mark"

    def handle_data(self, data):
        if self._inside:
            self.marked[-1] += data


def test_cli_writes_the_csv_and_the_page_with_its_wording(small_class, tmp_path):
    """Does `autograder similar DIR -a NAME --out OUT` rank the pairs into similarity.csv, flag the copy on
    similarity.html in the words "X and Y share N% of their code beyond the skeleton", and never accuse?"""
    out = tmp_path / "out"
    run = autograder("similar", str(small_class), "-a", "backprop", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "similarity: 1 of 15 pairs share 70% or more of their code beyond the skeleton" in run.stdout
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert list(rows[0]) == ["a", "b", "percent", "a_percent", "b_percent", "a_characters", "b_characters",
                             "shared_characters", "flagged"]
    assert (rows[0]["a"], rows[0]["b"], rows[0]["flagged"]) == ("ana", "bo", "yes")
    assert all(row["flagged"] == "" for row in rows[1:]) and float(rows[0]["percent"]) >= 90
    assert [float(r["percent"]) for r in rows] == sorted((float(r["percent"]) for r in rows), reverse=True)
    assert not {"eve", "fay"} & ({r["a"] for r in rows} | {r["b"] for r in rows})
    page = (out / "similarity.html").read_text()
    assert re.search(r"ana and bo share (9\d|100)% of their code beyond the skeleton", page)
    for text in (page, (out / "similarity.csv").read_text(), (out / "similarity.json").read_text(), run.stdout):
        assert not ACCUSING.search(text)


def test_the_page_marks_shared_code_and_escapes_it(tmp_path):
    """Are the shared lines inside <mark>, the others not, and does student code holding <script> stay text?"""
    hostile = ('\n\ndef show(report):\n    banner = "<script>alert(1)</script>"\n    print(banner, report)\n'
               '    return banner + "</code></pre><b>bold</b>"\n')
    (tmp_path / "ana.py").write_text(solved("backprop") + hostile)
    (tmp_path / "bo.py").write_text(solved("backprop") + hostile.replace("print(banner, report)",
                                                                          "for line in report:\n        pass"))
    out = tmp_path / "out"
    run = autograder("similar", str(tmp_path), "-a", "backprop", "--out", str(out))
    assert run.returncode == 0, run.stderr
    page = (out / "similarity.html").read_text()
    marks = Marks()
    marks.feed(page)
    assert marks.scripts == 0 and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    marked = "\n".join(marks.marked)
    assert "dx = dout @ W.T" in marked and "np.maximum(x, 0)" in marked
    assert "for line in report" not in marked and "print(banner, report)" not in marked
    assert "Affine layer: out = x @ W + b." not in marked  # the skeleton's docstring is never shared code


def test_the_same_class_gives_the_same_bytes(small_class, tmp_path):
    """Do two runs, in processes that hash strings differently (PYTHONHASHSEED), write identical files?"""
    similar([small_class], assignment="backprop", config=load_config(ROOT / "grader.toml"), out_dir=tmp_path / "here")
    run = autograder("similar", str(small_class), "-a", "backprop", "--out", str(tmp_path / "there"),
                     env={"PYTHONHASHSEED": "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"})
    assert run.returncode == 0, run.stderr
    for name in ("similarity.csv", "similarity.json", "similarity.html"):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "there" / name).read_bytes(), name


def test_the_class_summary_links_to_the_flagged_pairs(small_class, tmp_path):
    """Does summary.html of a graded folder show the flagged pairs with the wording and link to
    similarity.html, and does `autograder similar OUT` rank again from what it recorded and update it?"""
    out = tmp_path / "results"
    shutil.copytree(REPORT_FIXTURE, out)
    shutil.copy(small_class / "ana.py", tmp_path / "ada.py")  # two of the fixture's students, sharing code
    shutil.copy(small_class / "bo.py", tmp_path / "ben.py")
    config = load_config(ROOT / "grader.toml")
    run = similar([tmp_path / "ada.py", tmp_path / "ben.py", small_class / "cy.py"],
                  assignment="backprop", config=config, out_dir=out)
    assert [(p.a, p.b) for p in run.flagged] == [("ada", "ben")]
    write_summary(out)
    summary = (out / "summary.html").read_text()
    section = summary[summary.index('<section id="similarity">'):]
    assert re.search(r'<a href="similarity.html#pair-1">ada and ben share \d+% of their code beyond the skeleton',
                     section)
    assert '<a href="similarity.html">' in section
    assert '<a href="ada/feedback.html">ada</a>' in (out / "similarity.html").read_text()
    rerun = autograder("similar", str(out), "-a", "backprop", "--threshold", "100")
    assert rerun.returncode == 0, rerun.stderr
    assert "similarity: 0 of 3 pairs" in rerun.stdout and "class summary:" in rerun.stdout
    assert "No pair of the 3 compared shares 100% or more" in (out / "summary.html").read_text()


def test_a_folder_without_a_record_or_a_skeleton_says_what_to_do(small_class, tmp_path):
    out = tmp_path / "results"
    shutil.copytree(REPORT_FIXTURE, out)
    run = autograder("similar", str(out), "-a", "backprop")
    assert run.returncode == 1 and "holds no similarity.json" in run.stderr
    run = autograder("similar", str(small_class), "-a", "backprop")
    assert run.returncode == 1 and "--out DIR" in run.stderr
    config = load_config(ROOT / "grader.toml")
    with pytest.raises(ValueError, match="no skeleton of backprop"):
        similar([small_class], assignment="backprop", config=config, out_dir=tmp_path / "x", skeleton=[])


def test_the_threshold_in_the_help_is_the_default():
    assert f"(default: {round(100 * DEFAULT_THRESHOLD)})" in autograder("similar", "--help").stdout


def test_a_notebook_and_its_py_of_the_same_code_compare_alike(tmp_path):
    """Is a notebook whose task cells hold the reference the same code, for similarity, as the .py of it?"""
    notebook = nbformat.read(SKELETON / "backprop.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("task"):
            cell.source = fill(cell.source, solutions("backprop")["reference"], tasks_of("backprop"))
    nbformat.write(notebook, str(tmp_path / "ana.ipynb"))
    (tmp_path / "bo.py").write_text(solved("backprop"))
    skeleton = boilerplate_hashes(boilerplate_chunks(skeleton_files(ROOT, "backprop")))
    a, b = (fingerprint(code_of(tmp_path / name), skeleton) for name in ("ana.ipynb", "bo.py"))
    assert a.hashes == b.hashes and a.size == b.size > 0
