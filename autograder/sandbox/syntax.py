"""Source that does not parse: the top-level definitions that still do, and each syntax error in plain words.

One bad line should cost only the definition it is in. Real submissions that do not parse are mostly Python 2
files whose only Python 2 line sits in a debugging helper, so the source is cut into top-level chunks (at
lines that start in column 0) and every chunk that parses is kept. A chunk that does not parse is joined with
the ones after it while that might help (a bracket or a string that reaches column 0); if it never parses, it
is reported with its line and skipped.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

PARSE_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError)  # what ast.parse raises on bad input
PARSE_BUDGET = 10_000_000  # characters parsed while recovering one source: bounds the work on a hostile file
MAX_PARSES = 20_000  # and parses (a real submission has a few hundred top-level statements)
_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b")  # column-0 lines that belong to the statement above
# messages of constructs still open where the text ends: joining the next chunk may close them
_OPEN = ("never closed", "unterminated", "unexpected EOF", "expected an indented block")
_DEFINES = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)|^(\w+)\s*(?::[^=\n]*)?=(?!=)")


@dataclass(frozen=True)
class Unparsed:
    """Top-level lines that do not parse, even joined with the lines after them (line numbers 1-based)."""

    first: int
    last: int
    line: int  # where Python puts the error
    reason: str  # the error in plain words
    names: tuple[str, ...]  # what those lines would have defined (def, class, assignment in column 0)


def parse_parts(source: str) -> tuple[list[ast.stmt], list[Unparsed]]:
    """The top-level statements of `source` that parse, in order, with the line numbers of `source`, and the
    stretches that do not."""
    try:
        return ast.parse(source).body, []
    except PARSE_ERRORS:
        pass
    lines = source.splitlines(keepends=True)
    starts = _chunk_starts(lines)
    bounds = list(zip(starts, starts[1:] + [len(lines)]))  # [first, end) line indices of each chunk
    body: list[ast.stmt] = []
    unparsed: list[Unparsed] = []
    budget = [PARSE_BUDGET, MAX_PARSES]

    def parse(lo: int, hi: int) -> list[ast.stmt] | BaseException:
        """Chunks [lo, hi) parsed together, with their line numbers in `source`, or the error."""
        text = "".join(lines[bounds[lo][0]:bounds[hi - 1][1]])
        budget[0] -= len(text)
        budget[1] -= 1
        try:
            tree = ast.parse(text)
        except PARSE_ERRORS as error:
            if isinstance(error, SyntaxError) and error.lineno is not None:
                error.lineno += bounds[lo][0]
            return error
        return ast.increment_lineno(tree, bounds[lo][0]).body

    # Chunks are taken in windows that double while they parse and shrink to one chunk at an error, so the
    # work stays about linear in the length of the source. A chunk that does not parse alone is joined with the
    # following ones while that may close what it opened (unless even the rest of the source leaves it open).
    position, window = 0, 1
    while position < len(bounds):
        if min(budget) <= 0:  # a pathological file: the rest is one stretch rather than a long wait
            unparsed.append(Unparsed(bounds[position][0] + 1, len(lines), bounds[position][0] + 1,
                                     "too many syntax errors to look further", ()))
            break
        if window > 1:
            end = min(position + window, len(bounds))
            parsed = parse(position, end)
            if not isinstance(parsed, BaseException):
                body.extend(parsed)
                position, window = end, window * 2
                continue
        alone = parsed = parse(position, position + 1)
        end = position + 1
        if _is_open(alone) and end < len(bounds) and _still_open(alone, parse(position, len(bounds))):
            end = len(bounds)  # nothing after it closes what it opened: do not join chunk after chunk
        while isinstance(parsed, BaseException) and end < len(bounds) and min(budget) > 0 \
                and _may_close_later(parsed, bounds[end - 1][0]):
            end += 1
            parsed = parse(position, end)
        if not isinstance(parsed, BaseException):
            body.extend(parsed)
            position, window = end, 2
            continue
        first, stop = bounds[position]
        unparsed.append(Unparsed(first + 1, _last_code_line(lines, first, stop), _error_line(alone, first),
                                 explain(alone), _defined_names(lines[first:stop])))
        position, window = position + 1, 1
    return body, unparsed


def explain(error: BaseException) -> str:
    """A syntax error in plain words, with the Python 3 spelling when it is Python 2 syntax."""
    if not isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error}"
    message, text = error.msg or "invalid syntax", (error.text or "").strip()
    message = re.sub(r" \(detected at line \d+\)", "", message)  # its number counts from the chunk, not the file
    if "Missing parentheses in call to 'print'" in message:
        return "a Python 2 print statement; use print(...)"
    if "Missing parentheses in call to 'exec'" in message:
        return "a Python 2 exec statement; use exec(...)"
    if isinstance(error, TabError):
        return "tabs and spaces mixed in the indentation; indent with spaces only"
    if "must be parenthesized" in message and re.match(r"except\s+[\w.]+\s*,\s*\w+\s*:", text):
        return "Python 2's `except E, e:`; use `except E as e:`"
    octal = re.search(r"\b0(\d+)\b", text)
    if "leading zeros" in message and octal:
        return f"a Python 2 octal literal {octal.group(0)}; write 0o{octal.group(1)}"
    if "parameters cannot be parenthesized" in message:
        return "Python 2 tuple parameters; take one parameter and unpack it in the body"
    if message in ("invalid syntax", "invalid decimal literal"):
        for pattern, advice in ((r"`", "Python 2 backticks; use repr(...)"),
                                (r"<>", "Python 2's `<>`; use `!=`"),
                                (r"^raise\s+[\w.]+\s*,", "Python 2's `raise E, message`; use `raise E(message)`"),
                                (r"\b\d+[lL]\b", "a Python 2 long literal (like 10L); drop the L"),
                                (r"\b[uU][rR]['\"]", "Python 2's ur'...' prefix; use r'...'")):
            if re.search(pattern, text):
                return advice
    return message


def _chunk_starts(lines: list[str]) -> list[int]:
    """Indices of the lines that start a top-level chunk: code in column 0, except `else:`-like lines and the
    lines after a decorator (they belong to the statement above). Comments and blank lines start nothing."""
    starts = [0]
    previous = ""  # the last column-0 code line seen
    for index, line in enumerate(lines):
        if not line[:1].strip() or line.startswith("#"):
            continue
        if index and not previous.startswith("@") and not _CONTINUES.match(line):
            starts.append(index)
        previous = line
    return starts


def _is_open(error: Any) -> bool:
    """Whether the error is a construct still open where the text ends (a bracket, a string, a block)."""
    return isinstance(error, SyntaxError) and any(phrase in (error.msg or "") for phrase in _OPEN)


def _still_open(error: SyntaxError, rest: list[ast.stmt] | BaseException) -> bool:
    """Whether the whole rest of the source leaves the same construct open (same line, same message)."""
    def plain(message: str | None) -> str:
        return re.sub(r" \(detected at line \d+\)", "", message or "")
    return _is_open(rest) and rest.lineno == error.lineno and plain(rest.msg) == plain(error.msg)


def _may_close_later(error: BaseException, chunk_start: int) -> bool:
    """Whether joining the next chunk could make the text parse: the error is in the chunk joined last (it may
    need what follows), or it is a construct still open (a bracket, a string)."""
    if not isinstance(error, SyntaxError) or error.lineno is None:
        return False
    return error.lineno > chunk_start or _is_open(error)


def _error_line(error: BaseException | None, first: int) -> int:
    lineno = getattr(error, "lineno", None)
    return lineno if isinstance(lineno, int) and lineno > first else first + 1


def _last_code_line(lines: list[str], first: int, end: int) -> int:
    """The last line of [first, end) that is not blank or a comment (1-based), so a note names no trailing gap."""
    for index in range(end - 1, first, -1):
        if lines[index].strip() and not lines[index].lstrip().startswith("#"):
            return index + 1
    return first + 1


def _defined_names(lines: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for line in lines:
        match = _DEFINES.match(line)
        name = match and (match.group(1) or match.group(2))
        if name and name not in found:
            found.append(name)
    return tuple(found)
