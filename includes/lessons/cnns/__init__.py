"""Module 06, CNNs: image decoding and model loading for the pandas UDFs of 06.2 and 06.2L (helpers)
and 06.2L's checks.

Notebooks: ``notebooks/06_cnns/``.
"""
