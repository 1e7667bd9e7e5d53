"""Find the submissions in what an instructor passes to `grade`, and whose they are."""
from __future__ import annotations

import re
from pathlib import Path

from autograder.intake.submission import IGNORED_PARTS, SOURCE_SUFFIXES, is_folder, submission_id


def expand(paths: list[Path]) -> list[Path]:
    """Every submission under the given paths, sorted by id; duplicates removed.

    A file is a submission (a file that is not a notebook or .py is graded as 'not a submission', with the
    reason). A folder that directly holds exactly one notebook or .py file and no subfolder is one
    submission; any other folder is a collection whose entries (files and subfolders) are submissions.
    Hidden files and notebook checkpoints are skipped. No symbolic link is followed: a link, given or found, is
    a submission of its own that loading refuses, with the reason.
    """
    found: dict[Path, None] = {}
    for path in paths:
        if is_folder(path) and not is_single_submission(path):
            for entry in sorted(path.iterdir()):
                if not entry.name.startswith(".") and entry.name not in IGNORED_PARTS:
                    found[entry] = None
        else:
            found[path] = None
    return sorted(found, key=lambda p: (submission_id(p), str(p)))


def is_single_submission(folder: Path) -> bool:
    entries = [e for e in folder.iterdir() if not e.name.startswith(".") and e.name not in IGNORED_PARTS]
    if any(is_folder(e) for e in entries):
        return False
    return len([e for e in entries if e.suffix in SOURCE_SUFFIXES]) == 1


def student_of(submission: str, pattern: str) -> str:
    """The student id in a submission id, by the `(?P<id>...)` group of grader.toml's [batch] student_id."""
    match = re.match(pattern, submission)
    return match.group("id") if match and match.group("id") else submission
