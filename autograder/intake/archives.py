"""Zip files as an LMS hands them out: a class's bulk download, or one submission zipped.

An archive is unpacked into a scratch folder the grader owns (never beside the submissions, which are only
read), and only after every member has been checked from the archive's directory: no absolute name, no name
that climbs out (`..`), no symbolic link or other special file, no name twice, at most MAX_ARCHIVE_MEMBERS
members and MAX_ARCHIVE_BYTES unpacked, and no member over a megabyte that unpacks to more than MAX_RATIO
times its compressed size (a zip bomb). Bytes are counted again while they are written, so a directory that
lies about sizes gains nothing.

An unpacked archive is read like a folder (a lone top folder unwrapped), named after the archive, except
that one notebook directly in it with helper files beside it (.py ones it imports) is one submission. A zip inside a zip (a student's own zip in a class download) is unpacked once
more; a zip inside that is refused. Whatever is refused stays one submission, which loading refuses with the
reason ("... is not a readable zip: ..."), so one bad archive never stops a class.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from autograder.intake.submission import (
    MAX_FOLDER_BYTES,
    MAX_SOURCE_BYTES,
    SubmissionError,
    folder_entries,
    is_folder,
    read_bounded,
)

ARCHIVE_SUFFIXES = (".zip",)
MAX_ARCHIVE_MEMBERS = 10_000  # a class of a few hundred students, each with a few files
MAX_ARCHIVE_BYTES = 20 * MAX_FOLDER_BYTES  # unpacked, all members together (and the archive file itself)
MAX_RATIO = 100  # unpacked / compressed, for a member over RATIO_FLOOR; notebooks and code compress 3-10 times
RATIO_FLOOR = 1024 * 1024
SCRATCH_PREFIX = "autograder-unzip-"
SKIPPED_PARTS = {"__MACOSX"}  # the resource forks macOS's Finder adds to every zip it makes
# `import helpers`, `from helpers import f` (its first name), as a notebook's JSON holds them (after a quote)
_IMPORT = re.compile(r"(?:^|[\s\"])(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def is_archive(path: Path) -> bool:
    """A regular file (not a link to one) named *.zip."""
    try:
        return path.suffix.lower() in ARCHIVE_SUFFIXES and stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A private folder (mode 0700) to unpack archives into, removed with everything in it on the way out."""
    folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def unpack_submissions(archive: Path, scratch: Path, read_folder: Callable[[Path], list[Path]],
                       nested: bool = False) -> list[Path]:
    """The submissions in `archive`, unpacked under `scratch`: `read_folder` of its contents (after unwrapping
    a lone top folder), named after the archive; a zip among them unpacked once more. A refused archive is
    returned as itself."""
    place = Path(tempfile.mkdtemp(dir=scratch, prefix="archive-"))
    try:
        root = unpack(archive, place / "raw", nested=nested)
    except SubmissionError:
        shutil.rmtree(place, ignore_errors=True)
        return [archive]
    while True:  # a zip of one folder (hw2/...) is that folder's contents
        entries = [e for e in root.iterdir() if not e.name.startswith(".")]
        if len(entries) != 1 or not is_folder(entries[0]):
            break
        root = entries[0]
    named = place / "named" / archive.stem  # its id is the archive's, as a folder's is its name
    named.parent.mkdir()
    os.rename(root, named)
    if holds_one_notebook(named):
        return [named]
    found = []
    for entry in read_folder(named):
        if entry != named and not nested and is_archive(entry):
            found.extend(unpack_submissions(entry, scratch, read_folder, nested=True))
        else:
            found.append(entry)
    return found


def holds_one_notebook(root: Path) -> bool:
    """Whether an unpacked archive is one submission with helper files: its only notebook lies directly in it,
    and every .py beside it (or under it) is a module that notebook imports. A class's download holds many
    notebooks, or .py files that are submissions of their own, which no notebook imports, or students' zips."""
    try:
        entries = [e for e in folder_entries(root) if stat.S_ISREG(e.mode)]
        notebooks = [e for e in entries if e.parts[-1].endswith(".ipynb")]
        if len(notebooks) != 1 or len(notebooks[0].parts) != 1 or any(is_archive(root.joinpath(*e.parts))
                                                                       for e in entries):
            return False
        imported = set(_IMPORT.findall(read_bounded(root, MAX_SOURCE_BYTES, notebooks[0].parts).decode("utf-8",
                                                                                                      "replace")))
    except SubmissionError:
        return False
    helpers = {Path(e.parts[0]).stem for e in entries if e.parts[-1].endswith(".py")}
    return helpers <= imported


