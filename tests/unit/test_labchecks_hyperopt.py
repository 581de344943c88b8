"""Lab 03.1L's checks on real search spaces, a real SparkTrials search on a local Spark, real MLflow runs
and real Keras models: each check passes on a right answer and fails on a wrong one."""

import keras
import mlflow
import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, SparkTrials, Trials, fmin, hp, rand
from hyperopt.pyll import scope

from includes.labs.checks import LabCheckFailed
from includes.lessons.hyperopt import checks
from includes.lessons.hyperopt import helpers as tuning
from includes.setup.tracking import configure_tracking, use_experiment


def lab_space(learning_rate=None, width=None, optimizer=None):
    return {
        "learning_rate": learning_rate
        if learning_rate is not None
        else hp.loguniform("learning_rate", np.log(3e-4), np.log(0.03)),
        "width": width if width is not None else scope.int(hp.quniform("width", 32, 256, 32)),
        "depth": scope.int(hp.quniform("depth", 1, 3, 1)),
        "activation": hp.choice("activation", ["relu", "tanh", "elu"]),
        "optimizer": optimizer
        if optimizer is not None
        else hp.choice(
            "optimizer",
            [{"name": "adam"}, {"name": "sgd", "momentum": hp.uniform("momentum", 0.8, 0.99)}, {"name": "rmsprop"}],
        ),
    }


def test_search_space_passes_on_the_lab_space():
    checks.check_search_space(lab_space())


def test_search_space_passes_on_another_correct_design():
    """Widths and depths listed as choices, the learning rate written as 10 to a uniform power."""
    from hyperopt.pyll import scope as pyll_scope

    space = lab_space(width=hp.choice("width", list(range(32, 257, 32))))
    space["depth"] = hp.choice("depth", [1, 2, 3])
    space["learning_rate"] = pyll_scope.pow(10.0, hp.uniform("log10_learning_rate", np.log10(3e-4), np.log10(0.03)))
    checks.check_search_space(space)


