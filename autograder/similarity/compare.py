"""Fingerprints of each submission's code beyond the skeleton, and how much of it each pair shares.

copydetect does the work MOSS does: `filter_code` tokenizes with pygments and writes every variable, argument,
attribute and function name as one letter, drops comments and whitespace and every string's text, and
`winnow` keeps the fingerprints of the robust winnowing algorithm (Schleimer, Wilkerson and Aiken, SIGMOD
2003): of every window of WINDOW consecutive K-grams of the normalized code, the one of least hash, so that any
shared run of at least K + WINDOW - 1 normalized characters is found. Three things differ from copydetect's
CopyDetector, each for a reason:

- K-grams are hashed with blake2b, not Python's `hash`, which changes with every process (PYTHONHASHSEED):
  the same class gives the same fingerprints, scores and pages, byte for byte, on every run.
- The boilerplate is every K-gram of the skeleton, not only its winnowed ones (a K-gram the skeleton's
  winnowing skipped may be chosen in a student's context), and a fingerprint never straddles two chunks
  (extract.definitions), so reordering functions or cells changes nothing.
- Docstrings are blanked before normalizing, like the comments they are: each stub comes with the skeleton's,
  and a student who deletes it would otherwise change every K-gram near the top of a short function.

A pair's score is the share of its smaller submission's code beyond the skeleton (the normalized characters
its fingerprints cover) that the other one also has. Both directions are kept.
"""
from __future__ import annotations

import hashlib
import io
import re
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np
from copydetect.utils import filter_code, get_copied_slices, get_token_coverage, winnow

from autograder.similarity.extract import Chunk, Code

K = 20  # normalized characters per fingerprint: `V=V.V(V,V=0)` is 12, a short statement
WINDOW = 6  # any shared run of K + WINDOW - 1 = 25 normalized characters is found (winnowing's guarantee)
# Flag a pair when this share of the smaller one's code beyond the skeleton is in the other, or more: on the
# generated class of bench/similarity_corpus.py, independent correct solutions share at most 53% (rnn's reference
# and its preactivation-cache variant, written alike) and disguised copies at least 82%; a real class has many
# more independent pairs, so more of them in the tail: the threshold sits nearer the copies.
DEFAULT_THRESHOLD = 0.7
DEFAULT_MIN_SHARED = 100  # and at least this many normalized characters of it: a shared one-liner says nothing
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Piece:
    """One chunk as fingerprinted: its normalized text, where each normalized character came from, and the
    positions of its fingerprints (the skeleton's removed)."""

    chunk: Chunk
    filtered: str
    offsets: np.ndarray  # copydetect's: (position in `filtered`, characters removed before it)
    positions: dict[int, list[int]]  # fingerprint -> its positions in `filtered`
    docstrings: tuple[tuple[int, int], ...]  # in the chunk's text: never marked shared


@dataclass(frozen=True)
class Fingerprints:
    """A submission's fingerprints beyond the skeleton, and how much code they cover."""

    code: Code
    pieces: tuple[Piece, ...]
    hashes: frozenset[int]
    size: int  # normalized characters covered by its fingerprints: its code beyond the skeleton

    @property
    def id(self) -> str:
        return self.code.id


@dataclass(frozen=True)
class Pair:
    """How much code two submissions share beyond the skeleton: the share of each one's found in the other."""

    a: str
    b: str
    a_share: float
    b_share: float
    a_size: int  # normalized characters beyond the skeleton
    b_size: int
    shared: int  # normalized characters of the smaller one found in the other

    @property
    def score(self) -> float:
        """The share of the smaller submission's code beyond the skeleton found in the other."""
        if self.a_size == self.b_size:
            return max(self.a_share, self.b_share)
        return self.a_share if self.a_size < self.b_size else self.b_share


def kgram_hashes(filtered: str) -> np.ndarray:
    """A stable 52-bit hash of every K-gram (52 bits: copydetect's pure-Python winnowing compares them as
    float64, which holds them exactly)."""
    text = _SURROGATES.sub("\ufffd", filtered)  # lone ones (a notebook's JSON can hold them) cannot be encoded
    return np.array([int.from_bytes(hashlib.blake2b(text[i:i + K].encode(), digest_size=8).digest(), "big")
                     >> 12 for i in range(len(text) - K + 1)], dtype=np.int64)


def normalized(text: str) -> tuple[str, np.ndarray]:
    """copydetect's normalization of Python source (names as one letter, no comments, whitespace or strings
    text), docstrings dropped first like the comments they are: the skeleton gives each stub one, and a student
    who deletes it would otherwise change every K-gram of a short function."""
    return filter_code(without_docstrings(text), "submission.py", language="python")


def without_docstrings(text: str) -> str:
    """`text` with every string that is a statement of its own (a docstring) blanked out, newlines kept, so that
    every other character stays where it was (the shared regions are marked on the text as written)."""
    chars = list(text)
    for start, end in docstrings(text):
        chars[start:end] = [c if c == "\n" else " " for c in chars[start:end]]
    return "".join(chars)


