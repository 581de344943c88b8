"""MLflow tracking: a real SQLite store locally, the workspace's MLflow on Databricks."""
from __future__ import annotations

import os
from pathlib import Path

from .environment import on_databricks
from .paths import slugify


def local_store(home: Path) -> Path:
    """The folder of the local MLflow store: its SQLite database and its artifacts."""
    return home / "mlflow"


def local_tracking_uri(home: Path) -> str:
    return "sqlite:///" + str(local_store(home) / "mlflow.db")


def local_artifact_root(home: Path) -> str:
    """Where runs' artifacts go (each notebook's experiment has a subfolder)."""
    return (local_store(home) / "artifacts").as_uri()


def configure_tracking(home: Path) -> str:
    """Point MLflow at the course's store through the environment.

    Setting the variable (not just calling ``mlflow.set_tracking_uri``) matters:
    Spark's Python workers inherit the environment, so code running inside
    Spark tasks (Hyperopt trials, Horovod workers) logs to the same store.
    """
    if on_databricks():
        os.environ.setdefault("MLFLOW_TRACKING_URI", "databricks")
    else:
        local_store(home).mkdir(parents=True, exist_ok=True)
        os.environ["MLFLOW_TRACKING_URI"] = local_tracking_uri(home)
    return os.environ["MLFLOW_TRACKING_URI"]


def experiment_name(notebook: str, user: str | None = None) -> str:
    """One experiment per notebook; on Databricks under the user's folder."""
    if on_databricks():
        return f"/Users/{user}/dl-course/{notebook}"
    return f"dl-course/{notebook}"


def use_experiment(notebook: str, home: Path, user: str | None = None) -> str:
    """Create (first run) or reuse (every later run) the notebook's experiment."""
    import mlflow

    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    name = experiment_name(notebook, user)
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        artifact_location = None
        if not on_databricks():
            artifact_location = f"{local_artifact_root(home)}/{slugify(notebook)}"
        try:
            experiment_id = mlflow.create_experiment(name, artifact_location=artifact_location)
        except mlflow.exceptions.MlflowException:
            # Another kernel created it a moment ago (two notebooks started together).
            experiment_id = mlflow.get_experiment_by_name(name).experiment_id
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def model_requirements(packages=("tensorflow-cpu", "tensorflow", "keras", "numpy", "pandas")) -> list[str]:
    """Pinned pip requirements for a logged Keras model, read from the installed packages.

    Naming them saves MLflow from discovering them itself, which means loading
    the model in a separate Python process each time a model is logged.
    """
    from importlib import metadata

    found = []
    for name in packages:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return found
