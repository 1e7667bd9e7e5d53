"""The files a similarity run leaves in DIR: similarity.csv (every pair that shares code) and similarity.json
(the flagged pairs, which the class summary shows, and the code it compared, so that `autograder similar DIR`
can rank again, at another threshold, once the submissions or the zips they came in are gone)."""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from autograder.similarity.compare import Pair
from autograder.similarity.extract import Chunk, Code
from autograder.spreadsheet import spreadsheet_cell

CSV_COLUMNS = ["a", "b", "percent", "a_percent", "b_percent", "a_characters", "b_characters", "shared_characters",
               "flagged"]
FORMAT = 1  # of similarity.json


def percent(share: float) -> float:
    return round(100 * share, 1)


def write_csv(path: Path, pairs: list[Pair], flagged: list[Pair]) -> Path:
    """One row per pair that shares any code beyond the skeleton, highest score first: the score, each one's
    share found in the other, how much code beyond the skeleton each has and how much the smaller shares
    (normalized characters), and `yes` when the pair is flagged."""
    marked = {(p.a, p.b) for p in flagged}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in pairs:
        writer.writerow([spreadsheet_cell(p.a), spreadsheet_cell(p.b), percent(p.score), percent(p.a_share), percent(p.b_share), p.a_size, p.b_size,
                         p.shared, "yes" if (p.a, p.b) in marked else ""])
    write_whole(path, buffer.getvalue())
    return path


def write_json(path: Path, *, assignment: str, threshold: float, min_shared: int, codes: list[Code],
               compared: int, flagged: list[Pair]) -> Path:
    """similarity.json: the settings, the flagged pairs, and every submission's code as it was read."""
    data = {"format": FORMAT, "assignment": assignment, "threshold": threshold, "min_shared": min_shared,
            "submissions": len([c for c in codes if not c.error]), "pairs_compared": compared,
            "flagged": [{"a": p.a, "b": p.b, "score": round(p.score, 6), "a_share": round(p.a_share, 6),
                         "b_share": round(p.b_share, 6), "shared_characters": p.shared} for p in flagged],
            "unreadable": [[c.id, c.error] for c in codes if c.error],
            "code": {c.id: {"student": c.student, "error": c.error,
                            "chunks": [[k.cell, k.line, k.text, k.script] for k in c.chunks]}
                     for c in sorted(codes, key=lambda c: c.id)}}
    write_whole(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


def read_codes(path: Path) -> tuple[str, list[Code]]:
    """The assignment and the code recorded in a similarity.json; ValueError if it is not one."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        codes = [Code(sid, str(entry["student"]), tuple(Chunk(int(cell), int(line), str(text), bool(script))
                                                       for cell, line, text, script in entry["chunks"]),
                      str(entry.get("error", "")))
                 for sid, entry in sorted(data["code"].items())]
        return str(data["assignment"]), codes
    except (OSError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"{path} is not a similarity record: {type(error).__name__}: {error}") from None


def write_whole(path: Path, text: str) -> None:
    """Replace the file in one rename, so a reader (a browser too) never sees half of it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8", errors="backslashreplace")  # lone surrogates in code
    os.replace(temporary, path)
