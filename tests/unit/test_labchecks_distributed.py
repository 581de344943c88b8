"""Lab 04.2L's checks: the solution's results pass, the mistakes a learner really makes fail with their own
hint, and other correct designs (HorovodRunner's rank-0-only result, other MLflow names) pass."""

import mlflow
import pandas as pd
import pytest

from includes.labs.checks import LabCheckFailed
from includes.lessons.distributed import checks
from includes.setup.tracking import configure_tracking, use_experiment


def result(rank, size=2, sums=(1.5, 1.5), start=(0.2, 0.2), losses=(0.9, 0.5), rate=0.002):
    return {
        "rank": rank,
        "size": size,
        "losses": list(losses),
        "val_rmse": 0.6,
        "learning_rate": rate,
        "start_weight_sums": list(start)[:size],
        "weight_sums": list(sums)[:size],
    }


def fails_with(capsys, hint, function, *arguments, **keywords):
    with pytest.raises(LabCheckFailed):
        function(*arguments, **keywords)
    assert hint in capsys.readouterr().out


# --- Step 1: the dry run -------------------------------------------------------------------------------


def test_dry_run_passes_the_solution():
    checks.check_dry_run(result(0, size=1, rate=0.001))


def test_dry_run_with_a_diverging_rate_fails(capsys):
    fails_with(capsys, "far too large", checks.check_dry_run, result(0, size=1, losses=(3.0, float("nan"))))


def test_dry_run_whose_step_never_applies_the_gradients_fails(capsys):
    fails_with(
        capsys, "hand the gradients to the optimizer", checks.check_dry_run, result(0, size=1, losses=(5.1, 5.1))
    )


def test_dry_run_through_a_launcher_fails(capsys):
    fails_with(capsys, "not through a launcher", checks.check_dry_run, result(1, size=2))


# --- Step 2: the workers -------------------------------------------------------------------------------


def test_workers_in_sync_passes_the_solution():
    checks.check_workers_in_sync([result(0), result(1)])


def test_horovodrunners_rank_0_result_is_accepted():
    checks.check_workers_in_sync(result(0))  # HorovodRunner returns rank 0's result only


def test_a_broadcast_inside_the_first_step_is_accepted():
    # the older Horovod pattern: broadcast after the first batch, so the starts differ but the ends agree
    checks.check_workers_in_sync([result(0, start=(0.2, 0.7)), result(1, start=(0.2, 0.7))])


def test_a_missing_broadcast_fails_with_its_hint(capsys):
    drifted = dict(sums=(1.5, 1.7), start=(0.2, 0.7))
    fails_with(
        capsys,
        "started from different weights",
        checks.check_workers_in_sync,
        [result(0, **drifted), result(1, **drifted)],
    )


def test_unaveraged_gradients_fail_with_their_hint(capsys):
    drifted = dict(sums=(1.5, 1.7), start=(0.2, 0.2))  # e.g. hvd.DistributedOptimizer with Keras 3
    fails_with(
        capsys,
        "gradients were not averaged",
        checks.check_workers_in_sync,
        [result(0, **drifted), result(1, **drifted)],
    )


def test_an_unscaled_learning_rate_fails(capsys):
    fails_with(
        capsys,
        "multiply the base rate by hvd.size()",
        checks.check_workers_in_sync,
        [result(0, rate=0.001), result(1, rate=0.001)],
        base_learning_rate=0.001,
    )


def test_a_learning_rate_scaled_twice_fails(capsys):
    fails_with(
        capsys,
        "Multiply the base rate by the number of workers, hvd.size(), once",
        checks.check_workers_in_sync,
        [result(0, rate=0.004), result(1, rate=0.004)],
        base_learning_rate=0.001,
    )


def test_a_launch_on_one_process_fails(capsys):
    fails_with(capsys, "as many processes as WORKERS", checks.check_workers_in_sync, [result(0, size=1)])


