"""A real local SparkSession from includes, and the MLflow lab's checks on real runs, DataFrames and a real
model server: each check passes on the solution's answer and on another correct design, and fails with its
own hint on the mistakes a learner would really make."""

import json
import urllib.request

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests

from includes.labs.checks import LabCheckFailed
from includes.lessons.mlflow import checks
from includes.lessons.mlflow.helpers import serve_model
from includes.setup.tracking import configure_tracking, use_experiment


def test_local_spark_runs_python_workers_with_arrow(spark):
    assert spark.sparkContext.master == "local[2]"
    assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"
    assert spark.range(4).rdd.map(lambda row: row.id * 2).sum() == 12  # a real Python worker


def test_check_scored(spark, capsys):
    frame = spark.createDataFrame(pd.DataFrame({"district": [1, 2, 3], "a": [1.0, 3.0, 5.0]}))
    expected = np.array([0.5, 1.5, 2.5])
    checks.check_scored(frame.withColumn("prediction", frame["a"] / 2), expected, expected_rows=3)
    # another correct design: select the columns and the prediction instead of withColumn
    checks.check_scored(frame.select("district", (frame["a"] * 0.5).alias("prediction")), expected, expected_rows=3)
    capsys.readouterr()
    with pytest.raises(LabCheckFailed):  # another model's predictions
        checks.check_scored(frame.withColumn("prediction", frame["a"]), expected, expected_rows=3)
    assert "champion's alias URI" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):  # the column named after the target, not 'prediction'
        checks.check_scored(frame.withColumn("price", frame["a"] / 2), expected, expected_rows=3)
    assert "under the column name 'prediction'" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):  # a sample only
        checks.check_scored(frame.withColumn("prediction", frame["a"] / 2).limit(2), expected, expected_rows=3)
    assert "not a sample or a limit" in capsys.readouterr().out


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


def test_runs_logged(experiment, capsys):
    checks.check_runs_logged(mlflow.search_runs(experiment_ids=[experiment]))
    with mlflow.start_run(experiment_id=experiment):  # another correct design: log_params / log_metrics
        mlflow.log_params({"hidden_units": 16, "epochs": 3})
        mlflow.log_metrics({"val_rmse": 0.8, "train_rmse": 0.7})
    checks.check_runs_logged(mlflow.search_runs(experiment_ids=[experiment]), min_runs=4)
    capsys.readouterr()


@pytest.mark.parametrize(
    "mistake, log, expected",
    [
        (
            "metric named rmse",
            lambda units: (mlflow.log_param("hidden_units", units), mlflow.log_metric("rmse", 0.5)),
            "No run logs a metric named 'val_rmse'",
        ),
        (
            "parameter named units",
            lambda units: (mlflow.log_param("units", units), mlflow.log_metric("val_rmse", 0.5)),
            "No run logs a parameter named 'hidden_units'",
        ),
    ],
)
def test_runs_logged_fails_on_wrong_names(monkeypatch, tmp_path, capsys, mistake, log, expected):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    configure_tracking(tmp_path)
    experiment_id = use_experiment("99.2 Names", tmp_path)
    for units in (8, 32, 64):
        with mlflow.start_run(experiment_id=experiment_id):
            log(units)
    with pytest.raises(LabCheckFailed):
        checks.check_runs_logged(mlflow.search_runs(experiment_ids=[experiment_id]))
    assert expected in capsys.readouterr().out, mistake


def test_runs_logged_fails_when_every_width_went_into_one_run(experiment, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_runs_logged(mlflow.search_runs(experiment_ids=[experiment]), min_runs=4)
    assert "each call (each width) is a run of its own" in capsys.readouterr().out


def test_best_run(experiment, capsys):
    runs = mlflow.search_runs(experiment_ids=[experiment])
    best = mlflow.search_runs(experiment_ids=[experiment], order_by=["metrics.val_rmse ASC"]).iloc[0]["run_id"]
    checks.check_best_run(best, runs)
    checks.check_best_run(runs.loc[runs["metrics.val_rmse"].idxmin(), "run_id"], runs)  # pandas instead
    capsys.readouterr()
    with pytest.raises(LabCheckFailed):  # sorted the wrong way
        checks.check_best_run(runs.sort_values("metrics.val_rmse").iloc[-1]["run_id"], runs)
    assert "sort in ascending order" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):  # the whole row, not its id
        checks.check_best_run(runs.sort_values("metrics.val_rmse").iloc[0], runs)
    assert "Keep only the id" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):  # the newest run: search_runs' default order
        checks.check_best_run(runs.iloc[0]["run_id"], runs)
    assert "not by the order they were made" in capsys.readouterr().out


