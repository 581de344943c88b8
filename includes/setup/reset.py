"""Start the course over: delete what the learner's notebooks wrote (downloads stay cached).

A learner alone on a laptop (also `make reset`): the whole course folder, with the MLflow store and its
experiments, runs and registered models, Keras' cache and Spark's scratch space.

Where learners share (a Databricks workspace, or one course folder on a JupyterHub with ``COURSE_USER`` set
per learner): exactly what that learner's notebooks made, and nothing of anyone else's: their experiments
(the folder ``experiment_folder(user)``), the registered models tagged with them, their entries on the class
leaderboard, and their own working folders. The shared store, the leaderboard itself and the caches stay.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

from .environment import on_databricks
from .identity import learner
from .paths import course_home, home_is_shared, learners_own_folders, slugify
from .tracking import (
    LEARNER_TAG,
    experiment_folder,
    leaderboard_experiment_name,
    local_artifact_root,
    local_tracking_uri,
    model_name_prefix,
    registered_models,
    registry_is_unity_catalog,
)


def _learners_tracking_data(client, user: str, unity_catalog: bool) -> list[str]:
    """Delete the learner's experiments, registered models and leaderboard entries; say what went."""
    removed = []
    folder = experiment_folder(user)
    for experiment in client.search_experiments(filter_string=f"name LIKE '{folder}%'"):
        if not experiment.name.startswith(folder):  # LIKE's "_" matches any one character
            continue
        # Renamed before deleting: a deleted experiment keeps its name, and the next setup_course could not
        # create the notebook's experiment again under it.
        client.rename_experiment(experiment.experiment_id, f"{experiment.name} (deleted {time.time():.0f})")
        client.delete_experiment(experiment.experiment_id)
        removed.append(f"experiment {experiment.name}")
    prefix = model_name_prefix(user, unity_catalog) if not unity_catalog or _uc_schema_set() else None
    for model in registered_models(client, prefix, unity_catalog) if prefix else []:
        # The name's prefix narrows the search; the tag decides ("ada" must not remove "ada-b"'s models).
        if (client.get_registered_model(model.name).tags or {}).get(LEARNER_TAG) == user:
            client.delete_registered_model(model.name)
            removed.append(f"registered model {model.name}")
    board = client.get_experiment_by_name(leaderboard_experiment_name())
    if board is not None:
        entries = client.search_runs([board.experiment_id], filter_string=f"tags.`{LEARNER_TAG}` = '{user}'")
        for run in entries:
            client.delete_run(run.info.run_id)
        if entries:
            removed.append(f"{len(entries)} leaderboard entr{'y' if len(entries) == 1 else 'ies'}")
    return removed


def _uc_schema_set() -> bool:
    from .. import settings

    return settings.uc_schema() is not None


def reset_course(user: str | None = None) -> list[str]:
    """Delete the learner's own files and tracking data; return what was removed, in plain words."""
    removed = []
    user = user or learner()  # the same learner setup_course() resolved, so the same names and folders
    home = course_home(user)
    if on_databricks():
        import mlflow

        removed += _learners_tracking_data(mlflow.MlflowClient(), user, registry_is_unity_catalog())
    elif home_is_shared() and (home / "mlflow" / "mlflow.db").exists():
        # Only this learner's part of the class's store; the client is pointed at it without touching
        # the kernel's own MLflow settings.
        import mlflow

        uri = local_tracking_uri(home)
        removed += _learners_tracking_data(mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri), user, False)
        artifacts = Path(urlparse(local_artifact_root(home)).path) / slugify(user)
        if artifacts.exists():
            shutil.rmtree(artifacts)
    for folder in learners_own_folders(home, user):
        if folder.exists():
            shutil.rmtree(folder)
            removed.append(f"folder {folder}")
    print(
        "Removed: " + ("; ".join(removed) if removed else "nothing, the course was already clean") + ". "
        "Restart the kernels of open notebooks before running them again."
    )
    return removed
