"""Read a submission (a notebook, a .py file, or a folder holding one) into its code cells, without running it.

Nothing here follows a symbolic link or reads without a bound: a link in a submission (to the reference, to
a 4 GB file) refuses that submission with the reason, every file is opened with O_NOFOLLOW and read up to
its cap (plus one byte, so a file that grows while it is read is still refused), and a folder is walked
entry by entry, without following links, up to a number of entries and a total size.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat
import nbformat.reader

MAX_SOURCE_BYTES = 5 * 1024 * 1024
MAX_FOLDER_ENTRIES = 1000  # files and folders in a submission folder (ignored parts not counted)
MAX_FOLDER_BYTES = 50 * 1024 * 1024  # all the files of a submission folder together
IGNORED_PARTS = {".ipynb_checkpoints", "__pycache__", ".git"}
SOURCE_SUFFIXES = (".ipynb", ".py")
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # O_NONBLOCK: a FIFO does not block


class SubmissionError(ValueError):
    """The file is not a gradable submission; the message says why, for the gradebook."""

    def __init__(self, message: str) -> None:
        super().__init__(as_text(message))  # it names the file, whose name may not be UTF-8


def as_text(text: str) -> str:
    """`text` as valid Unicode: a file name's bytes that are not UTF-8 (which Python keeps as lone surrogates)
    become escapes such as \\xff, so that an id or a message built from one can be written to JSON, CSV, HTML
    and a terminal. Valid text is returned as it is."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name makes (from text, not from the file system)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(frozen=True)
class Cell:
    """One code cell (a .py file is a single cell, a script: its lines are named "line N", not "cell 1, line N")."""

    index: int
    source: str
    script: bool = False


@dataclass(frozen=True)
class Submission:
    id: str
    path: Path
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Entry:
    """One entry of a submission folder, as lstat saw it (never through a link)."""

    parts: tuple[str, ...]  # its path inside the folder
    mode: int
    size: int
    mtime: float

    @property
    def name(self) -> str:
        return "/".join(self.parts)


