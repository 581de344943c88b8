"""Module 08, GANs: 08.1L's checks.

Notebooks: ``notebooks/08_gans/``.
"""
