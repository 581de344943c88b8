"""Module 07, transfer learning: which backbone weights, parameter counts, image grids (helpers)
and 07.2L's checks.

Notebooks: ``notebooks/07_transfer_learning/``.
"""