def is_folder(path: Path) -> bool:
    """A real folder: not a link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def submission_id(path: Path) -> str:
    """The file stem, or the folder name (as text: see `as_text`)."""
    return as_text(path.name if is_folder(path) else path.stem)


def folder_entries(folder: Path) -> list[Entry]:
    """Every file and folder under `folder` (ignored parts skipped), sorted by path, links never followed.

    Raises SubmissionError for a symbolic link, for more than MAX_FOLDER_ENTRIES entries or MAX_FOLDER_BYTES
    bytes, and for a folder that cannot be read.
    """
    entries: list[Entry] = []
    total = 0
    pending: list[tuple[str, ...]] = [()]
    while pending:
        parts = pending.pop()
        try:
            handle = _open_inside(folder, parts, directory=True)
        except OSError as exc:
            raise SubmissionError(_unreadable(folder, parts, exc)) from None
        try:
            with os.scandir(handle) as listing:
                for item in listing:
                    if item.name in IGNORED_PARTS:
                        continue
                    child = parts + (item.name,)
                    info = item.stat(follow_symlinks=False)
                    if stat.S_ISLNK(info.st_mode):
                        raise SubmissionError(f"folder {folder.name} holds a symbolic link ({'/'.join(child)}), "
                                              "which the grader does not follow; submit the file itself")
                    entries.append(Entry(child, info.st_mode, info.st_size, info.st_mtime))
                    if len(entries) > MAX_FOLDER_ENTRIES:
                        raise SubmissionError(f"folder {folder.name} holds more than the {MAX_FOLDER_ENTRIES} "
                                              "files and folders allowed")
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(child)
                    else:
                        total += info.st_size
                        if total > MAX_FOLDER_BYTES:
                            raise SubmissionError(f"folder {folder.name} holds more than the {MAX_FOLDER_BYTES} "
                                                  "bytes allowed")
        except OSError as exc:
            raise SubmissionError(_unreadable(folder, parts, exc)) from None
        finally:
            os.close(handle)
    return sorted(entries, key=lambda e: e.parts)


def read_bounded(path: Path, limit: int = MAX_SOURCE_BYTES, parts: tuple[str, ...] = ()) -> bytes:
    """The bytes of a regular file (`path`, or `parts` inside the folder `path`), never through a link and never
    more than `limit`: SubmissionError if it is a link, not a regular file, or larger (even if it grows)."""
    name = "/".join(parts) if parts else path.name
    try:
        handle = _open_inside(path, parts) if parts else os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if os.path.islink(path if not parts else path.joinpath(*parts)):
            raise SubmissionError(f"{name} is a symbolic link, which the grader does not follow; "
                                  "submit the file itself") from None
        raise SubmissionError(f"cannot read {name}: {exc.strerror}") from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{name} is not a regular file")
        if info.st_size > limit:
            raise SubmissionError(f"{name} is {info.st_size} bytes, more than the {limit} allowed")
        chunks, read = [], 0
        while read <= limit:
            chunk = os.read(handle, min(1 << 20, limit + 1 - read))
            if not chunk:
                break
            chunks.append(chunk)
            read += len(chunk)
        if read > limit:
            raise SubmissionError(f"{name} is at least {read} bytes, more than the {limit} allowed")
        return b"".join(chunks)
    except OSError as exc:
        raise SubmissionError(f"cannot read {name}: {exc.strerror}") from None
    finally:
        os.close(handle)


def source_digest(path: Path) -> str:
    """sha256 of a submission's bytes (a folder: of every file in it, by relative path), to notice changes.

    Bounded like reading: a file past its cap, a link, or a folder past its caps is digested by what lstat
    says of it (size and time), never read; this never raises.
    """
    digest = hashlib.sha256()
    if not is_folder(path):
        digest.update(os.fsencode(path.name) + b"\0" + _bytes_or_stat(path))
        return digest.hexdigest()
    try:
        entries = folder_entries(path)
    except SubmissionError as error:  # refused anyway: notice a change of its listing
        digest.update(f"<refused: {error}>".encode())
        for entry in _listing(path):
            digest.update(os.fsencode(entry) + b"\0")
        return digest.hexdigest()
    for entry in entries:
        if stat.S_ISREG(entry.mode):
            digest.update(os.fsencode(entry.name) + b"\0" + _bytes_or_stat(path, entry.parts))
    return digest.hexdigest()


def modified_time(path: Path) -> float:
    """When a submission last changed: a file's modification time, or the newest of a folder's files (lstat)."""
    try:
        own = os.lstat(path).st_mtime
    except OSError:
        return 0.0
    if not is_folder(path):
        return own
    try:
        entries = folder_entries(path)
    except SubmissionError:
        return own
    return max((e.mtime for e in entries if stat.S_ISREG(e.mode)), default=own)


def _open_inside(folder: Path, parts: tuple[str, ...], directory: bool = False) -> int:
    """A descriptor of `parts` inside `folder`, opened one component at a time with O_NOFOLLOW."""
    flags = _OPEN_FLAGS | os.O_DIRECTORY
    handle = os.open(folder, flags)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            opened = os.open(part, flags if directory or not last else _OPEN_FLAGS, dir_fd=handle)
            os.close(handle)
            handle = opened
    except BaseException:
        os.close(handle)
        raise
    return handle


def _bytes_or_stat(path: Path, parts: tuple[str, ...] = ()) -> bytes:
    try:
        return read_bounded(path, MAX_SOURCE_BYTES, parts)
    except SubmissionError:
        try:
            info = os.lstat(path.joinpath(*parts))
            return f"<not read: mode {info.st_mode}, {info.st_size} bytes, {info.st_mtime_ns}>".encode()
        except OSError:
            return b"<unreadable>"


def _listing(folder: Path) -> list[str]:
    """The names directly in a folder, at most MAX_FOLDER_ENTRIES + 1 of them (a refused folder's digest)."""
    names = []
    try:
        with os.scandir(folder) as listing:
            for item in listing:
                info = item.stat(follow_symlinks=False)
                names.append(f"{item.name}:{info.st_mode}:{info.st_size}:{info.st_mtime_ns}")
                if len(names) > MAX_FOLDER_ENTRIES:
                    break
    except OSError:
        pass
    return sorted(names)


def _unreadable(folder: Path, parts: tuple[str, ...], exc: OSError) -> str:
    return f"cannot read {'/'.join((folder.name,) + parts)}: {exc.strerror}"


@dataclass(frozen=True)
class SourceFile:
    """The raw bytes of a submission's one source file, as read (bounded) before any parsing; what a grader on
    another machine needs to grade it (`write_source` lays it out again)."""

    parts: tuple[str, ...]  # its path inside the submission folder; () for a submission that is the file itself
    name: str  # the file's own name, as the feedback calls it
    raw: bytes


def read_source(path: Path | str) -> SourceFile:
    """The one source file of a .ipynb, a .py or a folder holding one, read within its cap; SubmissionError
    for what cannot be graded (a link, a refused zip, another kind of file, a file or folder past its caps)."""
    path = Path(path)
    if is_folder(path):
        parts = _find_source(path)
        name = parts[-1]
    else:
        parts, name = (), path.name
    suffix = Path(name).suffix
    if not parts and suffix.lower() == ".zip":  # a zip left here is one `grade` refused to unpack: say why
        from autograder.intake.archives import is_archive, refusal  # archives reads with this module's caps

        if is_archive(path):
            raise SubmissionError(refusal(path))
    if suffix not in SOURCE_SUFFIXES:
        if os.path.islink(path):
            raise SubmissionError(f"{name} is a symbolic link, which the grader does not follow; "
                                  "submit the file itself")
        raise SubmissionError(f"{name} is neither a notebook (.ipynb) nor a Python file (.py)")
    return SourceFile(parts, name, read_bounded(path, MAX_SOURCE_BYTES, parts))


def write_source(folder: Path, sid: str, source: SourceFile) -> Path:
    """Lay `source` out under `folder` as the submission `sid` it was read from (a folder holding only that
    file, or the file itself), so that load_submission reads the same cells and submission_id gives `sid`."""
    parts = (sid,) + (source.parts or (source.name,))
    if any(part in ("", ".", "..") or "/" in part or "\0" in part for part in parts) or (
            not source.parts and as_text(Path(source.name).stem) != sid):
        raise SubmissionError(f"cannot lay out {'/'.join(parts)!r} as the submission {sid!r}")
    target = folder.joinpath(sid, *parts) if source.parts else folder / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.raw)
    return folder / sid if source.parts else target


