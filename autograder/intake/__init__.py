"""What students hand in: finding submissions in a folder (discover) and reading one safely, as cells
(submission). Nothing here runs student code.
"""
