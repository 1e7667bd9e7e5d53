"""Measure the diagnosis on the labelled corpus of student mistakes in tests/mutants/.

    python bench/diagnosis_corpus.py            # the three figures
    python bench/diagnosis_corpus.py --verbose  # and one line per variant

Each file there is a complete submission's worth of one function (appended to the reference solution), with
`task:` and `misconception:` labels; `task: none` marks a correct variant written in another style. Prints:
  detection       buggy variants that lose points on their labelled task
  false fails     correct variants that lose any point
  diagnosis       buggy variants whose labelled task is diagnosed with exactly the labelled misconception
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course.config import load_config  # noqa: E402
from autograder.diagnosis.corpus import figures, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    verdicts = measure(load_config(ROOT / "grader.toml"), ROOT / "tests" / "mutants", ROOT / "reference")
    if args.verbose:
        for v in verdicts:
            status = "ok " if (v.diagnosed and v.detected) or (v.correct_variant and not v.lost) else "BAD"
            print(f"{status} {v.path.parent.name}/{v.path.stem:50} named={sorted(v.named)} lost={sorted(v.lost)}")
    for name, (count, total) in figures(verdicts).items():
        print(f"{name:12} {count}/{total} = {count / total:.0%}")


if __name__ == "__main__":
    main()
