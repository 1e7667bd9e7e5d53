"""What every check shares: the task context, the per-item tally, and how a student's answer is judged.

Each task's checks are scored by items (one per output, gradient or input): an item passes when it passes in
every case, and a check earns its points times the fraction of items that passed. So a wrong db costs a third
of linear_backward's value points, not all of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Mapping, Sequence

import numpy as np

from autograder.checks.numeric import rel_error
from autograder.course.cases import Case, draw_cases, hidden_seed
from autograder.course.config import GraderConfig
from autograder.course.tasks import Assignment
from autograder.diagnosis.diagnose import Diagnosis, Evidence, Misconception, diagnose, error_map, same
from autograder.diagnosis.misconceptions import catalogue_for
from autograder.results import CheckResult, Outcome
from autograder.sandbox import wire
from autograder.sandbox.numpy_removals import with_removal
from autograder.sandbox.runner import BudgetSpent, StudentCrash, StudentError, StudentRunner, StudentTimeout

Failure = (StudentError, StudentTimeout, StudentCrash)
MAX_MESSAGES = 3
INPUT_CHECKS = frozenset({"inputs_unchanged"})
EVIDENCE_CHECKS = frozenset({"structure", "values", "loss", "gradient"})  # compared with the reference
MAX_EVIDENCE = 3
# Of a hidden case, an exception's message is shown scrubbed of numbers and capped: student code can put the
# hidden inputs in it (`raise ValueError(repr(scores))`), in that call or in any later one.
MAX_HIDDEN_MESSAGE = 200
NUMBER_LIKE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
SCRUBBED = "…"
SCRUBBED_RUN = re.compile(rf"{SCRUBBED}(?:[\s,;:_\[\](){{}}'\"]*{SCRUBBED})+")  # an array's repr becomes one …
PLACE = re.compile(r"<(?:cell \d{1,5}|file)>, line \d{1,6}")  # how the worker names a place in the submission


class NotAttempted(Exception):
    """The task's function raises NotImplementedError (or does not exist)."""


@dataclass
class TaskContext:
    """What one task's checks need: the student (through the runner), the reference and the settings."""

    assignment: Assignment
    runner: StudentRunner
    reference: ModuleType
    config: GraderConfig
    points: dict[str, float]
    defined: set[str]
    public: bool = False  # the student's local checks: fewer cases, and hidden-only checks are left out
    gradchecks: list = field(default_factory=list)  # queued numeric gradient checks (checks.layer)
    failing: frozenset[str] = frozenset()  # tasks graded before this one that lost points
    lost: dict[str, str] = field(default_factory=dict)  # function -> the syntax error its definition is lost to

    @property
    def tol(self) -> Any:
        return self.config.tolerances

    @property
    def seed(self) -> int:
        """The seed of this task's cases: of the hidden cases, drawn from [grading] seed and secret together;
        of the public ones (`public`, whose settings carry the public seed), from the seed alone."""
        grading = self.config.grading
        return grading.seed if self.public else hidden_seed(grading.seed, grading.secret)

    @property
    def training_seed(self) -> int:
        """The seed of the trained tasks, the same locally and at grading: training has no hidden cases (its
        data ships with the package), and a model that trains in the student's kernel must train at grading."""
        return self.config.grading.seed if self.public else self.config.grading.public_seed

    def cases(self, task: str) -> list[Case]:
        return draw_cases(self.seed, task, self.assignment.letters, self.config.grading.random_cases,
                          self.assignment.sizes)


