"""Checks for lab 02.1L (MLflow)."""
from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks


def check_runs_logged(runs, min_runs: int = 3):
    """Step 1: runs with a hidden_units parameter, a val_rmse metric and a model."""
    with LabChecks("Step 1: tracked runs") as check:
        complete = runs.dropna(subset=["params.hidden_units", "metrics.val_rmse"]) if len(runs) else runs
        check(lambda: len(complete) >= min_runs,
              ok=f"The experiment holds {len(complete)} runs with hidden_units and val_rmse logged.",
              problem=f"The experiment should hold at least {min_runs} runs that log the parameter "
                      f"'hidden_units' and the metric 'val_rmse'; it has {len(complete)}.",
              hint="Inside `with mlflow.start_run():` call mlflow.log_param('hidden_units', ...) and "
                   "mlflow.log_metric('val_rmse', ...).")


def check_best_run(best_run_id, runs):
    """Step 2: the run with the lowest validation RMSE, found in code."""
    expected = runs.sort_values("metrics.val_rmse").iloc[0]
    with LabChecks("Step 2: the best run") as check:
        check(lambda: best_run_id == expected["run_id"],
              ok=f"Run {best_run_id[:8]}… has the lowest validation RMSE ({expected['metrics.val_rmse']:.3f}).",
              problem=f"`best_run_id` should be the run with the lowest val_rmse ({expected['run_id'][:8]}…), "
                      f"not {str(best_run_id)[:8]}….",
              hint="mlflow.search_runs(..., order_by=['metrics.val_rmse ASC']).iloc[0]['run_id']")


def check_registered(client, model_name: str, best_run_id: str):
    """Step 3: the best run's model, registered, with the alias champion."""
    with LabChecks("Step 3: the registered model") as check:
        version = None
        try:
            version = client.get_model_version_by_alias(model_name, "champion")
        except Exception:  # noqa: BLE001 - reported as a failed check below
            pass
        check(version is not None,
              ok=f"'{model_name}' has a version with the alias champion (version {getattr(version, 'version', '?')}).",
              problem=f"No version of '{model_name}' carries the alias 'champion'.",
              hint="client.set_registered_model_alias(MODEL_NAME, 'champion', version.version)")
        check(lambda: version.run_id == best_run_id,
              ok="The champion is the model of your best run.",
              problem="The champion version should come from the best run.",
              hint="Register f'runs:/{best_run_id}/model'.")


def check_scored(scored, expected_predictions, expected_rows: int):
    """Step 4: every test row scored on Spark, matching local predictions."""
    with LabChecks("Step 4: scoring on Spark") as check:
        check(lambda: "prediction" in scored.columns,
              ok="The DataFrame has a 'prediction' column.",
              problem="`scored` should have a column named 'prediction'.",
              hint="scored = test_frame.withColumn('prediction', predict(*FEATURES))")
        rows = scored.select("district", "prediction").toPandas().sort_values("district") \
            if "prediction" in scored.columns else None
        check(lambda: len(rows) == expected_rows,
              ok=f"All {expected_rows:,} test rows were scored.",
              problem=f"There should be {expected_rows:,} scored rows.",
              hint="Score test_frame, not a sample of it.")
        check(lambda: np.allclose(rows["prediction"].to_numpy(), expected_predictions, rtol=1e-5),
              ok="Spark's predictions equal the champion's local predictions.",
              problem="Spark's predictions differ from the champion model's local predictions.",
              hint="Build the UDF from the champion's URI, f'models:/{MODEL_NAME}@champion'.")
