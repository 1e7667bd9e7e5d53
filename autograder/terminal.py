"""Text from submissions as a terminal should show it.

File names and a student's own messages (an exception's text) reach a terminal in progress lines, warnings
and `autograder check`. A control character there is an instruction to the terminal, not text: a carriage
return rewrites the line (`FAILED\\rPASSED`), escape sequences clear the screen or retitle the window, and
bidirectional overrides reorder what is read. A lone surrogate (a notebook's JSON can hold one) cannot be
written at all. Each becomes a visible escape instead, as Python writes it in a string.
"""
from __future__ import annotations

import re

# C0 and C1 controls, DEL, the bidirectional marks, embeddings, overrides and isolates, and lone surrogates.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_IN_LINES = re.compile(f"[{_UNSAFE}]")  # newlines and tabs kept
_IN_A_LINE = re.compile(f"[\n\t{_UNSAFE}]")


def terminal_text(text: str, lines: bool = False) -> str:
    """`text` with every character a terminal would obey shown as its escape (\\x1b, \\r, \\u202e); with
    `lines` (feedback of several lines), newlines and tabs are kept, else (a file name) escaped too."""
    pattern = _IN_LINES if lines else _IN_A_LINE
    return pattern.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)
