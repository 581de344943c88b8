"""Module 04, distributed training: Petastorm's Parquet writer and a weight fingerprint (helpers), and
04.2L's checks. The Horovod calls themselves are written out in the notebooks.

Notebooks: ``notebooks/04_distributed/``.
"""
