"""HTML reports rendered from the result files alone: DIR/<id>/feedback.html per submission, DIR/summary.html,
and for TAs feedback-ta.html and summary-ta.html beside them (with the code of each failed task, from code.json).

Rendering never grades: it reads what `autograder grade` wrote (grade.json, summary.json) and nothing else, so
a report can be rebuilt at any time, for another audience, without running student code again. The class summary
also shows the pairs flagged in similarity.json (autograder.similarity) when it is there.
"""
from __future__ import annotations

from autograder.report.render import AUDIENCES, ReportError, WrittenReports, write_reports

__all__ = ["AUDIENCES", "ReportError", "WrittenReports", "write_reports"]
