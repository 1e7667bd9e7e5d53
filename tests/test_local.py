"""The local runner behind `check(...)` in a student's kernel."""
from __future__ import annotations

import numpy as np

from autograder.local import LocalRunner


def test_a_dropped_cache_id_never_names_a_new_cache():
    """After a cache is dropped, does a new one get a fresh handle instead of overwriting a live one?"""
    runner = LocalRunner({"forward": lambda x: (x * 2, {"x": x})})
    (_, first), _ = runner.call("forward", [np.ones(2)], keep=(1,))
    (_, second), _ = runner.call("forward", [np.full(2, 3.0)], keep=(1,))
    runner.drop([first])
    (_, third), _ = runner.call("forward", [np.full(2, 5.0)], keep=(1,))
    assert len({first.id, second.id, third.id}) == 3
    assert runner.objects[second.id]["x"][0] == 3.0 and runner.objects[third.id]["x"][0] == 5.0
