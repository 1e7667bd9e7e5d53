"""Autograder for neural-network fundamentals homework: student code runs in an isolated worker, checks run here."""

__version__ = "0.1.0"
