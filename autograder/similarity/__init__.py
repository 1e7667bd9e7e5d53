"""Similarity across a class: the code students wrote beyond the skeleton, fingerprinted and compared in pairs.

It reads submissions as text and never runs them; it flags pairs for a person to look at and accuses no one."""
