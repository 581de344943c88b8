"""Module 05, interpretability: 05.1L's checks (SHAP, LIME, Shapley values by hand).

Notebooks: ``notebooks/05_interpretability/``.
"""
