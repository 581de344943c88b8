"""Helpers that several modules share: the housing model, the linear baseline, plots, progress bars.

A helper that only one module uses belongs in that module's room, ``includes/lessons/<topic>/``.
"""