# --- Step 2: the MLflow run ----------------------------------------------------------------------------


@pytest.fixture()
def experiment(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    configure_tracking(tmp_path)
    return use_experiment("99.2 Distributed checks", tmp_path)


def log(experiment, params, metrics):
    with mlflow.start_run(experiment_id=experiment):
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)


def test_logged_once_passes_the_solution(experiment):
    since = pd.Timestamp.now(tz="UTC")
    log(experiment, {"workers": 2}, {"val_rmse": 0.6})
    checks.check_logged_once(mlflow.search_runs(experiment_ids=[experiment]), since=since)


def test_other_names_for_the_same_record_are_accepted(experiment):
    since = pd.Timestamp.now(tz="UTC")
    log(experiment, {"num_workers": 2, "learning_rate": 0.002}, {"validation_rmse": 0.6, "train_loss": 0.3})
    checks.check_logged_once(mlflow.search_runs(experiment_ids=[experiment]), since=since)


def test_every_worker_logging_fails(experiment, capsys):
    since = pd.Timestamp.now(tz="UTC")
    log(experiment, {"workers": 2}, {"val_rmse": 0.6})
    log(experiment, {"workers": 2}, {"val_rmse": 0.6})  # rank 1 logged too
    fails_with(
        capsys,
        "only the worker of rank 0 should log",
        checks.check_logged_once,
        mlflow.search_runs(experiment_ids=[experiment]),
        since=since,
    )


def test_logging_the_rank_instead_of_the_size_fails(experiment, capsys):
    since = pd.Timestamp.now(tz="UTC")
    log(experiment, {"workers": 0}, {"val_rmse": 0.6})
    fails_with(
        capsys, "not hvd.rank()", checks.check_logged_once, mlflow.search_runs(experiment_ids=[experiment]), since=since
    )


def test_a_run_without_the_rmse_fails(experiment, capsys):
    since = pd.Timestamp.now(tz="UTC")
    log(experiment, {"workers": 2}, {"train_loss": 0.3})
    fails_with(
        capsys,
        "RMSE the function computed",
        checks.check_logged_once,
        mlflow.search_runs(experiment_ids=[experiment]),
        since=since,
    )


def test_nothing_logged_fails(experiment, capsys):
    since = pd.Timestamp.now(tz="UTC")
    fails_with(
        capsys,
        "Nothing reached the experiment",
        checks.check_logged_once,
        mlflow.search_runs(experiment_ids=[experiment]),
        since=since,
    )


# --- Step 3: the baseline ------------------------------------------------------------------------------


def test_beats_linear_baseline():
    checks.check_beats_linear_baseline([result(0), result(1)], 0.72, small=False)
    checks.check_beats_linear_baseline(result(0), 0.72, small=False)  # HorovodRunner's result
    checks.check_beats_linear_baseline([{**result(0), "val_rmse": 1.1}], 0.72, small=True)  # reported only


def test_an_undertrained_model_fails(capsys):
    fails_with(
        capsys,
        "Train for more epochs",
        checks.check_beats_linear_baseline,
        [{**result(0), "val_rmse": 0.8}],
        0.72,
        small=False,
    )


def test_a_diverged_model_fails(capsys):
    fails_with(
        capsys,
        "The training diverged",
        checks.check_beats_linear_baseline,
        [{**result(0), "val_rmse": float("nan")}],
        0.72,
        small=False,
    )


def test_without_horovod_the_notebook_stops_with_one_sentence(monkeypatch):
    import importlib.util

    from includes.lessons.distributed.helpers import require_horovod
    from includes.setup.environment import CourseSetupError

    require_horovod()  # installed here
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "horovod" else real_find_spec(name, *a)
    )
    with pytest.raises(CourseSetupError, match="run `make setup`"):
        require_horovod()
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    with pytest.raises(CourseSetupError, match="no Horovod .* 15.4 LTS ML .* 04.3"):
        require_horovod()