class Tally:
    """Pass/fail per (check, item) over all cases, with the first messages of each failure, and the evidence
    (inputs, reference and student answers per case) that the diagnosis of a failure is drawn from."""

    def __init__(self, items: dict[str, list[str]], hidden: bool = True,
                 catalogue: Mapping[str, Sequence[Misconception]] | None = None) -> None:
        self.items = items
        self.catalogue = catalogue or {}  # the assignment's misconceptions, by task
        self.failed: dict[str, dict[str, str]] = {check: {} for check in items}
        self.notes: dict[str, list[str]] = {check: [] for check in items}
        self.evidence: list[Evidence] = []
        self.hidden = hidden  # the cases are hidden from students (grading), not public (local checks)
        self.known: Diagnosis | None = None  # what to say about wrong answers when no misconception fits
        self.withheld: dict[str, dict[str, None]] = {}  # a failure as a student reads it -> its full texts

    def describe(self, failure: Exception) -> str:
        """`describe(failure)` for the student's feedback: of a hidden case, an exception's message scrubbed of
        numbers and capped (the full text is kept for the instructors' record, see CheckResult.withheld)."""
        full = describe(failure)
        if not self.hidden:
            return full
        if isinstance(failure, StudentError):
            shown = with_removal(f"raised {hidden_summary(failure)}", failure.type, failure.message)
        elif isinstance(failure, StudentTimeout) and str(failure).startswith("it calls "):
            shown = f"timed out: {scrubbed(str(failure))}"  # the text of a `GivenUp` the worker raised
        else:
            return full  # the grader's own words
        if shown != full:
            self.withheld.setdefault(shown, {})[full] = None
        return shown

    def scrub(self, text: str) -> str:
        """Text that may hold values of student code (a grader error quoting them), as a student may read it."""
        shown = scrubbed(text) if self.hidden else text
        if shown != text:
            self.withheld.setdefault(shown, {})[text] = None
        return shown

    def observe(self, evidence: Evidence) -> None:
        self.evidence.append(evidence)

    def record(self, check: str, item: str, problem: str | None) -> None:
        if problem is not None and item not in self.failed[check]:
            self.failed[check][item] = problem

    def fail_all(self, problem: str, checks: tuple[str, ...] | None = None) -> None:
        for check in checks or tuple(self.items):
            for item in self.items[check]:
                self.record(check, item, problem)

    def note(self, check: str, text: str) -> None:
        if text not in self.notes[check]:
            self.notes[check].append(text)

    def verified_nothing(self) -> bool:
        """Whether no case gave an answer the checks could examine (None, a wrong structure, a failure in every
        case): then no check has verified anything, and none earns points, not even for inputs left unchanged."""
        ordinary = [case for case in self.evidence if not case.stability]
        return bool(ordinary) and not any(case.error is None and any(_is_numeric(v) for v in case.received.values())
                                          for case in ordinary)

    def results(self, task: str, points: dict[str, float], passed_text: dict[str, str]) -> list[CheckResult]:
        diagnoses = self._diagnoses(task)
        if self.verified_nothing():
            for check in self.items:
                self.fail_all(f"not verified: {task} returned no answer that could be checked in any case",
                              (check,))
        out = []
        for check, items in self.items.items():
            failed = self.failed[check]
            fraction = (len(items) - len(failed)) / len(items) if items else 1.0
            max_score = float(points[check])
            score = round(max_score * fraction, 6)
            if not failed:
                outcome, text = Outcome.PASSED, passed_text[check]
            else:
                outcome = Outcome.FAILED if fraction == 0 else Outcome.PARTIAL
                messages = list(dict.fromkeys(failed[item] for item in items if item in failed))[:MAX_MESSAGES]
                text = "Checked: " + passed_text[check] + "\n" + "\n".join(f"- {m}" for m in messages)
            diagnosis = diagnoses[check in INPUT_CHECKS] if failed else None
            withheld = tuple(dict.fromkeys(full for shown, fulls in self.withheld.items()
                                           if any(shown in m for m in failed.values()) for full in fulls))
            if diagnosis is not None:
                text += "\n" + diagnosis.text()
            if self.notes[check]:
                text += "\n" + "\n".join(f"Note: {n}" for n in self.notes[check])
            evidence = self._evidence_of(failed) if check in EVIDENCE_CHECKS else ()
            out.append(CheckResult(task, check, score, max_score, outcome, text, diagnosis, evidence, withheld,
                                   tuple(items), tuple(item for item in items if item in failed)))
        return out

    def _diagnoses(self, task: str) -> tuple[Diagnosis | None, Diagnosis | None]:
        """(for wrong answers, for inputs changed in place), each None when nothing of that kind failed."""
        catalogue = catalogue_for(self.catalogue, task)
        answers = {item for check, failed in self.failed.items() if check not in INPUT_CHECKS for item in failed}
        values = None
        if answers:
            known = {item for case in self.evidence for item in case.expected}
            # A question's items are its cases and its evidence names the outputs: the wrong outputs are those
            # the evidence shows wrong (all of them if a call failed), never one that is right in every case.
            values = diagnose(catalogue, self.evidence, (answers & known) or self._wrong_outputs() or known) \
                or self.known
        inputs = any(self.failed[check] for check in self.failed if check in INPUT_CHECKS)
        return values, (diagnose(catalogue, self.evidence, set(), about="inputs") if inputs else None)

    def _wrong_outputs(self) -> set[str]:
        if any(case.error is not None for case in self.evidence):
            return set()
        return {item for case in self.evidence for item, want in case.expected.items()
                if item not in case.received or not same(case.received[item], want)}

    def _evidence_of(self, failed: dict[str, str]) -> tuple[dict[str, Any], ...]:
        """For each wrong item, its first wrong case: where, the message, shapes and a map of the error."""
        found = []
        for item in failed:
            case = next((c for c in self.evidence if c.error is None and item in c.received and item in c.expected
                         and not same(c.received[item], c.expected[item], 1e-6)), None)
            if case is None:
                continue
            received, expected = case.received[item], case.expected[item]
            found.append({"item": item, "where": case.where, "message": failed[item],
                          "received_shape": list(np.shape(received)) if _is_numeric(received) else None,
                          "expected_shape": list(np.shape(expected)),
                          "abs_error": error_map(received, expected) if _is_numeric(received) else None,
                          "hidden": self.hidden})
            if len(found) == MAX_EVIDENCE:
                break
        return tuple(found)


