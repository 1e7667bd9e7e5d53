"""Pictures in the reports: the class score histogram (matplotlib, as inline SVG) and per-entry error heatmaps.

The histogram is drawn once per class, so matplotlib's cost does not matter; the heatmaps are drawn once per
wrong array of every student, so they are plain data for a template of SVG rects instead of a figure each.
Both are deterministic: the same numbers give the same bytes.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

# Warm sequential scale from "no error" (white) to "largest error in this array" (dark red).
STOPS = ((0.0, (255, 255, 255)), (0.25, (254, 224, 144)), (0.5, (253, 174, 97)), (0.75, (244, 109, 67)),
         (1.0, (165, 0, 38)))
NOT_A_NUMBER = "#3b3b3b"
HISTOGRAM_BINS = 10  # of 10 percentage points each


@dataclass(frozen=True)
class Cell:
    x: int
    y: int
    fill: str
    label: str | None  # the tooltip; None when the numbers must not be shown


@dataclass(frozen=True)
class Heatmap:
    """|received - expected| of one array as coloured squares; `largest` None when no entry is a number or when
    the numbers are withheld (a hidden case seen by a student: the pattern only)."""

    rows: int
    columns: int
    size: int  # side of one square, in px
    cells: tuple[Cell, ...]
    largest: float | None
    has_non_numbers: bool

    @property
    def width(self) -> int:
        return self.columns * self.size

    @property
    def height(self) -> int:
        return self.rows * self.size

    @property
    def legend(self) -> tuple[str, ...]:
        return tuple(colour(t) for t, _ in STOPS)


def heatmap(grid: tuple[tuple[float | None, ...], ...], *, numbers: bool = True) -> Heatmap:
    """Colour each entry by its share of the largest error, so the pattern shows where the array is wrong;
    without `numbers`, no error size is written anywhere, in tooltips or legend."""
    rows, columns = len(grid), len(grid[0])
    size = max(12, min(28, 240 // max(rows, columns)))
    values = [abs(v) for row in grid for v in row if v is not None]
    largest = max(values) if values else None
    cells = []
    for y, row in enumerate(grid):
        for x, value in enumerate(row):
            if value is None:
                fill, text = NOT_A_NUMBER, "not a number (nan or inf)"
            else:
                fill = colour(abs(value) / largest if largest else 0.0)
                text = f"{abs(value):.3g}"
            cells.append(Cell(x * size, y * size, fill, f"row {y}, column {x}: {text}" if numbers else None))
    return Heatmap(rows, columns, size, tuple(cells), largest if numbers else None, len(values) < rows * columns)


def colour(share: float) -> str:
    """The scale's colour at `share` in [0, 1], linearly between stops, as #rrggbb."""
    share = min(max(share, 0.0), 1.0)
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:]):
        if share <= t1:
            w = (share - t0) / (t1 - t0)
            return "#" + "".join(f"{round(a + (b - a) * w):02x}" for a, b in zip(c0, c1))
    return "#" + "".join(f"{c:02x}" for c in STOPS[-1][1])


def histogram_svg(percents: list[float] | tuple[float, ...]) -> str:
    """Scores in percent of the maximum, in bins of 10 points, as an <svg> element to inline in HTML."""
    import matplotlib
    import numpy as np
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    counts, edges = np.histogram(np.clip(percents, 0, 100), bins=HISTOGRAM_BINS, range=(0, 100))
    # Fixed salt, fonts and no date: matplotlib's SVG then depends only on the numbers (and its own version).
    settings = {"svg.hashsalt": "autograder-report", "svg.fonttype": "none", "font.family": "DejaVu Sans",
                "font.size": 10, "axes.spines.top": False, "axes.spines.right": False}
    with matplotlib.rc_context(settings):
        figure = Figure(figsize=(6.4, 2.8))
        FigureCanvasSVG(figure)
        axes = figure.subplots()
        bars = axes.bar(edges[:-1], counts, width=10, align="edge", color="#4c72b0", edgecolor="white")
        for index, bar in enumerate(bars):
            bar.set_gid(f"bin-{index}")
        axes.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2, fontsize=9)
        axes.set_xlim(0, 100)
        axes.set_xticks(edges)
        axes.set_ylim(0, max(1, int(counts.max())) * 1.15)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("score, % of the maximum")
        axes.set_ylabel("submissions")
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _inline(buffer.getvalue())


def _inline(svg: str) -> str:
    """Drop the XML prologue and the fixed size, so the SVG sits in HTML and scales with the page."""
    svg = svg[svg.index("<svg"):]
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    return (head + ' class="plot" role="img" aria-label="histogram of scores">' + rest).strip() + "\n"
