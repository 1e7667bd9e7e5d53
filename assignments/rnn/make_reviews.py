"""Regenerate data/reviews.tsv: short movie reviews whose label depends on word order and negation.

Every review is built from a few templates so that a bag of words cannot solve the task: "not good" is
negative and "not bad" positive, and in "X but Y" the clause after "but" decides. Fixed seed: rerunning
gives the same file.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "data" / "reviews.tsv"
SUBJECTS = ["the movie", "the plot", "the acting", "this film", "the ending", "the music", "the cast"]
VERBS = ["was", "is", "felt", "seemed"]
POSITIVE = ["good", "great", "fun", "moving", "clever", "charming", "superb"]
NEGATIVE = ["bad", "dull", "boring", "awful", "weak", "clumsy", "tedious"]
ADVERBS = ["", "", "really", "very", "quite"]


def clause(rng: np.random.Generator, positive: bool) -> str:
    """A clause with the given sentiment, negated half of the time (negation flips the adjective's side)."""
    negated = bool(rng.integers(0, 2))
    adjective_positive = positive != negated
    adjective = rng.choice(POSITIVE if adjective_positive else NEGATIVE)
    words = [rng.choice(SUBJECTS), rng.choice(VERBS)]
    if negated:
        words.append("not")
    adverb = rng.choice(ADVERBS)
    if adverb:
        words.append(adverb)
    words.append(adjective)
    return " ".join(words)


def review(rng: np.random.Generator) -> tuple[str, int]:
    label = int(rng.integers(0, 2))
    if rng.random() < 0.5:
        return clause(rng, bool(label)), label
    first = clause(rng, not label)  # "X but Y": Y decides, X says the opposite
    return f"{first} but {clause(rng, bool(label))}", label


def main() -> None:
    rng = np.random.default_rng(2026)
    rows, seen = [], set()
    while len(rows) < 1000:
        text, label = review(rng)
        if text not in seen:
            seen.add(text)
            rows.append((text, label))
    lines = ["split\tlabel\ttext"] + [f"{'train' if i < 800 else 'test'}\t{label}\t{text}"
                                       for i, (text, label) in enumerate(rows)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