def call_each(ctx: TaskContext, fn: str, arg_lists: list[list[Any]], keep: tuple[int, ...] = (),
              echo: bool = False) -> list[tuple[Any, list] | Exception]:
    """Call the student's `fn` with each argument list, in one round trip; each outcome is (result, echoed) or
    the failure. One NotImplementedError makes the whole task 'not attempted'."""
    outcomes = ctx.runner.call_many(fn, arg_lists, keep=keep, echo=echo)
    for outcome in outcomes:
        if isinstance(outcome, StudentError) and outcome.not_implemented:
            raise NotAttempted(f"{fn} raises NotImplementedError({outcome.message!r})")
    if outcomes and all(not isinstance(o, Exception) and returns_nothing(o[0]) for o in outcomes):
        raise NotAttempted(f"{fn} returns None: not implemented yet?")
    return outcomes


def returns_nothing(result: Any) -> bool:
    """None, or a tuple whose answers are all None (a cache kept in the worker aside): a stub whose body is
    `pass`, or CS231n's `out = None ... return out, cache` left as it was."""
    if result is None:
        return True
    if isinstance(result, (tuple, list)) and result:
        answers = [part for part in result if not isinstance(part, wire.Handle)]
        return bool(answers) and all(part is None for part in answers)
    return False


def probe_not_attempted(ctx: TaskContext, fn: str, upstream: np.ndarray) -> None:
    """A backward that can't get a cache is still 'not attempted' if it raises NotImplementedError right away
    or returns nothing; any other outcome of this probe is ignored."""
    call_each(ctx, fn, [[upstream, None]])


def drop_handles(ctx: TaskContext, result: Any) -> None:
    if isinstance(result, (tuple, list)):
        ctx.runner.drop([part for part in result if isinstance(part, wire.Handle)])


def describe(failure: Exception) -> str:
    """What went wrong in a call, for a student; an error caused by a name NumPy removed says so."""
    if isinstance(failure, StudentError):
        return with_removal(f"raised {failure.summary()}", failure.type, failure.message)
    if isinstance(failure, StudentTimeout):
        return f"timed out: {failure}"
    if isinstance(failure, BudgetSpent):
        return f"was not run: {failure}"
    return f"crashed: {failure}"


def hidden_summary(error: StudentError) -> str:
    """`error.summary()` safe to show of a hidden case: the type and place, and the message only with every
    number-like run (a digit, a float, an array's repr) replaced by …, on one line, capped. The type and place
    are student-chosen too (a class name, a `compile` filename): a type is scrubbed alike, a place kept only
    in the worker's own form, '<cell 4>, line 12'."""
    kind = scrubbed(error.type, 60) or "an exception"
    place = f" ({error.where})" if PLACE.fullmatch(error.where) else ""
    message = scrubbed(error.message)
    return f"{kind}: {message}{place}" if message else f"{kind}{place}"


