"""One room per course module, named like its notebook folder (``notebooks/06_cnns/`` -> ``lessons/cnns/``).

Each room holds that module's ``helpers.py`` (what its demos and labs share) and
``checks.py`` (its labs' checks). The lessons themselves stay in the notebooks:
a helper may hide measuring and plumbing, never the library call a lesson teaches.
"""
