"""similarity.html: each flagged pair side by side, the code they share marked, in the reports' own style.

The pair's chunks are lined up by what they share (a function the copier moved is shown beside its original),
and every character of student code reaches the page through Jinja's autoescaping, a shared region as a
<mark> around escaped text: code holding `<script>` shows as text. The words flag, never accuse: a pair
"shares N% of its code beyond the skeleton", which is a reason for a person to look, not a finding.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from autograder.similarity.compare import Fingerprints, Pair, Piece, shared_regions
from autograder.similarity.files import write_whole

# The reports' templates (base.html.j2, style.css.j2) and this page's, as package data of autograder.report.
TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"


@dataclass(frozen=True)
class Segment:
    text: str
    shared: bool


@dataclass(frozen=True)
class Side:
    """One chunk of one submission: where it is and its text, cut where shared regions start and end."""

    where: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Row:
    left: Side | None
    right: Side | None


@dataclass(frozen=True)
class PairView:
    number: int
    pair: Pair
    rows: tuple[Row, ...]


def floor_percent(share: float) -> int:
    """A share as a whole percent, rounded down: "shares 99%" is never said of a pair that shares 98.7%."""
    return int(100 * share + 1e-9)


def environment() -> jinja2.Environment:
    """Every value HTML-escaped: the page shows student code."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(pct=lambda share: f"{floor_percent(share)}%",
                       threshold=lambda share: f"{round(100 * share)}%")
    return env


def segments(text: str, regions: list[tuple[int, int]]) -> tuple[Segment, ...]:
    """`text` cut at the (start, end) regions, each marked shared but for the spaces and newlines at its lines'
    ends (a mark over indentation says nothing)."""
    found, at = [], 0
    for start, end in sorted(regions):
        start, end = max(_word_start(text, start), at), min(_word_end(text, end), len(text))
        if start >= end:
            continue
        if start > at:
            found.append(Segment(text[at:start], False))
        for line in text[start:end].splitlines(keepends=True):
            body = line.strip()
            if not body:
                found.append(Segment(line, False))
                continue
            lead = line.index(body)
            found += [Segment(part, shared) for part, shared in ((line[:lead], False), (body, True),
                                                                 (line[lead + len(body):], False)) if part]
        at = end
    if at < len(text):
        found.append(Segment(text[at:], False))
    return tuple(found)


def _word_start(text: str, start: int) -> int:
    """A region's start moved back to the start of the name or number it cuts (fingerprints end anywhere)."""
    while 0 < start < len(text) and _word(text[start - 1]) and _word(text[start]):
        start -= 1
    return start


def _word_end(text: str, end: int) -> int:
    while 0 < end < len(text) and _word(text[end - 1]) and _word(text[end]):
        end += 1
    return end


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def pair_view(number: int, pair: Pair, a: Fingerprints, b: Fingerprints) -> PairView:
    """The rows of a pair: each chunk of `a` beside the chunk of `b` it shares most with, then `b`'s others."""
    shared = a.hashes & b.hashes
    sides_a = [_side(piece, regions) for piece, regions in zip(a.pieces, shared_regions(a, shared))]
    sides_b = [_side(piece, regions) for piece, regions in zip(b.pieces, shared_regions(b, shared))]
    overlaps = sorted(((-len(set(pa.positions) & set(pb.positions) & shared), i, j)
                       for i, pa in enumerate(a.pieces) for j, pb in enumerate(b.pieces)))
    partner: dict[int, int] = {}
    for count, i, j in overlaps:
        if count < 0 and i not in partner and j not in partner.values():
            partner[i] = j
    rows = [Row(side, sides_b[partner[i]] if i in partner else None) for i, side in enumerate(sides_a)]
    rows += [Row(None, side) for j, side in enumerate(sides_b) if j not in partner.values()]
    return PairView(number, pair, tuple(rows))


def _side(piece: Piece, regions: list[tuple[int, int]]) -> Side:
    return Side(piece.chunk.where, segments(piece.chunk.text, regions))


def render_page(*, assignment: str, threshold: float, min_shared: int, compared: int, submissions: int,
                flagged: list[Pair], views: list[PairView], unreadable: list[tuple[str, str]],
                feedback_links: bool) -> str:
    """similarity.html of a class: every flagged pair in a table, the first len(views) side by side."""
    return environment().get_template("similarity.html.j2").render(
        assignment=assignment, threshold=threshold, min_shared=min_shared, compared=compared,
        submissions=submissions, flagged=flagged, views=views, unreadable=unreadable, links=feedback_links)


def write_page(path: Path, text: str) -> Path:
    """Replace the page in one rename, so a browser never shows half of it."""
    write_whole(path, text)
    return path