def docstrings(text: str) -> list[tuple[int, int]]:
    """The (start, end) character ranges of the strings in `text` that are statements of their own; none in
    text that does not tokenize."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in (tokenize.NL, tokenize.COMMENT)]
    except (tokenize.TokenError, SyntaxError):
        return []
    found = []
    for before, token, after in zip([None] + tokens, tokens, tokens[1:] + [None]):
        opens = before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        if token.type == tokenize.STRING and opens and (after is None or after.type in (tokenize.NEWLINE,
                                                                                         tokenize.ENDMARKER)):
            found.append((starts[token.start[0] - 1] + token.start[1], starts[token.end[0] - 1] + token.end[1]))
    return found


def boilerplate_hashes(chunks: Iterable[Chunk]) -> frozenset[int]:
    """Every K-gram of the given code: a student's fingerprint among them is the skeleton's, never counted."""
    found: set[int] = set()
    for chunk in chunks:
        found.update(kgram_hashes(normalized(chunk.text)[0]).tolist())
    return frozenset(found)


@lru_cache(maxsize=8192)
def winnowed(text: str) -> tuple[str, np.ndarray, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """The normalized text of a chunk, its offsets, its winnowed (fingerprint, position) pairs and its docstrings:
    once per distinct text (the given code a class left as it was, or handed in twice)."""
    filtered, offsets = normalized(text)
    hashes, index = winnow(kgram_hashes(filtered), WINDOW, remove_duplicates=False)
    return filtered, offsets, tuple(zip(hashes.tolist(), index.tolist())), tuple(docstrings(text))


def fingerprint(code: Code, boilerplate: frozenset[int] = frozenset()) -> Fingerprints:
    """The winnowed fingerprints of every chunk of `code`, less those of the boilerplate."""
    pieces, every, size = [], set(), 0
    for chunk in code.chunks:
        filtered, offsets, selected, holes = winnowed(chunk.text)
        positions: dict[int, list[int]] = {}
        for value, position in selected:
            if value not in boilerplate:
                positions.setdefault(value, []).append(position)
        if positions:
            pieces.append(Piece(chunk, filtered, offsets, positions, holes))
            every.update(positions)
            size += int(get_token_coverage(positions, K, len(filtered)))
    return Fingerprints(code, tuple(pieces), frozenset(every), size)


def covered(fingerprints: Fingerprints, hashes: frozenset[int]) -> int:
    """Normalized characters of a submission covered by those of its fingerprints that are in `hashes`."""
    total = 0
    for piece in fingerprints.pieces:
        index = [p for value, places in piece.positions.items() if value in hashes for p in places]
        if index:
            starts, ends = get_copied_slices(np.array(index), K)
            total += int(np.sum(ends - starts))
    return total


def compare(a: Fingerprints, b: Fingerprints) -> Pair:
    """The Pair of two fingerprinted submissions."""
    shared = a.hashes & b.hashes
    a_covered = covered(a, shared) if shared else 0
    b_covered = covered(b, shared) if shared else 0
    a_share = a_covered / a.size if a.size else 0.0
    b_share = b_covered / b.size if b.size else 0.0
    smaller = a_covered if (a.size, -a_share) <= (b.size, -b_share) else b_covered
    return Pair(a.id, b.id, a_share, b_share, a.size, b.size, smaller)


def rank(codes: list[Code], boilerplate: Iterable[Chunk]) -> tuple[list[Fingerprints], list[Pair]]:
    """Every readable submission fingerprinted, and every pair of two students' submissions that share any
    code beyond the skeleton, highest score first (then by ids, so the order never changes)."""
    skeleton = boilerplate_hashes(boilerplate)
    prints = [fingerprint(code, skeleton) for code in sorted(codes, key=lambda c: c.id) if not code.error]
    pairs = []
    for i, a in enumerate(prints):
        for b in prints[i + 1:]:
            if a.code.student != b.code.student and a.hashes & b.hashes:
                pairs.append(compare(a, b))
    return prints, sorted(pairs, key=lambda p: (-p.score, -p.shared, p.a, p.b))


def flagged(pairs: list[Pair], threshold: float = DEFAULT_THRESHOLD,
            min_shared: int = DEFAULT_MIN_SHARED) -> list[Pair]:
    """The pairs to look at: a score of `threshold` or more, on at least `min_shared` normalized characters."""
    return [pair for pair in pairs if pair.score >= threshold and pair.shared >= min_shared]


def shared_regions(fingerprints: Fingerprints, hashes: frozenset[int]) -> list[list[tuple[int, int]]]:
    """Per piece, the (start, end) character ranges of its chunk's text covered by fingerprints in `hashes`:
    copydetect's slices of the normalized code, mapped back through its offsets, less the docstrings (ignored,
    so never shared)."""
    regions = []
    for piece in fingerprints.pieces:
        index = [p for value, places in piece.positions.items() if value in hashes for p in places]
        if not index:
            regions.append([])
            continue
        slices = get_copied_slices(np.array(index), K)
        if len(piece.offsets):
            at = np.clip(np.searchsorted(piece.offsets[:, 0], slices), 0, piece.offsets.shape[0] - 1)
            slices = slices + piece.offsets[:, 1][at]
        spans = [(int(start), int(end)) for start, end in zip(slices[0], slices[1])]
        regions.append(_less(spans, list(piece.docstrings)))
    return regions


def _less(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of `spans` outside every hole."""
    for hole_start, hole_end in holes:
        cut = []
        for start, end in spans:
            cut += [(a, b) for a, b in ((start, min(end, hole_start)), (max(start, hole_end), end)) if a < b]
        spans = cut
    return spans
