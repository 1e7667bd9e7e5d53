"""What a course defines: its settings (config, grader.toml), the task kinds its assignments are declared
with (tasks), the assignments found in their folders (registry), how cases and inputs are drawn (cases), and
what trainers are written with (training).
"""
