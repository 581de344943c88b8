"""Module 02, MLflow: serving a logged model over REST on 127.0.0.1 (helpers) and 02.1L's checks.

Notebooks: ``notebooks/02_mlflow/``.
"""
