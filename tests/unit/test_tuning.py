"""includes.lessons.hyperopt.helpers on a real MLflow store and real (tiny) Keras training:
nested runs, failures, leaderboard."""

import math

import mlflow
import numpy as np
import pandas as pd
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, tpe
from hyperopt.pyll import scope
from mlflow.protos.databricks_pb2 import PERMISSION_DENIED

from includes.lessons.hyperopt import helpers as tuning
from includes.setup import identity
from includes.setup.tracking import configure_tracking, use_experiment

SPACE = {
    "learning_rate": hp.loguniform("learning_rate", np.log(1e-3), np.log(0.1)),
    "width": scope.int(hp.quniform("width", 4, 8, 4)),
    "depth": scope.int(hp.quniform("depth", 1, 2, 1)),
    "activation": hp.choice("activation", ["relu", "tanh"]),
    "optimizer": hp.choice(
        "optimizer", [{"name": "adam"}, {"name": "sgd", "momentum": hp.uniform("momentum", 0, 0.9)}]
    ),
}
ADAM_POINT = {"learning_rate": 0.01, "width": 8.0, "depth": 1.0, "activation": 0, "optimizer": 0}
DIVERGING_POINT = {
    "learning_rate": 1000.0,
    "width": 8.0,
    "depth": 2.0,
    "activation": 0,
    "optimizer": 1,
    "momentum": 0.99,
}


@pytest.fixture
def experiment(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    configure_tracking(tmp_path)
    return use_experiment("99.3 Tuning", tmp_path)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(384, 3)).astype("float32")
    y = (X @ np.array([1.0, -2.0, 0.5], dtype="float32") + 3.0).astype("float32")
    return tuning.TuningData(X[:320], y[:320], X[320:], y[320:])


def test_flatten_lifts_the_chosen_option_and_makes_sizes_ints():
    params = {
        "learning_rate": 0.01,
        "width": 64.0,
        "depth": 2.0,
        "activation": "relu",
        "optimizer": {"name": "sgd", "momentum": 0.9},
    }
    assert tuning.flatten(params) == {
        "learning_rate": 0.01,
        "width": 64,
        "depth": 2,
        "activation": "relu",
        "optimizer": "sgd",
        "momentum": 0.9,
    }
    assert tuning.flatten({"optimizer": {"name": "adam"}}) == {"optimizer": "adam"}


def test_build_model_follows_the_configuration(data):
    config = {"learning_rate": 0.05, "width": 8, "depth": 3, "activation": "tanh", "optimizer": "sgd", "momentum": 0.5}
    model = tuning.build_model(config, data.X_train)
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [8, 8, 8, 1]
    assert type(model.optimizer).__name__ == "SGD"
    assert math.isclose(float(model.optimizer.momentum), 0.5)
    assert math.isclose(float(model.optimizer.learning_rate), 0.05, rel_tol=1e-6)


def test_train_and_score_is_reproducible(data):
    config = tuning.flatten({**ADAM_POINT, "activation": "relu", "optimizer": {"name": "adam"}})
    first = tuning.train_and_score(config, data, epochs=2)
    assert first == tuning.train_and_score(config, data, epochs=2)
    assert 0 < first < 10


def test_trials_starting_from_runs_given_points_first_in_a_conditional_space():
    trials = tuning.trials_starting_from([ADAM_POINT, DIVERGING_POINT], SPACE)
    # Hyperopt's own generate_trials_to_calculate would make TPE fail here with KeyError: 'momentum'.
    fmin(
        lambda params: params["learning_rate"],
        SPACE,
        algo=tpe.suggest,
        max_evals=5,
        trials=trials,
        rstate=np.random.default_rng(0),
        show_progressbar=False,
    )
    assert len(trials.trials) == 5
    assert trials.trials[0]["misc"]["vals"]["learning_rate"] == [0.01]
    assert trials.trials[0]["misc"]["vals"]["momentum"] == []
    assert trials.trials[1]["misc"]["vals"]["momentum"] == [0.99]
    with pytest.raises(ValueError, match="lr"):
        tuning.trials_starting_from([{"lr": 0.1}], SPACE)


