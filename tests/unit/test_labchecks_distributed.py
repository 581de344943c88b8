"""Lab 04.2L's checks pass on a right answer and fail on a wrong one."""
import mlflow
import pandas as pd
import pytest

from includes.labs.checks import LabCheckFailed
from includes.lessons.distributed import checks
from includes.setup.tracking import configure_tracking, use_experiment


def result(rank, size=2, sums=(1.5, 1.5)):
    return {"rank": rank, "size": size, "losses": [0.9, 0.5], "weight_sums": list(sums), "val_rmse": 0.6}


def test_dry_run():
    checks.check_dry_run(result(0, size=1))
    with pytest.raises(LabCheckFailed):
        checks.check_dry_run({**result(0, size=1), "losses": [float("nan")]})


def test_workers_in_sync():
    checks.check_workers_in_sync([result(0), result(1)])
    with pytest.raises(LabCheckFailed):
        checks.check_workers_in_sync([result(0, sums=(1.5, 1.7)), result(1, sums=(1.5, 1.7))])
    with pytest.raises(LabCheckFailed):
        checks.check_workers_in_sync([result(0)])  # one worker missing


def test_logged_once(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    configure_tracking(tmp_path)
    experiment = use_experiment("99.2 Distributed checks", tmp_path)
    since = pd.Timestamp.now(tz="UTC")
    with mlflow.start_run(experiment_id=experiment):
        mlflow.log_param("workers", 2)
        mlflow.log_metric("val_rmse", 0.6)
    checks.check_logged_once(mlflow.search_runs(experiment_ids=[experiment]), since=since)
    with mlflow.start_run(experiment_id=experiment):  # a second worker logging too
        mlflow.log_param("workers", 2)
        mlflow.log_metric("val_rmse", 0.6)
    with pytest.raises(LabCheckFailed):
        checks.check_logged_once(mlflow.search_runs(experiment_ids=[experiment]), since=since)


def test_beats_linear_baseline():
    checks.check_beats_linear_baseline(0.6, 0.72, small=False)
    checks.check_beats_linear_baseline(1.1, 0.72, small=True)  # reported, not required, on small data
    with pytest.raises(LabCheckFailed):
        checks.check_beats_linear_baseline(0.8, 0.72, small=False)
