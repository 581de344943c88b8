"""A real local SparkSession from includes, and the MLflow lab's checks on real runs and DataFrames."""
import mlflow
import numpy as np
import pandas as pd
import pytest

from includes.labs.checks import LabCheckFailed
from includes.lessons.mlflow import checks
from includes.setup.spark import start_spark
from includes.setup.tracking import configure_tracking, use_experiment


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    session = start_spark("unit tests", tmp_path_factory.mktemp("course-home"))
    yield session
    session.stop()


def test_local_spark_runs_python_workers_with_arrow(spark):
    assert spark.sparkContext.master == "local[2]"
    assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
    assert spark.range(4).rdd.map(lambda row: row.id * 2).sum() == 12  # a real Python worker


def test_check_scored(spark):
    frame = spark.createDataFrame(pd.DataFrame({"district": [1, 2, 3], "prediction": [0.5, 1.5, 2.5]}))
    checks.check_scored(frame, np.array([0.5, 1.5, 2.5]), expected_rows=3)
    with pytest.raises(LabCheckFailed):
        checks.check_scored(frame, np.array([0.5, 1.5, 9.0]), expected_rows=3)
    with pytest.raises(LabCheckFailed):
        checks.check_scored(frame.drop("prediction"), np.array([0.5, 1.5, 2.5]), expected_rows=3)


@pytest.fixture
def experiment(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    configure_tracking(tmp_path)
    experiment_id = use_experiment("99.1 Checks", tmp_path)
    for units, rmse in ((8, 0.9), (32, 0.6), (64, 0.7)):
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.log_param("hidden_units", units)
            mlflow.log_metric("val_rmse", rmse)
    return experiment_id


def test_runs_and_best_run(experiment):
    runs = mlflow.search_runs(experiment_ids=[experiment])
    checks.check_runs_logged(runs)
    with pytest.raises(LabCheckFailed):
        checks.check_runs_logged(runs, min_runs=4)
    best = runs.sort_values("metrics.val_rmse").iloc[0]["run_id"]
    checks.check_best_run(best, runs)
    with pytest.raises(LabCheckFailed):
        checks.check_best_run(runs.sort_values("metrics.val_rmse").iloc[1]["run_id"], runs)


def test_registered_champion(experiment):
    class Double(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.Series:
            return model_input["a"] * 2.0

    runs = mlflow.search_runs(experiment_ids=[experiment])
    best, other = runs.sort_values("metrics.val_rmse")["run_id"].iloc[:2]
    client = mlflow.MlflowClient()
    with pytest.raises(LabCheckFailed):
        checks.check_registered(client, "unit-test-model", best)  # nothing registered yet
    with mlflow.start_run(run_id=other):
        info = mlflow.pyfunc.log_model(name="model", python_model=Double())
    version = mlflow.register_model(info.model_uri, "unit-test-model")
    client.set_registered_model_alias("unit-test-model", "champion", version.version)
    with pytest.raises(LabCheckFailed):
        checks.check_registered(client, "unit-test-model", best)  # champion is not the best run
    checks.check_registered(client, "unit-test-model", other)