def test_past_failed_trials_lets_no_progress_loss_stop_a_search_with_failures():
    from hyperopt.early_stop import no_progress_loss

    def objective(params):  # a failure every third trial, and no progress after the first success
        objective.calls += 1
        if objective.calls % 3 == 0:
            return {"status": STATUS_FAIL}
        return {"status": STATUS_OK, "loss": 1.0}

    objective.calls = 0
    space = {"x": hp.uniform("x", 0, 1)}
    search = dict(algo=tpe.suggest, max_evals=20, show_progressbar=False, rstate=np.random.default_rng(0))
    with pytest.raises(KeyError, match="loss"):  # the library's own stop function trips over a failed trial
        fmin(objective, space, trials=Trials(), early_stop_fn=no_progress_loss(3), **search)
    objective.calls = 0
    trials = Trials()
    fmin(objective, space, trials=trials, early_stop_fn=tuning.past_failed_trials(no_progress_loss(3)), **search)
    # three successes without progress (no_progress_loss counts the first one too), the failure passed over
    assert [result["status"] for result in trials.results] == ["ok", "ok", "fail", "ok"]


def demo_objective(data, experiment_id, epochs=2):
    """The objective of demo 03.1, section 3 (each trial a nested run with early stopping; a trial whose loss
    was ever NaN a failure)."""
    import keras

    def objective(params, parent_run_id):
        config = tuning.flatten(params)
        with mlflow.start_run(
            experiment_id=experiment_id, parent_run_id=parent_run_id, nested=True, tags={tuning.TAG: tuning.TRIAL}
        ) as run:
            mlflow.log_params(config)
            keras.utils.set_random_seed(0)
            model = tuning.build_model(config, data.X_train)
            history = model.fit(
                data.X_train,
                data.y_train,
                validation_data=(data.X_val, data.y_val),
                epochs=epochs,
                batch_size=256,
                validation_batch_size=len(data.X_val),
                verbose=0,
                callbacks=[keras.callbacks.EarlyStopping(patience=1), keras.callbacks.TerminateOnNaN()],
            ).history
            finite = all(math.isfinite(value) for value in history["loss"] + history["val_rmse"])
            if finite:
                best_epoch = int(np.argmin(history["val_rmse"]))
                val_rmse, best_epochs = float(history["val_rmse"][best_epoch]), best_epoch + 1
                mlflow.log_metrics({"val_rmse": val_rmse, "epochs": best_epochs})
        result = {"config": config, "run_id": run.info.run_id}
        if not finite:
            mlflow.MlflowClient().set_tag(run.info.run_id, "failure", "training diverged")
            mlflow.MlflowClient().set_terminated(run.info.run_id, status="FAILED")
            return {**result, "status": STATUS_FAIL, "failure": "training diverged"}
        return {**result, "status": STATUS_OK, "loss": val_rmse, "epochs": best_epochs}

    return objective


def test_search_summary_and_trial_runs_of_a_search_with_a_failure(experiment, data):
    from functools import partial

    with mlflow.start_run(run_name="search") as parent:
        objective = partial(demo_objective(data, experiment), parent_run_id=parent.info.run_id)
        trials = tuning.trials_starting_from([ADAM_POINT, DIVERGING_POINT], SPACE)
        fmin(
            objective,
            SPACE,
            algo=tpe.suggest,
            max_evals=3,
            trials=trials,
            show_progressbar=False,
            rstate=np.random.default_rng(0),
        )
        best = tuning.log_search_summary(trials.results, "unit test")
    ok, failed, drawn = trials.results
    assert ok["status"] == STATUS_OK and ok["loss"] > 0 and ok["config"]["optimizer"] == "adam"
    assert 1 <= ok["epochs"] <= 2 and tuning.results_table(trials.results)["epochs"].iloc[0] == ok["epochs"]
    assert failed["status"] == STATUS_FAIL and "diverged" in failed["failure"]
    assert best is min((ok, drawn), key=lambda result: result.get("loss", math.inf))
    runs = tuning.trial_runs(parent.info.run_id, experiment)
    assert list(runs["run_id"]) == [ok["run_id"], failed["run_id"], drawn["run_id"]]
    assert list(runs["status"])[:2] == ["FINISHED", "FAILED"]
    assert runs["metrics.val_rmse"].iloc[0] == pytest.approx(ok["loss"])
    assert runs["tags.failure"].iloc[1] == "training diverged"
    assert set(runs[f"tags.{tuning.TAG}"]) == {tuning.TRIAL}
    summary = mlflow.get_run(parent.info.run_id).data
    assert summary.tags[tuning.TAG] == tuning.SEARCH
    assert summary.metrics["val_rmse"] == pytest.approx(best["loss"])
    assert summary.metrics["trials"] == 3 and summary.metrics["failed_trials"] >= 1
    assert summary.params["best_optimizer"] == best["config"]["optimizer"]


