"""Naming the bug: misconception models fitted to the evidence of failed checks (diagnose), the generic
models an assignment's catalogue reuses (misconceptions), and the labelled corpus that measures it (corpus).
"""
