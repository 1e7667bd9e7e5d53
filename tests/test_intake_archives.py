"""Submissions as an LMS hands them out: zip files (a class's bulk download, one submission zipped), Canvas's file
names, and a canvas.csv that cannot hurt a gradebook.

Every zip is a real one written with zipfile in tmp_path, and graded for real with the fast settings; the zip
bomb is a few MB of zeros (a few KB compressed).
"""
from __future__ import annotations

import csv
import io
import json
import stat
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.batch.run import grade_batch
from autograder.course.config import ConfigError, load_config
from autograder.intake.archives import SCRATCH_PREFIX
from autograder.intake.discover import identify
from tests.conftest import MUTANTS, ROOT, reference_source, write_submission


def _zip(path: Path, members: dict[str, bytes | str], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _zip_folder(folder: Path, path: Path, prefix: str = "") -> Path:
    return _zip(path, {prefix + p.relative_to(folder).as_posix(): p.read_bytes()
                       for p in sorted(folder.rglob("*")) if p.is_file()})


def _rows(out: Path, name: str = "gradebook.csv") -> list[dict[str, str]]:
    return list(csv.DictReader((out / name).open()))


def _by_id(out: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in _rows(out)}


def _notebook_bytes(tmp: Path, source: str) -> bytes:
    return write_submission(tmp, "nb", source, notebook=True).read_bytes()


def _listing(folder: Path) -> list[tuple[str, int]]:
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*"))


def _own_scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*")}


def test_a_class_zip_grades_as_its_unzipped_folder(fast_config, tmp_path, monkeypatch):
    """Does a bulk download graded as a zip give the same gradebook, canvas.csv and summary as the folder it
    was made from, without writing beside the submissions or leaving its scratch folder behind?"""
    # A temp folder of this test's own: another grading on the machine makes scratch folders of its own.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    klass = tmp_path / "klass"
    klass.mkdir()
    buggy = reference_source("backprop") + "\n\n" + (MUTANTS / "backprop" / "softmax_loss__sign-flip.py").read_text()
    write_submission(klass, "ada", reference_source("backprop"))
    write_submission(klass, "ben", buggy, notebook=True)
    (klass / "notes.txt").write_text("not a submission")
    given = tmp_path / "given"
    given.mkdir()
    archive = _zip_folder(klass, given / "class.zip", prefix="hw2 submissions/")  # wrapped in one folder
    before, scratch_before = _listing(given), _own_scratch()
    grade_batch([klass], assignment="backprop", out_dir=tmp_path / "folder", config=fast_config, jobs=1)
    grade_batch([archive], assignment="backprop", out_dir=tmp_path / "zip", config=fast_config, jobs=1)
    for name in ("gradebook.csv", "canvas.csv", "summary.json"):
        assert (tmp_path / "folder" / name).read_text() == (tmp_path / "zip" / name).read_text(), name
    assert sorted(_by_id(tmp_path / "zip")) == ["ada", "ben", "notes"]
    assert _by_id(tmp_path / "zip")["ada"]["status"] == "graded"
    assert _listing(given) == before  # nothing unpacked beside the submissions
    assert _own_scratch() <= scratch_before  # the scratch folder is removed


def test_a_zipped_submission_with_a_helper_file_is_one_row(fast_config, tmp_path):
    """Is a zip of one notebook with a helper .py it imports and a data file one submission, named after the zip?"""
    uses = reference_source("backprop") + "\n\ndef _uses_helpers():\n    import helpers\n    return helpers\n"
    archive = _zip(tmp_path / "jdoe.zip", {"hw2/backprop.ipynb": _notebook_bytes(tmp_path, uses),
                                           "hw2/helpers.py": "def unused():\n    return 1\n",
                                           "hw2/data/points.csv": "1,2\n", "__MACOSX/hw2/._helpers.py": b"\0\1"})
    report = grade_batch([archive], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=1)
    rows = _by_id(tmp_path / "out")
    assert list(rows) == ["jdoe"] and rows["jdoe"]["percent"] == "100", rows
    assert report.graded == 1


def _hostile_archives(folder: Path) -> dict[str, str]:
    """Zips that must each be refused, with the phrase their row's status must hold."""
    notebook = _notebook_bytes(folder / "..", reference_source("backprop"))
    _zip(folder / "traversal.zip", {"ok.ipynb": notebook, "../../escaped.py": "print('out')\n"})
    _zip(folder / "absolute.zip", {"ok.ipynb": notebook, "/tmp/absolute_member.py": "x = 1\n"})
    with zipfile.ZipFile(folder / "link.zip", "w") as archive:
        link = zipfile.ZipInfo("backprop.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, str(ROOT / "reference" / "backprop.py"))
    _zip(folder / "bomb.zip", {"backprop.py": b"\0" * (4 << 20)})
    (folder / "corrupt.zip").write_bytes(b"PK\x03\x04 this is no zip at all")
    crc = bytearray(_zip(folder / "crc.zip", {"backprop.py": "x = 1\n" * 50}, compression=zipfile.ZIP_STORED)
                    .read_bytes())
    crc[crc.index(b"x = 1")] = ord("y")  # one byte of the stored data changed: its CRC no longer matches
    (folder / "crc.zip").write_bytes(bytes(crc))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("deeper.zip", b"PK\x05\x06" + b"\0" * 18)
    _zip(folder / "deep.zip", {"student.zip": inner.getvalue(), "other.ipynb": notebook})
    return {"traversal": "leads outside the archive", "absolute": "absolute name", "link": "symbolic link",
            "bomb": "a zip bomb", "corrupt": "is not a readable zip: File is not a zip file",
            "crc": "is not a readable zip: Bad CRC-32", "student": "one level deep"}


def test_hostile_and_broken_zips_each_get_a_row_with_the_reason(fast_config, tmp_path):
    """Do path traversal, absolute names, a symlink member, a zip bomb, a corrupt zip, a bad CRC and zips nested
    two deep each give their own row with the reason, unpack nothing outside the scratch folder, and leave the
    rest of the class graded, with blank scores in canvas.csv?"""
    folder = tmp_path / "class"
    folder.mkdir()
    expected = _hostile_archives(folder)
    write_submission(folder, "good", reference_source("backprop"))
    report = grade_batch([folder], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=1)
    rows = _by_id(tmp_path / "out")
    assert rows["good"]["percent"] == "100"
    for sid, phrase in expected.items():
        assert rows[sid]["status"].startswith("not graded: ") and phrase in rows[sid]["status"], (sid, rows[sid])
    assert "other" in rows and rows["other"]["percent"] == "100"  # deep.zip's own notebook is still graded
    assert not (tmp_path / "escaped.py").exists() and not Path("/tmp/absolute_member.py").exists()
    assert report.summary["failures"]["not_graded"]["zip bomb"] == 1
    canvas = {row["SIS User ID"]: row["backprop"] for row in _rows(tmp_path / "out", "canvas.csv")}
    assert canvas["good"] != "" and float(canvas["good"]) > 0
    assert all(canvas[sid] == "" for sid in expected), canvas  # blank: Canvas keeps what it had


def test_canvas_names_give_logins_late_flags_and_canvas_ids(fast_config, tmp_path):
    """Do Canvas's bulk-download names give the login as the id, a late column and Canvas's ID in canvas.csv,
    a student's own zip inside the download included?"""
    folder = tmp_path / "dl"
    folder.mkdir()
    notebook = _notebook_bytes(tmp_path, reference_source("backprop"))
    importing = _notebook_bytes(tmp_path, reference_source("backprop") + "\n\ndef _a():\n    from util import A\n")
    members = {"jdoe_12345_678901_backprop.ipynb": notebook,
               "ann_lee_LATE_23456_678902_backprop-1.ipynb": notebook,
               "bsmith_34567_678903_hw2.zip": _zip(tmp_path / "own.zip", {"backprop.ipynb": importing,
                                                                          "util.py": "A = 1\n"}).read_bytes()}
    archive = _zip(folder / "submissions.zip", members)
    config = replace(fast_config, batch=replace(fast_config.batch, naming="canvas"))
    grade_batch([archive], assignment="backprop", out_dir=tmp_path / "out", config=config, jobs=1)
    rows = _by_id(tmp_path / "out")
    assert sorted(rows) == ["ann_lee", "bsmith", "jdoe"]
    assert {sid: row["late"] for sid, row in rows.items()} == {"ann_lee": "late", "bsmith": "", "jdoe": ""}
    assert all(row["status"] == "graded" for row in rows.values())
    canvas = {row["Student"]: row for row in _rows(tmp_path / "out", "canvas.csv")}
    assert list(_rows(tmp_path / "out", "canvas.csv")[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID",
                                                              "Section", "backprop"]
    assert {name: row["ID"] for name, row in canvas.items()} == {"ann_lee": "23456", "bsmith": "34567",
                                                                 "jdoe": "12345"}
    record = json.loads((tmp_path / "out" / "ann_lee_LATE_23456_678902_backprop-1" / "grade.json").read_text())
    assert record["late"] is True and record["student"] == "ann_lee"


def test_a_student_id_pattern_that_does_not_match_says_so(fast_config, tmp_path):
    """Does a file name the [batch] student_id pattern does not match keep its whole name, with a note in its row
    (and under naming = "canvas" likewise), instead of falling back silently?"""
    folder = tmp_path / "subs"
    folder.mkdir()
    write_submission(folder, "jdoe_hw2", reference_source("backprop"))
    write_submission(folder, "Final Version", reference_source("backprop"))
    config = replace(fast_config, batch=replace(fast_config.batch, student_id=r"(?P<id>[a-z]+)_hw\d"))
    grade_batch([folder], assignment="backprop", out_dir=tmp_path / "out", config=config, jobs=1)
    rows = _by_id(tmp_path / "out")
    assert rows["jdoe"]["status"] == "graded"
    assert rows["Final Version"]["status"].startswith("graded; [batch] student_id")
    assert "does not match this file name" in rows["Final Version"]["status"]
    canvas = identify("Final Version", pattern="", naming="canvas")
    assert canvas.student == "Final Version" and "not Canvas's" in canvas.note


def test_naming_canvas_and_a_student_id_pattern_are_not_both_allowed(tmp_path):
    text = (ROOT / "grader.toml").read_text().replace('reference = "reference/', f'reference = "{ROOT}/reference/')
    both = tmp_path / "both.toml"
    both.write_text(text.replace('[batch]\n', '[batch]\nnaming = "canvas"\n'))
    with pytest.raises(ConfigError, match="keep one"):
        load_config(both)
    canvas = tmp_path / "canvas.toml"
    canvas.write_text(text.replace('[batch]\n', '[batch]\nnaming = "canvas"\n').replace(
        'student_id = "(?P<id>.+)"', ""))
    assert load_config(canvas).batch.naming == "canvas"


def test_canvas_csv_leaves_the_score_of_an_internal_error_blank(fast_config, tmp_path, monkeypatch):
    """Is the score of a submission the grader failed on blank in canvas.csv (0 would overwrite a grade)?"""
    from autograder.batch import run as batch

    def broken(*args, **kwargs):
        raise RuntimeError("a bug of the grader")

    write_submission(tmp_path, "victim", reference_source("backprop"))
    monkeypatch.setattr(batch, "grade_with_code", broken)
    grade_batch([tmp_path / "victim.py"], assignment="backprop", out_dir=tmp_path / "out", config=fast_config, jobs=1)
    (row,) = _rows(tmp_path / "out", "canvas.csv")
    assert row["SIS User ID"] == "victim" and row["backprop"] == ""
    assert "internal error" in _by_id(tmp_path / "out")["victim"]["status"]