def refusal(archive: Path) -> str:
    """Why unpacking refuses `archive` (checked again, from its bytes), for the gradebook."""
    nested = any(part.startswith(SCRATCH_PREFIX) for part in archive.parent.parts)
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as throwaway:
        try:
            unpack(archive, Path(throwaway) / "raw", nested=nested)
        except SubmissionError as error:
            return str(error)
    return f"{archive.name} is a zip archive; `autograder grade` unpacks it, grading it alone does not"


def unpack(archive: Path, target: Path, nested: bool = False) -> Path:
    """Unpack `archive` into the new folder `target` and return it; SubmissionError (and nothing left in
    `target`) if the archive is unreadable or any member is refused. `nested`: it came out of another zip,
    so it may hold no zip itself."""
    name = archive.name
    try:
        handle = os.open(archive, _OPEN_FLAGS)
    except OSError as exc:
        raise SubmissionError(f"cannot read {name}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "rb") as stream:
            info = os.fstat(stream.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise SubmissionError(f"{name} is not a regular file")
            if info.st_size > MAX_ARCHIVE_BYTES:
                raise SubmissionError(f"{name} is {info.st_size} bytes, more than the {MAX_ARCHIVE_BYTES} allowed")
            with zipfile.ZipFile(stream) as opened:
                members = _checked_members(opened, name, nested)
                target.mkdir(mode=0o700)
                try:
                    _extract(opened, members, target, name)
                except BaseException:
                    shutil.rmtree(target, ignore_errors=True)
                    raise
    except SubmissionError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            ValueError) as exc:  # zipfile raises all of these for damaged, encrypted or exotic archives
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise SubmissionError(f"{name} is not a readable zip: {why}") from None
    return target


Member = tuple[zipfile.ZipInfo, tuple[str, ...]]  # a member and its path inside the target, as parts


def _checked_members(opened: zipfile.ZipFile, name: str, nested: bool) -> list[Member]:
    """Every member to unpack with its path parts, in order; SubmissionError for the first one refused."""
    infos = opened.infolist()
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise SubmissionError(f"{name} holds more than the {MAX_ARCHIVE_MEMBERS} members allowed")
    members, seen, total = [], set(), 0
    for info in infos:
        raw = info.filename
        parts = tuple(p for p in raw.replace("\\", "/").split("/") if p not in ("", "."))
        if "\0" in raw or raw.startswith(("/", "\\")) or (len(raw) > 1 and raw[1] == ":"):
            raise SubmissionError(f"{name} holds a member with an absolute name ({raw!r}), which is not unpacked")
        if ".." in parts:
            raise SubmissionError(f"{name} holds a member whose name leads outside the archive ({raw!r}), "
                                  "which is not unpacked")
        if not parts or SKIPPED_PARTS & set(parts):
            continue
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise SubmissionError(f"{name} holds a symbolic link ({raw}), which the grader does not follow; "
                                  "zip the file itself")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise SubmissionError(f"{name} holds {raw}, which is not a regular file")
        if parts in seen:
            raise SubmissionError(f"{name} holds {raw} twice")
        seen.add(parts)
        if info.is_dir():
            members.append((info, parts))
            continue
        if nested and parts[-1].lower().endswith(ARCHIVE_SUFFIXES):
            raise SubmissionError(f"{name} holds another zip ({raw}); zips are unpacked one level deep only")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SubmissionError(f"{name} holds {raw}, which unpacks to {info.file_size} bytes from "
                                  f"{info.compress_size} (more than {MAX_RATIO} times: a zip bomb?)")
        total += info.file_size
        if total > MAX_ARCHIVE_BYTES:
            raise SubmissionError(f"{name} unpacks to more than the {MAX_ARCHIVE_BYTES} bytes allowed")
        members.append((info, parts))
    if not any(not info.is_dir() for info, _ in members):
        raise SubmissionError(f"{name} holds no file")
    return members


def _extract(opened: zipfile.ZipFile, members: list[Member], target: Path, name: str) -> None:
    """Write the checked members under `target`, counting the bytes as they come (a lying directory is cut)."""
    written = 0
    for info, parts in members:
        path = target.joinpath(*parts)
        try:
            if info.is_dir():
                path.mkdir(mode=0o700, parents=True, exist_ok=True)
                continue
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with opened.open(info) as source, os.fdopen(os.open(path, _WRITE_FLAGS, 0o600), "wb") as sink:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_ARCHIVE_BYTES:
                        raise SubmissionError(f"{name} unpacks to more than the {MAX_ARCHIVE_BYTES} bytes allowed")
                    sink.write(chunk)
            when = time.mktime(info.date_time + (0, 0, -1))
            os.utime(path, (when, when))
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            raise SubmissionError(f"{name} holds {info.filename} both as a file and as a folder") from None