@pytest.mark.parametrize(
    "space, hint",
    [
        (lab_space(learning_rate=hp.loguniform("learning_rate", 3e-4, 0.03)), "it takes the logarithms"),
        (lab_space(width=hp.quniform("width", 32, 256, 32)), "scope.int makes them ints"),
        (lab_space(optimizer=hp.choice("optimizer", ["adam", "sgd", "rmsprop"])), "{'name': 'adam'}"),
    ],
    ids=["loguniform-without-logs", "float-width", "plain-optimizer"],
)
def test_search_space_names_the_mistake(space, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_search_space(space)
    assert hint in capsys.readouterr().out


@pytest.mark.parametrize(
    "space",
    [
        lab_space(learning_rate=hp.uniform("learning_rate", 3e-4, 0.03)),  # uniform, not log-uniform
        lab_space(learning_rate=hp.loguniform("learning_rate", 3e-4, 0.03)),  # bounds not given as logs
        lab_space(learning_rate=hp.loguniform("learning_rate", np.log(1e-4), np.log(0.3))),  # the demo's range
        lab_space(width=hp.quniform("width", 32, 256, 32)),  # floats such as 64.0, not ints
        lab_space(width=scope.int(hp.quniform("width", 8, 128, 8))),  # the demo's range
        lab_space(optimizer=hp.choice("optimizer", ["adam", "sgd", "rmsprop"])),  # no dicts, no momentum
        lab_space(
            optimizer=hp.choice(
                "optimizer",
                [  # momentum for every optimizer: not conditional
                    {"name": "adam", "momentum": hp.uniform("m1", 0.8, 0.99)},
                    {"name": "sgd", "momentum": hp.uniform("m2", 0.8, 0.99)},
                    {"name": "rmsprop", "momentum": hp.uniform("m3", 0.8, 0.99)},
                ],
            )
        ),
        lab_space(
            optimizer=hp.choice(
                "optimizer",
                [  # momentum from 0, not from 0.8
                    {"name": "adam"},
                    {"name": "sgd", "momentum": hp.uniform("momentum", 0.0, 0.99)},
                    {"name": "rmsprop"},
                ],
            )
        ),
        {"learning_rate": 0.001, "width": 64, "depth": 2, "activation": "relu", "optimizer": {"name": "adam"}},
        None,
    ],
    ids=[
        "uniform-lr",
        "loguniform-without-logs",
        "demo-lr-range",
        "float-width",
        "demo-width-range",
        "plain-optimizer",
        "momentum-everywhere",
        "momentum-from-zero",
        "fixed-values",
        "nothing",
    ],
)
def test_search_space_fails_on_wrong_spaces(space):
    with pytest.raises(LabCheckFailed):
        checks.check_search_space(space)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    home = tmp_path_factory.mktemp("course-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        configure_tracking(home)
        yield use_experiment("99.5 Hyperopt checks", home), home


def logging_objective(experiment_id, parent_run_id, seconds):
    """A cheap objective that logs a child run the way the objective of 03.1 does, from any process."""
    tracking_uri = mlflow.get_tracking_uri()

    def objective(params):
        import time

        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        with mlflow.start_run(experiment_id=experiment_id, parent_run_id=parent_run_id, nested=True) as run:
            mlflow.log_metric("val_rmse", params["x"])
            time.sleep(seconds)
        return {"status": "ok", "loss": params["x"], "config": {"x": params["x"]}, "run_id": run.info.run_id}

    return objective


def search(experiment_id, trials, budget, seconds, summary=True):
    with mlflow.start_run(experiment_id=experiment_id, run_name="search") as parent:
        fmin(
            logging_objective(experiment_id, parent.info.run_id, seconds),
            {"x": hp.uniform("x", 0.5, 1.0)},
            algo=rand.suggest,
            max_evals=budget,
            trials=trials,
            max_queue_len=2,
            show_progressbar=False,
            rstate=np.random.default_rng(0),
        )
        if summary:
            tuning.log_search_summary(trials.results, "unit test")
    return parent.info.run_id


@pytest.fixture(scope="module")
def spark_search(store, spark):
    tuning.quiet_spark_trials()
    trials = SparkTrials(parallelism=2, spark_session=spark)
    return trials, search(store[0], trials, budget=2, seconds=3.0)


def test_search_passes_on_a_parallel_search_with_child_runs(spark_search):
    trials, parent_run_id = spark_search
    checks.check_search(trials, parent_run_id, budget=2)


def test_search_fails_when_the_trials_ran_one_after_another(store, capsys):
    trials = Trials()
    parent_run_id = search(store[0], trials, budget=2, seconds=0.1)
    with pytest.raises(LabCheckFailed):
        checks.check_search(trials, parent_run_id, budget=2)
    assert "SparkTrials(parallelism=2, spark_session=spark)" in capsys.readouterr().out


def test_search_fails_without_child_runs_of_that_parent(store, spark_search, capsys):
    trials, _ = spark_search
    with mlflow.start_run(experiment_id=store[0], run_name="another parent") as other:
        tuning.log_search_summary(trials.results, "unit test")
    capsys.readouterr()
    with pytest.raises(LabCheckFailed):
        checks.check_search(trials, other.info.run_id, budget=2)
    assert "partial(objective, parent_run_id=parent.info.run_id)" in capsys.readouterr().out


def test_search_fails_on_a_different_budget_or_a_missing_summary(store, spark_search, capsys):
    trials, parent_run_id = spark_search
    capsys.readouterr()
    with pytest.raises(LabCheckFailed):
        checks.check_search(trials, parent_run_id, budget=3)
    assert "max_evals=BUDGET" in capsys.readouterr().out
    mlflow.MlflowClient().delete_tag(parent_run_id, tuning.TAG)
    try:
        with pytest.raises(LabCheckFailed):
            checks.check_search(trials, parent_run_id, budget=2)
        assert "tuning.log_search_summary" in capsys.readouterr().out
    finally:
        mlflow.MlflowClient().set_tag(parent_run_id, tuning.TAG, tuning.SEARCH)


def test_tuning_paid_off(capsys):
    results = [
        {"status": "ok", "loss": 0.8, "config": {}},
        {"status": "fail", "config": {}},
        {"status": "ok", "loss": 0.6, "config": {}},
    ]
    checks.check_tuning_paid_off(results[2], results, untuned_val_rmse=0.7)
    # another correct answer: sorted by loss, first kept (a copy of the dict, not the same object)
    checks.check_tuning_paid_off(
        dict(sorted((r for r in results if r["status"] == "ok"), key=lambda r: r["loss"])[0]),
        results,
        untuned_val_rmse=0.7,
    )
    capsys.readouterr()
    with pytest.raises(LabCheckFailed):
        checks.check_tuning_paid_off(results[0], results, untuned_val_rmse=0.9)  # the first trial, not the best
    assert "a failed trial has no loss" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):
        checks.check_tuning_paid_off(max(results[::2], key=lambda r: r["loss"]), results, untuned_val_rmse=0.9)
    assert "with the lowest loss" in capsys.readouterr().out  # max instead of min
    with pytest.raises(LabCheckFailed):
        checks.check_tuning_paid_off(results[2], results, untuned_val_rmse=0.5)  # no better than untuned
    assert "a larger BUDGET" in capsys.readouterr().out


@pytest.fixture(scope="module")
def housing_like():
    rng = np.random.default_rng(1)
    X = rng.normal(loc=3.0, size=(300, 8)).astype("float32")
    y = (X[:, 0] - 0.5 * X[:, 1]).astype("float32")
    return X[:200], y[:200], X[200:250], y[200:250], X[250:], y[250:]


def test_final_model(housing_like, capsys):
    X_train, y_train, X_val, y_val, X_test, y_test = housing_like
    config = {"learning_rate": 0.01, "width": 16, "depth": 2, "activation": "relu", "optimizer": "adam"}
    X_full, y_full = np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val])
    model = tuning.build_model(config, X_full)
    model.fit(X_full, y_full, epochs=1, verbose=0)
    test_rmse = model.evaluate(X_test, y_test, verbose=0)[1]
    checks.check_final_model(model, config, X_full, y_full, X_test, y_test, test_rmse)
    # another correct answer: the features stacked the other way round, the RMSE computed by hand
    X_other, y_other = np.vstack([X_val, X_train]), np.hstack([y_val, y_train])
    other = tuning.build_model(config, X_other)
    other.fit(X_other, y_other, epochs=1, verbose=0)
    by_hand = float(np.sqrt(np.mean((other.predict(X_test, verbose=0).ravel() - y_test) ** 2)))
    checks.check_final_model(other, config, X_other, y_other, X_test, y_test, by_hand)
    capsys.readouterr()
    with pytest.raises(LabCheckFailed):  # scored on validation, not test
        checks.check_final_model(
            model, config, X_full, y_full, X_test, y_test, model.evaluate(X_val, y_val, verbose=0)[1]
        )
    assert "measured once on the test set" not in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):  # evaluate's first value: the MSE
        checks.check_final_model(
            model, config, X_full, y_full, X_test, y_test, model.evaluate(X_test, y_test, verbose=0)[0]
        )
    assert "evaluate's second value is the RMSE" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):  # not the winner's depth
        checks.check_final_model(model, {**config, "depth": 3}, X_full, y_full, X_test, y_test, test_rmse)
    assert "best configuration's depth and width" in capsys.readouterr().out
    train_only = tuning.build_model(config, X_train)
    train_only.fit(X_train, y_train, epochs=1, verbose=0)
    with pytest.raises(LabCheckFailed):  # built on the training rows only
        checks.check_final_model(
            train_only, config, X_full, y_full, X_test, y_test, train_only.evaluate(X_test, y_test, verbose=0)[1]
        )
    assert "Join the training and validation rows" in capsys.readouterr().out
    diverged = tuning.build_model(config, X_full)
    diverged.layers[-1].kernel.assign(np.full(diverged.layers[-1].kernel.shape, np.nan))  # as after an overflow
    with pytest.raises(LabCheckFailed):  # NaN everywhere: not a result, even if test_rmse is that NaN
        checks.check_final_model(
            diverged, config, X_full, y_full, X_test, y_test, diverged.evaluate(X_test, y_test, verbose=0)[1]
        )
    assert "The final model diverged" in capsys.readouterr().out