def _search(experiment_id, name, val_rmse, user="ada", monkeypatch=None):
    results = [
        {"status": "ok", "loss": val_rmse, "config": {"width": 8}},
        {"status": "fail", "failure": "boom", "config": {"width": 16}},
    ]
    monkeypatch.setenv("COURSE_USER", user)  # the learner the entry on the class leaderboard names
    with mlflow.start_run(experiment_id=experiment_id, run_name=name):
        tuning.log_search_summary(results, "unit test")
    monkeypatch.delenv("COURSE_USER")


def test_leaderboard_ranks_the_searches_of_the_shared_experiment(experiment, tmp_path, monkeypatch):
    other = use_experiment("99.4 Other", tmp_path)
    _search(experiment, "middle", 0.7, monkeypatch=monkeypatch)
    _search(other, "best", 0.5, monkeypatch=monkeypatch)
    _search(experiment, "worst", 0.9, user="grace", monkeypatch=monkeypatch)
    entries = mlflow.search_runs(experiment_names=["dl-course/leaderboard"])
    assert sorted(entries["tags.dl_course.learner"]) == ["ada", "ada", "grace"]
    with mlflow.start_run(experiment_id=experiment, run_name="not a search"):
        mlflow.log_metric("val_rmse", 0.1)
    board = tuning.leaderboard()
    assert list(board["search"]) == ["best", "middle", "worst"]
    assert list(board["notebook"]) == ["99.4 Other", "99.3 Tuning", "99.3 Tuning"]
    assert list(board["trials"]) == [2, 2, 2]
    assert list(board.index) == [1, 2, 3]
    assert list(board["who"]) == ["ada", "ada", "grace"]
    assert list(tuning.leaderboard(top=1)["search"]) == ["best"]
    assert list(tuning.leaderboard(one_per_person=True)["search"]) == ["best", "worst"]


def test_a_learner_who_cannot_post_is_told_so_and_still_sees_their_searches(experiment, monkeypatch, capsys):
    create_run = mlflow.MlflowClient.create_run

    def refuse_on_the_leaderboard(client, experiment_id, *args, **kwargs):
        if mlflow.get_experiment(experiment_id).name == "dl-course/leaderboard":
            raise mlflow.exceptions.MlflowException("no", error_code=PERMISSION_DENIED)
        return create_run(client, experiment_id, *args, **kwargs)

    monkeypatch.setattr(mlflow.MlflowClient, "create_run", refuse_on_the_leaderboard)
    _search(experiment, "mine", 0.6, user="ada", monkeypatch=monkeypatch)
    told = capsys.readouterr().out
    assert "not on the class leaderboard" in told and "PERMISSION_DENIED" in told
    assert told.count(". ") == 0, "one sentence"
    board = tuning.leaderboard()  # the laptop's learner, whose experiments hold the search
    assert list(board["search"]) == ["mine"] and list(board["who"]) == [identity.learner()]


def test_results_table_and_best_result():
    results = [
        {"status": "ok", "loss": 0.8, "config": {"width": 8}},
        {"status": "fail", "failure": "diverged", "config": {"width": 16}},
        {"status": "ok", "loss": 0.6, "config": {"width": 32}, "epochs": 7},
    ]
    table = tuning.results_table(results)
    assert list(table["width"]) == [8, 16, 32]
    assert table["epochs"].iloc[2] == 7 and table["epochs"].isna().iloc[0]
    assert list(table["status"]) == ["ok", "fail", "ok"]
    assert math.isnan(table["val_rmse"].iloc[1])
    assert tuning.best_result(results)["config"] == {"width": 32}
    assert [result["config"] for result in tuning.ranked_results(results)] == [{"width": 32}, {"width": 8}]
    with pytest.raises(ValueError, match="No trial"):
        tuning.best_result(results[1:2])


def test_most_at_once_counts_overlapping_runs():
    at = pd.Timestamp("2026-01-01", tz="UTC")
    seconds = pd.Timedelta(seconds=1)
    runs = pd.DataFrame(
        {
            "start_time": [at, at + seconds, at + 5 * seconds],
            "end_time": [at + 3 * seconds, at + 4 * seconds, at + 6 * seconds],
        }
    )
    assert tuning.most_at_once(runs) == 2
    one_after_another = pd.DataFrame({"start_time": [at, at + seconds], "end_time": [at + seconds, at + 2 * seconds]})
    assert tuning.most_at_once(one_after_another) == 1
    assert tuning.most_at_once(runs.iloc[:0]) == 0
