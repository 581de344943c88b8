"""Module 04, distributed training: Horovod launching, the averaged training step, Petastorm's
Parquet writer (helpers) and 04.2L's checks.

Notebooks: ``notebooks/04_distributed/``.
"""