# --- Step 2: the objective, written by the learner in several ways ------------------------------------------


def lab_objective(
    data, experiment_id, *, score="evaluate", parent="explicit", diverged="fail", use_config=True, log_params=True
):
    """An objective as a learner writes it in 03.1L, right or with one plausible mistake."""
    X_train, y_train, X_val, y_val = data

    def objective(params, parent_run_id):
        config = tuning.flatten(params)
        run = (
            mlflow.start_run(experiment_id=experiment_id, parent_run_id=parent_run_id, nested=True)
            if parent == "explicit"
            else mlflow.start_run(nested=True)
        )
        with run:
            if log_params:
                mlflow.log_params(config)
            keras.utils.set_random_seed(0)
            # the mistake: a fixed model (here one that learns fast on these few rows), whatever the configuration
            settings = config if use_config else {**tuning.UNTUNED, "learning_rate": 0.05}
            model = tuning.build_model(settings, X_train)
            model.fit(X_train, y_train, epochs=2 if use_config else 10, batch_size=32, verbose=0)
            if score == "evaluate":
                val_rmse = float(model.evaluate(X_val, y_val, verbose=0)[1])
            elif score == "mse":
                val_rmse = float(model.evaluate(X_val, y_val, verbose=0)[0])
            else:  # numpy, by hand
                val_rmse = float(np.sqrt(np.mean((model.predict(X_val, verbose=0).ravel() - y_val) ** 2)))
            if diverged == "fail" and not np.isfinite(val_rmse):
                return {"status": STATUS_FAIL, "config": config}
            if diverged == "raise" and not np.isfinite(val_rmse):
                raise ValueError("training diverged")
            mlflow.log_metric("val_rmse", val_rmse)
        return {"loss": val_rmse, "status": STATUS_OK, "config": config}

    return objective


