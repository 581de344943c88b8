"""Module 03, Hyperopt: the tuning helpers 03.1 and 03.1L share (helpers) and 03.1L's checks.

Notebooks: ``notebooks/03_hyperopt/``.
"""
