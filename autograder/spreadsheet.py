"""Text cells of the CSV files a TA opens in a spreadsheet (gradebook.csv, canvas.csv, similarity.csv).

A submission's id is its file name, which a student may choose: `=HYPERLINK(...)` or `@SUM(...)` in a cell is
a formula to Excel, LibreOffice and Google Sheets, which run it when the file is opened (CSV injection). A text
cell that starts like a formula gets a leading apostrophe, which those programs take as "this is text" and do
not show; numbers are written as they are.
"""
from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_cell(value: Any) -> Any:
    """`value` as a CSV cell a spreadsheet shows as text: a string that a spreadsheet would read as a formula
    gets a leading apostrophe; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