def load_submission(path: Path | str) -> Submission:
    """Code cells of a .ipynb (any nbformat version nbformat can upgrade), a .py, or a folder with one of them."""
    path = Path(path)
    source = read_source(path)
    text = _text(source.raw, source.name)
    if Path(source.name).suffix == ".ipynb":
        cells = _notebook_cells(text, source.name)
    else:
        cells = (Cell(1, text, script=True),)
    return Submission(id=submission_id(path), path=path, cells=cells)


def _find_source(folder: Path) -> tuple[str, ...]:
    """The one notebook (or else the one .py file) in a folder, as its path inside the folder."""
    candidates = [e for e in folder_entries(folder) if stat.S_ISREG(e.mode) and Path(e.parts[-1]).suffix
                  in SOURCE_SUFFIXES]
    notebooks = [e for e in candidates if e.parts[-1].endswith(".ipynb")]
    chosen = notebooks or candidates
    if len(chosen) != 1:
        found = ", ".join(e.parts[-1] for e in chosen) or "nothing"
        raise SubmissionError(f"folder {folder.name} must hold exactly one notebook or .py file; found {found}")
    return chosen[0].parts


def _text(raw: bytes, name: str) -> str:
    if b"\0" in raw:
        raise SubmissionError(f"{name} is a binary file, not source code")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{name} is not UTF-8 text") from None


def _notebook_cells(text: str, name: str) -> tuple[Cell, ...]:
    if not text.strip():
        raise SubmissionError(f"{name} is empty")
    try:
        # nbformat's reader and converter, without nbformat.reads's schema validation (60% of the time it took):
        # its verdict changed nothing, as an invalid notebook is read all the same, cell by cell, below.
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        raise SubmissionError(f"{name} is not a readable notebook: {str(exc).splitlines()[0][:200]}") from None
    cells = []
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            cells.append(Cell(index, cell["source"]))
    return tuple(cells)
