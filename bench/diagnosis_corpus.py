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
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.config import GraderConfig, load_config  # noqa: E402
from autograder.grading import grade_submission  # noqa: E402
from autograder.results import SubmissionResult  # noqa: E402

CORPUS = ROOT / "tests" / "mutants"


@dataclass(frozen=True)
class Verdict:
    """How one corpus variant was graded."""

    path: Path
    task: str
    label: str
    lost: frozenset[str]  # tasks that lost points
    named: frozenset[str]  # confident diagnoses on the labelled task

    @property
    def correct_variant(self) -> bool:
        return self.task == "none"

    @property
    def detected(self) -> bool:
        return self.task in self.lost

    @property
    def diagnosed(self) -> bool:
        return self.named == {self.label}


def labels(path: Path) -> tuple[str, str]:
    text = path.read_text()
    return tuple(re.search(rf"^{key}: (\S+)", text, re.M).group(1) for key in ("task", "misconception"))


def grade_variant(path: Path, config: GraderConfig, folder: Path) -> Verdict:
    assignment = path.parent.name
    task, label = labels(path)
    reference = (ROOT / "reference" / f"{assignment}.py").read_text()
    submission = folder / f"{assignment}__{path.stem}.py"
    submission.write_text(reference + "\n\n" + path.read_text())
    result = grade_submission(submission, assignment, config)
    return Verdict(path, task, label, frozenset(lost_tasks(result)),
                   frozenset(c.diagnosis.id for c in result.checks
                             if c.task == task and c.diagnosis is not None and c.diagnosis.confident))


def lost_tasks(result: SubmissionResult) -> set[str]:
    return {c.task for c in result.checks if c.score < c.max_score - 1e-9}


def measure(config: GraderConfig, corpus: Path = CORPUS) -> list[Verdict]:
    with tempfile.TemporaryDirectory() as tmp:
        return [grade_variant(path, config, Path(tmp)) for path in sorted(corpus.glob("*/*.py"))]


def figures(verdicts: list[Verdict]) -> dict[str, tuple[int, int]]:
    buggy = [v for v in verdicts if not v.correct_variant]
    correct = [v for v in verdicts if v.correct_variant]
    return {"detection": (sum(v.detected for v in buggy), len(buggy)),
            "false fails": (sum(bool(v.lost) for v in correct), len(correct)),
            "diagnosis": (sum(v.diagnosed for v in buggy), len(buggy))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    verdicts = measure(load_config(ROOT / "grader.toml"))
    if args.verbose:
        for v in verdicts:
            status = "ok " if (v.diagnosed and v.detected) or (v.correct_variant and not v.lost) else "BAD"
            print(f"{status} {v.path.parent.name}/{v.path.stem:50} named={sorted(v.named)} lost={sorted(v.lost)}")
    for name, (count, total) in figures(verdicts).items():
        print(f"{name:12} {count}/{total} = {count / total:.0%}")


if __name__ == "__main__":
    main()
