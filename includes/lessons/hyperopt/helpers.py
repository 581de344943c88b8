"""Hyperparameter tuning for module 03 (demo 03.1 and lab 03.1L): what the searches share around the objective.

The objective itself (train one configuration, score it on validation, log it as an MLflow run nested under
the search's parent run, return Hyperopt's result) is the lesson: demo 03.1 shows it in a cell and lab 03.1L
asks the learner to write it. This module holds what surrounds it: turning a sampled configuration into flat
settings (``flatten``) and a model (``build_model``), the untuned baseline (``train_and_score``), given first
trials (``trials_starting_from``), an early stop of the search that passes over failed trials
(``past_failed_trials``), the search's summary on its parent run (``log_search_summary``), the trial runs and
how many ran at once (``trial_runs``, ``most_at_once``), and the class's ``leaderboard()``.

The leaderboard is one experiment the whole class shares (``/Shared/dl-course/leaderboard`` on Databricks,
``dl-course/leaderboard`` in a local store): each finished search posts an entry there, tagged with its
learner, because a learner cannot search the others' own experiments (their permissions hide them).
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

# The tag that marks the runs of module 03: "search" on a search's parent run, "trial" on each trial.
TAG = "dl_course.tuning"
SEARCH, TRIAL = "search", "trial"
SOURCE_TAG = "dl_course.source_run"  # on a leaderboard entry: the search's parent run, in its learner's experiment
NOTEBOOK_TAG = "dl_course.notebook"
METRIC = "val_rmse"
# The configuration of housing_model's defaults: what "untuned" means in this module.
UNTUNED = {"learning_rate": 0.001, "width": 64, "depth": 2, "activation": "relu", "optimizer": "adam"}
_SPARK_TRIALS_WARNING = ".*Tags will not be inherited.*"


class TuningData(NamedTuple):
    """The arrays a trial trains on (train) and is scored on (validation)."""

    X_train: object
    y_train: object
    X_val: object
    y_val: object


def quiet_spark_trials() -> None:
    """Hide the warning pyspark prints for every SparkTrials trial.

    SparkTrials runs each trial from a thread of its own and does not hand that
    thread the SparkSession, so pyspark says "Tags will not be inherited" once
    per trial. SparkTrials uses no session tags, so the warning is harmless.
    """
    warnings.filterwarnings("ignore", message=_SPARK_TRIALS_WARNING, category=UserWarning)


def flatten(params: dict) -> dict:
    """A sampled configuration as flat values that MLflow can log and housing_model can take.

    A conditional choice arrives as a dict holding its ``name`` and the settings that exist only
    for it: ``{"optimizer": {"name": "sgd", "momentum": 0.9}}`` becomes
    ``{"optimizer": "sgd", "momentum": 0.9}``. Widths and depths become ints (``hp.quniform``
    returns floats such as 64.0).
    """
    config = {}
    for key, value in params.items():
        if isinstance(value, dict):
            inner = dict(value)
            config[key] = inner.pop("name")
            config.update(inner)
        else:
            config[key] = value
    for key in ("width", "depth"):
        if key in config:
            config[key] = int(config[key])
    return config


def past_failed_trials(stop_fn):
    """``stop_fn`` (an ``early_stop_fn`` for ``fmin``) made to look only at trials that succeeded.

    Hyperopt's ``no_progress_loss`` reads the loss of the newest trial, and a failed trial has none: it
    would stop the search with ``KeyError: 'loss'``. This wrapper passes a failed newest trial over (no
    progress counted, the state kept as it was) and hands every successful one to ``stop_fn``.
    """

    def early_stop_fn(trials, *state):
        if trials.trials[-1]["result"].get("status") != "ok":
            return False, list(state)
        return stop_fn(trials, *state)

    return early_stop_fn


def trials_starting_from(points: list[dict], space):
    """A ``Trials`` whose first trials are ``points``, for ``fmin`` to run before its own proposals.

    Points are written in label values (an index for ``hp.choice``). Hyperopt's own
    ``generate_trials_to_calculate`` expects every label of the space in every point; in a
    conditional space a point leaves out the labels of the options it did not take, and TPE then
    fails on the missing keys. Here those labels are recorded as inactive (empty), as Hyperopt
    does for the trials it draws itself.

    ``max_evals`` counts these trials, and ``fmin`` runs them only while it also has trials of its
    own to propose: make ``max_evals`` larger than ``len(points)``.
    """
    from hyperopt import Trials, base
    from hyperopt.fmin import generate_trial

    labels = base.Domain(lambda params: 0.0, space).params
    docs = []
    for tid, point in enumerate(points):
        unknown = set(point) - set(labels)
        if unknown:
            raise ValueError(f"point {tid} names labels the space does not have: {sorted(unknown)}")
        doc = generate_trial(tid, point)
        for label in labels:
            doc["misc"]["idxs"].setdefault(label, [])
            doc["misc"]["vals"].setdefault(label, [])
        docs.append(doc)
    trials = Trials()
    trials.insert_trial_docs(docs)
    trials.refresh()
    return trials


def build_model(config: dict, X_train):
    """The course's housing model for one flat configuration (see ``flatten``)."""
    from includes.common.models import housing_model

    options = {"momentum": float(config["momentum"])} if "momentum" in config else None
    return housing_model(
        X_train,
        hidden_units=(int(config["width"]),) * int(config["depth"]),
        learning_rate=float(config["learning_rate"]),
        activation=config["activation"],
        optimizer=config["optimizer"],
        optimizer_options=options,
    )