class Double(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.Series:
        return model_input["a"] * 2.0


def test_registered_champion(experiment, capsys):
    runs = mlflow.search_runs(experiment_ids=[experiment])
    best, other = runs.sort_values("metrics.val_rmse")["run_id"].iloc[:2]
    client = mlflow.MlflowClient()
    with pytest.raises(LabCheckFailed):
        checks.check_registered(client, "unit-test-model", best)  # nothing registered yet
    assert "an alias is set separately" in capsys.readouterr().out
    with mlflow.start_run(run_id=other):  # requirements given: inferring them would start a process
        info = mlflow.pyfunc.log_model(name="model", python_model=Double(), pip_requirements=["mlflow"])
    version = mlflow.register_model(info.model_uri, "unit-test-model")
    client.set_registered_model_alias("unit-test-model", "Champion", version.version)
    with pytest.raises(LabCheckFailed):
        checks.check_registered(client, "unit-test-model", other)  # the alias spelt another way
    assert "case-sensitive" in capsys.readouterr().out
    client.set_registered_model_alias("unit-test-model", "champion", version.version)
    with pytest.raises(LabCheckFailed):
        checks.check_registered(client, "unit-test-model", best)  # champion is not the best run
    assert "Register the model logged by the best run" in capsys.readouterr().out
    checks.check_registered(client, "unit-test-model", other)
    # another correct design: the version made with the client's create_model_version
    with mlflow.start_run(run_id=best):
        info = mlflow.pyfunc.log_model(name="model", python_model=Double(), pip_requirements=["mlflow"])
    made = client.create_model_version("unit-test-model", info.model_uri, run_id=best)
    client.set_registered_model_alias("unit-test-model", "champion", made.version)
    checks.check_registered(client, "unit-test-model", best)
    # a mistake from older tutorials: the client's call given a runs:/ path, which it stores unresolved
    unresolved = client.create_model_version("unit-test-model", f"runs:/{best}/model", run_id=best)
    client.set_registered_model_alias("unit-test-model", "champion", unresolved.version)
    with pytest.raises(LabCheckFailed):
        checks.check_registered(client, "unit-test-model", best)
    assert "points at no model MLflow can load" in capsys.readouterr().out


# --- Step 5: the REST request, against a real `mlflow models serve` -----------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from sklearn.linear_model import LinearRegression

    home = tmp_path_factory.mktemp("course-home")
    rows = pd.DataFrame({"MedInc": [1.0, 2.0, 3.0, 4.0], "HouseAge": [10.0, 20.0, 5.0, 40.0]})
    model = LinearRegression().fit(rows, rows["MedInc"] * 0.5 + rows["HouseAge"] * 0.01)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        configure_tracking(home)
        experiment_id = use_experiment("99.4 Serving", home)
        with mlflow.start_run(experiment_id=experiment_id):
            # Requirements given: inferring them loads the model in a new process, seconds these tests do not need.
            info = mlflow.sklearn.log_model(
                model, name="model", input_example=rows.head(2), pip_requirements=["scikit-learn"]
            )
        with serve_model(info.model_uri) as url:
            yield url, rows, model.predict(rows)


def solution_request(url, frame):
    payload = {"dataframe_split": frame.to_dict(orient="split")}
    response = requests.post(f"{url}/invocations", json=payload, timeout=60)
    response.raise_for_status()
    return response.json()["predictions"]


def records_with_urllib(url, frame):
    """Another correct design: the records layout, sent with the standard library."""
    body = json.dumps({"dataframe_records": frame.to_dict(orient="records")}).encode()
    request = urllib.request.Request(f"{url}/invocations", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["predictions"]


@pytest.mark.parametrize("request_rows", [solution_request, records_with_urllib], ids=["split", "records-urllib"])
def test_rest_scoring_passes_on_correct_requests(server, request_rows, capsys):
    url, rows, expected = server
    checks.check_rest_scoring(request_rows, url, rows, expected)
    assert "All 3 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "mistake, request_rows, expected",
    [
        (
            "rows without a layout key",
            lambda url, frame: requests.post(f"{url}/invocations", json=frame.to_dict(orient="split")).json(),
            "The server refused the body",
        ),
        (
            "rows without a layout key, raise_for_status",
            lambda url, frame: requests.post(
                f"{url}/invocations", data=frame.to_json(orient="split"), headers={"Content-Type": "application/json"}
            ).raise_for_status(),
            "wrap the rows in a key that names their layout",
        ),
        (
            "no /invocations path",
            lambda url, frame: requests.post(
                url, json={"dataframe_split": frame.to_dict(orient="split")}
            ).raise_for_status(),
            "POST to f'{url}/invocations'",
        ),
        (
            "the whole answer returned",
            lambda url, frame: requests.post(
                f"{url}/invocations", json={"dataframe_split": frame.to_dict(orient="split")}
            ).json(),
            "return response.json()['predictions']",
        ),
        (
            "only the first row sent",
            lambda url, frame: solution_request(url, frame.head(1)),
            "one prediction per row sent",
        ),
    ],
)
def test_rest_scoring_fails_on_plausible_mistakes(server, mistake, request_rows, expected, capsys):
    url, rows, predictions = server
    with pytest.raises(LabCheckFailed):
        checks.check_rest_scoring(request_rows, url, rows, predictions)
    assert expected in capsys.readouterr().out, mistake
