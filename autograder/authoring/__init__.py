"""What an instructor generates from an assignment folder: the student notebook and skeleton (assign,
skeleton) and notebooks built from source (notebooks).
"""