def train_and_score(config: dict, data: TuningData, epochs: int, seed: int = 42, batch_size: int = 64) -> float:
    """Train one configuration on the training part; return its validation RMSE.

    The seed is set for every trial, so a trial gives the same number wherever it runs (in the
    notebook's kernel or in a Spark worker) and whatever ran before it. The validation rows go
    through the model in one direct call: ``evaluate`` would first build a graph for them, which
    costs more than the call itself on a few thousand rows.
    """
    import keras

    from includes.common.baselines import rmse

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build_model(config, data.X_train)
    model.fit(data.X_train, data.y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    predictions = keras.ops.convert_to_numpy(model(data.X_val, training=False))
    if not np.isfinite(predictions).all():
        return math.nan  # diverged: the weights, and so the predictions, overflowed
    return rmse(data.y_val, predictions)


def results_table(results: list[dict]):
    """One row per trial (in the order they were proposed): its status, loss, best epoch (if any) and settings."""
    import pandas as pd

    rows = []
    for number, result in enumerate(results):
        row = {"trial": number, "status": result.get("status"), METRIC: result.get("loss", math.nan)}
        if "epochs" in result:  # how many epochs the trial's best model took, when early stopping recorded it
            row["epochs"] = result["epochs"]
        row.update(result.get("config", {}))
        row["failure"] = result.get("failure", "")
        rows.append(row)
    return pd.DataFrame(rows).set_index("trial")


def ranked_results(results: list[dict]) -> list[dict]:
    """The successful trials, lowest loss first."""
    succeeded = [result for result in results if result.get("status") == "ok"]
    if not succeeded:
        raise ValueError("No trial of this search succeeded; look at the 'failure' of each trial.")
    return sorted(succeeded, key=lambda result: result["loss"])


def best_result(results: list[dict]) -> dict:
    """The successful trial with the lowest loss."""
    return ranked_results(results)[0]


def log_search_summary(results: list[dict], method: str) -> dict:
    """Record a finished search on the active (parent) run, post it to the class leaderboard, and return its
    best trial's result.

    The parent run gets the tag that marks a search, the search method, how many trials ran and failed, the
    best trial's validation RMSE (as ``val_rmse``) and its configuration (as ``best_*`` parameters). The same
    summary goes to the shared leaderboard experiment (``post_to_leaderboard``).
    """
    import mlflow

    best = best_result(results)
    failed = sum(result.get("status") != "ok" for result in results)
    tags = {TAG: SEARCH, "search_method": method}
    params = {f"best_{key}": value for key, value in best["config"].items()}
    metrics = {METRIC: best["loss"], "trials": len(results), "failed_trials": failed}
    mlflow.set_tags(tags)
    mlflow.log_params(params)
    mlflow.log_metrics(metrics)
    post_to_leaderboard(mlflow.active_run(), tags, params, metrics)
    return best


def _leaderboard_experiment() -> tuple[str, str | None]:
    """The shared leaderboard's name and id (created by the first learner to post), or None if it is missing."""
    import mlflow

    from includes.setup import tracking

    name = tracking.leaderboard_experiment_name()
    found = mlflow.get_experiment_by_name(name)
    return name, (found.experiment_id if found is not None else None)


def post_to_leaderboard(parent_run, tags: dict, params: dict, metrics: dict) -> bool:
    """Copy a search's summary into the class's shared experiment, tagged with the learner; True when it did.

    A learner without write access there is told so in one sentence, and still sees their own searches.
    """
    import mlflow
    from databricks.sdk.errors import DatabricksError  # mlflow's own dependency

    from includes.setup import identity, tracking

    learner = identity.learner()
    name, experiment_id = _leaderboard_experiment()
    experiment = mlflow.get_experiment(parent_run.info.experiment_id)
    try:
        if experiment_id is None:
            experiment_id = tracking.get_or_create_experiment(name, tracking.leaderboard_artifact_location())
        client = mlflow.MlflowClient()
        entry = client.create_run(
            experiment_id,
            run_name=parent_run.info.run_name,
            tags={
                **tags,
                tracking.LEARNER_TAG: learner,
                SOURCE_TAG: parent_run.info.run_id,
                NOTEBOOK_TAG: experiment.name.rsplit("/", 1)[-1],
            },
        )
        client.log_batch(
            entry.info.run_id,
            metrics=[mlflow.entities.Metric(key, float(value), 0, 0) for key, value in metrics.items()],
            params=[mlflow.entities.Param(key, str(value)) for key, value in params.items()],
        )
        client.set_terminated(entry.info.run_id)
        return True
    except (mlflow.exceptions.MlflowException, DatabricksError) as error:  # the run, or the /Shared folder
        reason = getattr(error, "error_code", None) or type(error).__name__
        print(
            f"Your search is not on the class leaderboard: you may not write to the experiment {name} "
            f"({reason}; your instructor can give you CAN EDIT on it), so the leaderboard shows your own "
            "searches with the class's."
        )
        return False


def trial_runs(parent_run_id: str, experiment_id: str | None = None):
    """The MLflow runs nested under one search's parent run, oldest first."""
    import mlflow

    kwargs = {"experiment_ids": [experiment_id]} if experiment_id else {"search_all_experiments": True}
    runs = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'", **kwargs)
    return runs.sort_values("start_time").reset_index(drop=True) if len(runs) else runs


def most_at_once(runs) -> int:
    """The largest number of runs that were running at the same moment (from their start and end times)."""
    if not len(runs):
        return 0
    import pandas as pd

    starts = list(runs["start_time"])
    ends = list(runs["end_time"].fillna(pd.Timestamp.now(tz=runs["start_time"].dt.tz)))  # still running
    events = sorted(
        [(start, 1) for start in starts] + [(end, -1) for end in ends], key=lambda event: (event[0], event[1])
    )  # at a tie, an end comes before a start
    running = most = 0
    for _, change in events:
        running += change
        most = max(most, running)
    return most


def _searches(experiment_ids: list[str]):
    import mlflow

    if not experiment_ids:
        return None
    return mlflow.search_runs(
        experiment_ids=experiment_ids, filter_string=f"tags.`{TAG}` = '{SEARCH}' AND attributes.status = 'FINISHED'"
    )


def leaderboard(top: int = 10, one_per_person: bool = False):
    """The class's searches, best validation RMSE first: every entry of the shared leaderboard experiment,
    plus the learner's own searches that are not on it (posted before it existed, or not allowed to post).

    Each row says who ran the search, from which notebook, how, and with which configuration. With
    ``one_per_person``, only each person's best search is kept: the class's ranking.
    """
    import mlflow
    import pandas as pd

    from includes.setup import identity, tracking

    learner = identity.learner()
    board_name, board_id = _leaderboard_experiment()
    columns = ["who", "notebook", "search", "method", METRIC, "trials", "when"]
    frames = []
    posted = _searches([board_id] if board_id else [])
    if posted is not None and len(posted):
        posted = posted.assign(who=posted[f"tags.{tracking.LEARNER_TAG}"], notebook=posted[f"tags.{NOTEBOOK_TAG}"])
        frames.append(posted)
    folder = tracking.experiment_folder(learner)
    own_experiments = {
        experiment.experiment_id: experiment.name
        for experiment in mlflow.search_experiments(filter_string=f"name LIKE '{folder}%'")
        if experiment.name.startswith(folder) and experiment.name != board_name
    }
    own = _searches(list(own_experiments))
    if own is not None and len(own):
        if frames:
            own = own[~own["run_id"].isin(set(posted[f"tags.{SOURCE_TAG}"]))]
        own = own.assign(who=learner, notebook=own["experiment_id"].map(own_experiments).str.rsplit("/", n=1).str[-1])
        frames.append(own)
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not len(runs):
        return pd.DataFrame(columns=columns)
    runs = runs.dropna(subset=[f"metrics.{METRIC}"]).sort_values(f"metrics.{METRIC}", kind="stable")
    if one_per_person:  # sorted, so the first row of each person is their best
        runs = runs.drop_duplicates(subset=["who"], keep="first")
    runs = runs.head(top)
    board = pd.DataFrame(
        {
            "who": runs["who"],
            "notebook": runs["notebook"],
            "search": runs.get("tags.mlflow.runName"),
            "method": runs.get("tags.search_method"),
            METRIC: runs[f"metrics.{METRIC}"].round(4),
            "trials": runs.get("metrics.trials").astype("Int64"),
            "when": runs["start_time"].dt.strftime("%Y-%m-%d %H:%M"),
        }
    )
    settings = [column.removeprefix("params.best_") for column in runs.columns if column.startswith("params.best_")]
    order = list(UNTUNED) + ["momentum"]
    for setting in sorted(settings, key=lambda name: (order.index(name) if name in order else len(order), name)):
        board[setting] = runs[f"params.best_{setting}"]
    board.index = pd.RangeIndex(1, len(board) + 1, name="rank")
    return board
