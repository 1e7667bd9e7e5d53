"""Find the submissions in what an instructor passes to `grade`, and whose they are."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.intake.archives import is_archive, unpack_submissions
from autograder.intake.submission import IGNORED_PARTS, SOURCE_SUFFIXES, is_folder, submission_id

# Canvas's bulk download: <login>_<userid>_<submissionid>_<name>, and <login>_LATE_<userid>_<submissionid>_<name>
# (a login may itself hold underscores: the shortest one followed by two numbers wins).
CANVAS_NAME = re.compile(r"(?P<id>.+?)_(?P<late>LATE_)?(?P<userid>\d+)_(?P<submissionid>\d+)(?:_(?P<name>.*))?\Z")


def expand(paths: list[Path], scratch: Path | None = None, exclude: Path | None = None) -> list[Path]:
    """Every submission under the given paths, sorted by id; duplicates removed.

    A file is a submission (a file that is not a notebook or .py is graded as 'not a submission', with the
    reason). A folder that directly holds exactly one notebook or .py file and no subfolder is one
    submission; any other folder is a collection whose entries (files and subfolders) are submissions.
    Hidden files and notebook checkpoints are skipped. No symbolic link is followed: a link, given or found, is
    a submission of its own that loading refuses, with the reason.

    With a `scratch` folder, a zip file (given, or an entry of a collection) is unpacked into it and read by
    the same rules as a folder (see intake.archives); a zip it refuses stays a submission that loading refuses,
    with the reason. Without one, a zip is a file like any other.

    Nothing at or under `exclude` is a submission: the output folder of `grade`, which an instructor may put
    inside the folder of submissions, would otherwise be graded as a student named after it on the next run.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if _inside(path, exclude):
            continue
        single = is_folder(path) and is_single_submission(path, exclude)
        entries = collection(path, exclude) if is_folder(path) and not single else [path]
        for entry in entries:
            unpacked = unpack_submissions(entry, scratch, collection) if scratch and is_archive(entry) else [entry]
            found.update(dict.fromkeys(unpacked))
    return sorted(found, key=lambda p: (submission_id(p), str(p)))


def collection(folder: Path, exclude: Path | None = None) -> list[Path]:
    """The entries of a folder of submissions (or the one submission it is), hidden ones, checkpoints and
    anything at or under `exclude` skipped."""
    if is_single_submission(folder, exclude):
        return [folder]
    return _entries(folder, exclude)


def is_single_submission(folder: Path, exclude: Path | None = None) -> bool:
    """Whether a folder is one submission: exactly one notebook or .py directly in it, no subfolder and no zip
    (a zip beside a file is another submission, as a class download's student zips are). An `exclude`d entry
    (the output folder) does not count, so a folder is read the same before and after results are put in it."""
    entries = _entries(folder, exclude)
    if any(is_folder(e) or is_archive(e) for e in entries):
        return False
    return len([e for e in entries if e.suffix in SOURCE_SUFFIXES]) == 1


def _entries(folder: Path, exclude: Path | None) -> list[Path]:
    return [e for e in sorted(folder.iterdir())
            if not e.name.startswith(".") and e.name not in IGNORED_PARTS and not _inside(e, exclude)]


def _inside(path: Path, folder: Path | None) -> bool:
    """Whether `path` is `folder` or lies under it, however either is spelled; a link at `path` is not followed
    (its parent is resolved, not the link)."""
    if folder is None:
        return False
    if path.name in ("", ".."):  # "." or a climb: nothing of it is a link to keep
        where = Path(os.path.realpath(path))
    else:
        where = Path(os.path.realpath(path.parent)) / path.name
    return where.is_relative_to(os.path.realpath(folder))


@dataclass(frozen=True)
class Identity:
    """Whose a submission is, read off its id: the student id, whether the LMS marked it late, the LMS's own
    user id when the name carries one, and a note for the gradebook when the name could not be read."""

    student: str
    late: bool = False
    lms_user_id: str = ""
    note: str = ""


def identify(submission: str, *, pattern: str, naming: str = "plain") -> Identity:
    """The Identity of a submission id by grader.toml's [batch] naming ('plain': the `(?P<id>...)` group of
    `pattern`; 'canvas': Canvas's bulk-download names). A name that does not match keeps its whole id as the
    student id, and the note says so: a silent fallback would file the grade under a name nobody expects."""
    if naming == "canvas":
        match = CANVAS_NAME.match(submission)
        if match is None:
            return Identity(submission, note="file name is not Canvas's <login>_<userid>_<submissionid>_<name>; "
                                             "filed under the whole name")
        return Identity(match.group("id"), late=bool(match.group("late")), lms_user_id=match.group("userid"))
    match = re.match(pattern, submission)
    if match is None or not match.group("id"):
        return Identity(submission, note=f"[batch] student_id {pattern!r} does not match this file name; "
                                         "filed under the whole name")
    return Identity(match.group("id"))


def student_of(submission: str, pattern: str) -> str:
    """The student id in a submission id, by the `(?P<id>...)` group of grader.toml's [batch] student_id."""
    return identify(submission, pattern=pattern).student
