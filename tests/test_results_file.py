"""results.json is laid out for people (one key, and one test, per line) and read by machines as plain JSON."""
from __future__ import annotations

import json

from autograder.batch.files import gradescope_json, readable_json
from autograder.results import CheckResult, Outcome, SubmissionResult


def _result() -> SubmissionResult:
    result = SubmissionResult(id="ada", assignment="backprop", versions={"python": "3"})
    result.checks = [CheckResult("linear_forward", "values", 2.0, 2.0, Outcome.PASSED, "ok"),
                     CheckResult("linear_backward", "values", 0.0, 3.0, Outcome.FAILED, 'dW is wrong:\n<b>"x"</b>')]
    return result


def test_results_json_reads_back_as_the_same_data() -> None:
    data = gradescope_json(_result(), execution_time=0.25)
    assert json.loads(readable_json(data)) == data


def test_each_test_is_on_a_line_of_its_own() -> None:
    text = readable_json(gradescope_json(_result()))
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and text.endswith("}\n")
    tests = [json.loads(line.strip().rstrip(",")) for line in lines if line.startswith('    {"name"')]
    assert [t["name"] for t in tests] == [c.name for c in _result().checks]
