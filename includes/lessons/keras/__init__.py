"""Module 01, Keras: the lab checks of 01.0L (fundamentals_checks), of 01.2L-01.4L (checks) and of 01.5L
(regularization_checks), and the measuring helpers of 01.5 and 01.5L (helpers).

The module's shared helpers (the housing model, the baseline, plots, progress) are in ``includes.common``.

Notebooks: ``notebooks/01_keras/``.
"""
