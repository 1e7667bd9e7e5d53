"""Make student skeletons from reference solutions: each solution region becomes a NotImplementedError.

A region runs from a `# BEGIN SOLUTION` line to the next `# END SOLUTION` line inside one function; it is
replaced by `raise NotImplementedError("<task id>: ...")` at the same indentation, where the task id is the
enclosing function's name. Nested or unterminated regions are errors, so no solution line can slip through.
"""
from __future__ import annotations

import re

REFERENCE_DOCSTRING = re.compile(r'^(\s*[rRuU]?"""|\s*[rRuU]?\'\'\')Reference solutions? (?:for|to) ')
BEGIN = re.compile(r"^(\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
DEF = re.compile(r"^def (\w+)\(")


class RegionError(ValueError):
    """Solution regions are malformed; the message gives the line."""


def strip_solutions(source: str, origin: str = "<reference>") -> str:
    """The skeleton of a reference module's source."""
    out: list[str] = []
    function = None
    region_start = None
    for number, line in enumerate(source.splitlines(), start=1):
        match = DEF.match(line)
        if match:
            if region_start is not None:
                raise RegionError(f"{origin}:{region_start}: solution region not closed before line {number}")
            function = match.group(1)
        begin = BEGIN.match(line)
        if begin:
            if region_start is not None:
                raise RegionError(f"{origin}:{number}: nested solution region (opened at line {region_start})")
            if function is None:
                raise RegionError(f"{origin}:{number}: solution region outside a function")
            region_start = number
            out.append(f'{begin.group(1)}raise NotImplementedError("{function}: implement this function")')
            continue
        if END.match(line):
            if region_start is None:
                raise RegionError(f"{origin}:{number}: END SOLUTION without BEGIN SOLUTION")
            region_start = None
            continue
        if region_start is None:
            out.append(line)
    if region_start is not None:
        raise RegionError(f"{origin}:{region_start}: solution region never closed")
    return "\n".join(out) + "\n"


def skeleton_module(source: str, origin: str = "<reference>") -> str:
    """The student's .py file of a reference module: its skeleton, whose docstring no longer says it is the
    reference ("Reference solutions for the `x` assignment: ..." becomes "Your solutions to the `x` ...")."""
    return REFERENCE_DOCSTRING.sub(r"\1Your solutions to ", strip_solutions(source, origin), count=1)
