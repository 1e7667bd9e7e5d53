"""The checks: call the student's functions through the runner and judge the answers here, in the grader."""
from __future__ import annotations

from autograder.checks.common import NotAttempted, TaskContext
from autograder.checks.count import grade_count
from autograder.checks.layer import grade_backward, grade_forward
from autograder.checks.loss import grade_loss
from autograder.checks.question import grade_question
from autograder.checks.training import grade_training
from autograder.course.tasks import (
    BackwardTask,
    CountTask,
    ForwardTask,
    LossTask,
    QuestionTask,
    Task,
    TrainTask,
)
from autograder.results import CheckResult, Outcome

__all__ = ["NO_FUNCTION", "TaskContext", "grade_task"]

NO_FUNCTION = "no function named"  # how a task whose function is missing is 'not attempted' (batch/hints.py reads it)


def grade_task(ctx: TaskContext, task: Task) -> list[CheckResult]:
    """All checks of one task; a task whose function is missing or unimplemented is 'not attempted'."""
    grader = {ForwardTask: grade_forward, BackwardTask: grade_backward, LossTask: grade_loss,
              CountTask: grade_count, QuestionTask: grade_question,
              TrainTask: grade_training}[type(task)]
    try:
        if not isinstance(task, TrainTask) and task.name not in ctx.defined:
            if task.name not in ctx.lost:
                raise NotAttempted(f"{NO_FUNCTION} {task.name} was found in your submission")
            # Written but lost to a syntax error: a failure the student can fix, not a task left undone.
            results = [CheckResult(task.name, check, 0.0, float(ctx.points[check]), Outcome.FAILED,
                                   f"Not graded: {task.name} does not parse ({ctx.lost[task.name]}); fix that line")
                       for check in ctx.assignment.check_names(task)]
        else:
            results = grader(ctx, task)
    except NotAttempted as why:
        results = [CheckResult(task.name, check, 0.0, float(ctx.points[check]), Outcome.NOT_ATTEMPTED,
                               f"Not attempted: {why}") for check in ctx.assignment.check_names(task)]
    return results
