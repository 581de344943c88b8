"""Start the course over: delete what the notebooks wrote (downloads stay cached).

Locally (also `make reset`) that is the course folder: working folders, the MLflow store
with its experiments, runs and registered models, Keras' cache and Spark's scratch space.
On Databricks it is the learner's course folder and the course's experiments and models
in the workspace.
"""
from __future__ import annotations

import shutil

from .environment import on_databricks
from .identity import learner
from .paths import course_home

MODEL_PREFIX = "dl-course-"


def reset_course(user: str | None = None) -> list[str]:
    """Delete the course's own files and tracking data; return what was removed, in plain words."""
    removed = []
    user = user or learner()  # the same learner setup_course() resolved, so the same folder
    if on_databricks():
        import mlflow

        client = mlflow.MlflowClient()
        for experiment in client.search_experiments(filter_string=f"name LIKE '/Users/{user}/dl-course/%'"):
            client.delete_experiment(experiment.experiment_id)
            removed.append(f"experiment {experiment.name}")
        for model in client.search_registered_models(filter_string=f"name LIKE '{MODEL_PREFIX}%'"):
            client.delete_registered_model(model.name)
            removed.append(f"registered model {model.name}")
    home = course_home(user)
    if home.exists():
        shutil.rmtree(home)
        removed.append(f"folder {home}")
    print("Removed: " + ("; ".join(removed) if removed else "nothing, the course was already clean") + ". "
          "Restart the kernels of open notebooks before running them again.")
    return removed
