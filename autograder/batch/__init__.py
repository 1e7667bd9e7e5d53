"""Grading a class: the run (resumable, atomic, one row per submission whatever happens), its pool of forked
grader processes, the progress line, the gradebooks and the files it writes; and one submission graded inside
Gradescope's container (gradescope). It reads results; it never renders a report.
"""