def tracked_objective(data, experiment_id):
    """Another correct design: the run logged through MlflowClient, the loss scored with keras.metrics."""
    X_train, y_train, X_val, y_val = data

    def objective(params, parent_run_id):
        config = tuning.flatten(params)
        client = mlflow.MlflowClient()
        run = client.create_run(experiment_id, tags={"mlflow.parentRunId": parent_run_id})
        for key, value in config.items():
            client.log_param(run.info.run_id, key, value)
        model = tuning.build_model(config, X_train)
        model.fit(X_train, y_train, epochs=1, verbose=0)
        metric = keras.metrics.RootMeanSquaredError()
        metric.update_state(y_val, model.predict(X_val, verbose=0).ravel())
        val_rmse = float(metric.result())
        if np.isnan(val_rmse):
            client.set_terminated(run.info.run_id, "FAILED")
            return {"status": STATUS_FAIL}
        client.log_metric(run.info.run_id, "val_rmse", val_rmse)
        client.set_terminated(run.info.run_id)
        return {"status": STATUS_OK, "loss": val_rmse, "config": config}

    return objective


@pytest.fixture(scope="module")
def tuning_data(housing_like):
    return tuning.TuningData(*housing_like[:4])


@pytest.mark.parametrize("variant", ["solution", "numpy-rmse", "client-api"])
def test_objective_passes_on_correct_designs(store, tuning_data, variant, capsys):
    objective = (
        tracked_objective(tuning_data, store[0])
        if variant == "client-api"
        else lab_objective(tuning_data, store[0], score="numpy" if variant == "numpy-rmse" else "evaluate")
    )
    checks.check_objective(objective, tuning_data.y_val, store[0])
    assert "All 6 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mistake, options, expected",
    [
        ("the MSE returned", {"score": "mse"}, "looks like the mean squared error"),
        ("nested=True alone", {"parent": "active"}, "no run is active, so `nested=True`"),
        ("diverged trial raises", {"diverged": "raise"}, "an exception stops the whole search"),
        ("NaN returned as ok", {"diverged": "ok"}, "should return status STATUS_FAIL"),
        ("configuration ignored", {"use_config": False}, "does not seem to use the configuration"),
        ("no parameters logged", {"log_params": False}, "and no parameters"),
    ],
)
def test_objective_fails_on_plausible_mistakes(store, tuning_data, mistake, options, expected, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_objective(lab_objective(tuning_data, store[0], **options), tuning_data.y_val, store[0])
    assert expected in capsys.readouterr().out, mistake


def test_objective_that_returns_nothing_fails_with_its_hint(store, tuning_data, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_objective(lambda params, parent_run_id: None, tuning_data.y_val, store[0])
    assert "should return a dict" in capsys.readouterr().out
