"""Module 00, Introduction: the plots and the timing of 00.1 (helpers).

Notebooks: ``notebooks/00_introduction/``.
"""