def scrubbed(text: str, cap: int = MAX_HIDDEN_MESSAGE) -> str:
    """`text` with every number-like run replaced by …, on one line of printable characters, at most `cap` long."""
    text = SCRUBBED_RUN.sub(SCRUBBED, NUMBER_LIKE.sub(SCRUBBED, text))
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= cap else text[:cap - 1] + SCRUBBED


def tuple_text(names: list[str], single: bool) -> str:
    return names[0] if single else "(" + ", ".join(names) + ")"


def unpack(result: Any, count: int, spec: str) -> list | str:
    """The parts of a returned tuple, or what is wrong with its structure."""
    if count == 1:
        return [result]
    if not isinstance(result, (tuple, list)):
        return f"returned {kind(result)}, expected a tuple {spec}"
    if len(result) != count:
        return f"returned a tuple of {len(result)} items, expected {count}: {spec}"
    return list(result)


def kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (wire.Handle, wire.Opaque)):
        return f"a {value.type_name}"
    return f"a {type(value).__name__}"


def array_problem(value: Any, shape: tuple[int, ...]) -> str | None:
    if not isinstance(value, np.ndarray):
        return f"is {kind(value)}, expected a float64 array of shape {shape}"
    if value.dtype != np.float64:
        return f"has dtype {value.dtype}, expected float64"
    if value.shape != shape:
        return f"has shape {value.shape}, expected {shape}"
    return None


def scalar_problem(value: Any) -> str | None:
    """A float64 number: a Python float, a numpy float64 or a 0-d float64 array."""
    if isinstance(value, float) or (isinstance(value, np.ndarray) and value.shape == () and
                                    value.dtype == np.float64):
        return None
    return f"loss is {kind(value)}, expected a float64 number"


def compare(received: Any, expected: np.ndarray, tol: float, floor: float, name: str, against: str
             ) -> str | None:
    """None when close; otherwise what differs. Values are compared even when only the shape is wrong."""
    expected = np.asarray(expected, dtype=np.float64)
    if isinstance(received, (float, int, np.number)) and not isinstance(received, bool):
        received = np.asarray(received)
    if not isinstance(received, np.ndarray) or received.dtype.kind not in "biuf":
        return f"{name} is {kind(received)}, so its values cannot be compared"
    if received.size != expected.size:
        return f"{name} has {received.size} entries, expected {expected.size} (shape {expected.shape})"
    error = rel_error(received.reshape(expected.shape), expected, floor)
    if error <= tol:
        return None
    if not np.all(np.isfinite(received)):
        return f"{name} contains nan or inf"
    return f"{name} differs from {against}: relative error {error:.2g}"


def close(received: Any, expected: Any, tol: float, floor: float) -> bool:
    return compare(received, expected, tol, floor, "", "") is None


def judge_array(ctx: TaskContext, tally: Tally, where: str, name: str, received: Any, expected: np.ndarray,
                 structure: bool = True, check: str = "values") -> None:
    if structure:
        problem = array_problem(received, np.shape(expected))
        tally.record("structure", name, problem and f"{where}: {name} {problem}")
    problem = compare(received, expected, ctx.tol.values, ctx.tol.floor, name, "the reference")
    tally.record(check, name, problem and f"{where}: {problem}")


def fresh(args: list[Any]) -> list[Any]:
    """Copies of the arrays and dicts among `args` (numbers as they are), for a reference call that must not
    touch what the student's call is compared with."""
    return [a.copy() if isinstance(a, (np.ndarray, dict)) else a for a in args]


def judge_unchanged(tally: Tally, where: str, names: list[str], sent: list[Any], echoed: list[Any]) -> list[str]:
    """Record whether each input came back as it was sent; the names of those that changed."""
    modified = []
    for name, before, after in zip(names, sent, echoed):
        if isinstance(before, np.ndarray):
            unchanged = isinstance(after, np.ndarray) and after.shape == before.shape and \
                np.array_equal(after, before, equal_nan=True)
        else:  # a dict of parameters (conv_param) or a number
            unchanged = type(after) is type(before) and after == before
        if not unchanged:
            modified.append(name)
        tally.record("inputs_unchanged", name, None if unchanged else
                     f"{where}: {name} was modified in place; work on a copy (or out-of-place operations)")
    return modified


def _is_numeric(value: Any) -> bool:
    return isinstance(value, (np.ndarray, float, int, np.number)) and not isinstance(value, (bool, np.bool_))
