"""`autograder similar`: rank a class's pairs of submissions by the code they share beyond the skeleton, and
write similarity.csv, similarity.json and similarity.html.

The class is either submissions (what `autograder grade` takes: files, folders, zips) or a grading output
folder, whose similarity.json (written when `autograder grade` ends) holds the code it read: a zip unpacked for
grading is gone by then, and the submissions may have moved.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.course.config import GraderConfig
from autograder.intake.submission import SubmissionError
from autograder.similarity.compare import DEFAULT_MIN_SHARED, DEFAULT_THRESHOLD, Pair, flagged, rank
from autograder.similarity.extract import Chunk, Code, boilerplate_chunks, read_class, skeleton_files
from autograder.similarity.files import read_codes, write_csv, write_json
from autograder.similarity.page import pair_view, render_page, write_page

RECORD = "similarity.json"
SIDE_BY_SIDE = 100  # flagged pairs shown side by side on similarity.html (the table lists them all)


class SimilarityError(ValueError):
    """The class cannot be compared (no skeleton, no record of an earlier run); the message says what to do."""


@dataclass(frozen=True)
class SimilarityRun:
    """What a run compared and flagged, and the files it wrote."""

    assignment: str
    threshold: float
    min_shared: int
    submissions: int
    compared: int  # pairs of two students' readable submissions
    flagged: tuple[Pair, ...]
    unreadable: tuple[tuple[str, str], ...]
    files: tuple[Path, ...]


def is_results_folder(path: Path) -> bool:
    """A folder `autograder grade --out` wrote into."""
    return path.is_dir() and ((path / "summary.json").is_file() or any(path.glob("*/grade.json")))


def similar(paths: list[Path], *, assignment: str, config: GraderConfig, out_dir: Path | None = None,
            threshold: float = DEFAULT_THRESHOLD, min_shared: int = DEFAULT_MIN_SHARED,
            skeleton: list[Path] | None = None) -> SimilarityRun:
    """Compare the class at `paths` (submissions, or one folder holding the similarity.json of an earlier run,
    as `autograder grade` leaves in its output folder) and write the files into `out_dir` (by default, that
    folder). The boilerplate is `skeleton`, by default the project's
    student_template/<assignment>.ipynb and .py."""
    paths = [Path(p) for p in paths]
    if len(paths) == 1 and (is_results_folder(paths[0]) or (paths[0] / RECORD).is_file()):
        record = paths[0] / RECORD
        if not record.is_file():
            raise SimilarityError(f"{paths[0]} holds no {RECORD} (`autograder grade` writes it when it grades two "
                                  f"submissions or more); compare the submissions themselves: autograder similar "
                                  f"SUBMISSIONS... -a {assignment} --out {paths[0]}")
        try:
            recorded, codes = read_codes(record)
        except ValueError as error:
            raise SimilarityError(str(error)) from None
        if recorded != assignment:
            raise SimilarityError(f"{record} is of the assignment {recorded!r}, not {assignment!r}")
        out_dir = out_dir or paths[0]
    else:
        if out_dir is None:
            raise SimilarityError("say where to write similarity.csv and similarity.html: --out DIR (a folder "
                                  "of submissions is left as it is)")
        codes = read_class(paths, pattern=config.batch.student_id, naming=config.batch.naming, exclude=Path(out_dir))
    files = skeleton if skeleton is not None else skeleton_files(config.root, assignment)
    if not files:
        raise SimilarityError(f"no skeleton of {assignment}: neither student_template/{assignment}.ipynb nor "
                              f".py under {config.root} (`autograder assign` writes them); or give --skeleton FILE")
    try:
        boilerplate = boilerplate_chunks(files)
    except SubmissionError as error:
        raise SimilarityError(f"the skeleton cannot be read: {error}") from None
    return compare_class(codes, assignment=assignment, boilerplate=boilerplate, out_dir=Path(out_dir),
                         threshold=threshold, min_shared=min_shared)


def compare_class(codes: list[Code], *, assignment: str, boilerplate: list[Chunk], out_dir: Path,
                  threshold: float = DEFAULT_THRESHOLD, min_shared: int = DEFAULT_MIN_SHARED) -> SimilarityRun:
    """Rank the pairs of `codes`, flag those at `threshold` (on `min_shared` characters or more) and write
    out_dir/similarity.csv, .json and .html."""
    prints, pairs = rank(codes, boilerplate)
    hits = flagged(pairs, threshold, min_shared)
    by_id = {f.id: f for f in prints}
    views = [pair_view(number, pair, by_id[pair.a], by_id[pair.b])
             for number, pair in enumerate(hits[:SIDE_BY_SIDE], start=1)]
    compared = sum(a.code.student != b.code.student for i, a in enumerate(prints) for b in prints[i + 1:])
    unreadable = tuple((c.id, c.error) for c in sorted(codes, key=lambda c: c.id) if c.error)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = (
        write_csv(out_dir / "similarity.csv", pairs, hits),
        write_json(out_dir / RECORD, assignment=assignment, threshold=threshold, min_shared=min_shared,
                   codes=codes, compared=compared, flagged=hits),
        write_page(out_dir / "similarity.html", render_page(
            assignment=assignment, threshold=threshold, min_shared=min_shared, compared=compared,
            submissions=len(prints), flagged=hits, views=views, unreadable=list(unreadable),
            feedback_links=is_results_folder(out_dir))),
    )
    return SimilarityRun(assignment, threshold, min_shared, len(prints), compared, tuple(hits), unreadable, written)
