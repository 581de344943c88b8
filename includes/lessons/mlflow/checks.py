"""Checks for lab 02.1L (MLflow): each judges what the learner's code produced, not how it was written."""

from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks, attempt, value_or


def check_runs_logged(runs, min_runs: int = 3):
    """Step 1: runs with a hidden_units parameter, a val_rmse metric and a model."""
    columns = set(getattr(runs, "columns", []))
    has_param, has_metric = "params.hidden_units" in columns, "metrics.val_rmse" in columns
    with LabChecks("Step 1: tracked runs") as check:
        complete = (
            runs.dropna(subset=["params.hidden_units", "metrics.val_rmse"])
            if has_param and has_metric and len(runs)
            else runs.iloc[0:0]
        )
        check(
            lambda: len(complete) >= min_runs,
            ok=f"The experiment holds {len(complete)} runs with hidden_units and val_rmse logged.",
            problem=f"The experiment should hold at least {min_runs} runs that log the parameter "
            f"'hidden_units' and the metric 'val_rmse'; it has {len(complete)}.",
            hint="No run logs a metric named 'val_rmse': log the validation RMSE under exactly that name."
            if has_param and not has_metric
            else "No run logs a parameter named 'hidden_units': log the width under exactly that name."
            if has_metric and not has_param
            else "Start a new run inside train_and_log, so that each call (each width) is a run of its own."
            if has_param and has_metric
            else "Inside one `with mlflow.start_run():` per call, log the parameter and the metric.",
        )


def check_best_run(best_run_id, runs):
    """Step 2: the run with the lowest validation RMSE, found in code."""
    ranked = runs.dropna(subset=["metrics.val_rmse"]).sort_values("metrics.val_rmse")
    expected, worst = ranked.iloc[0], ranked.iloc[-1]
    with LabChecks("Step 2: the best run") as check:
        check(
            lambda: best_run_id == expected["run_id"],
            ok=f"Run {best_run_id[:8]}… has the lowest validation RMSE ({expected['metrics.val_rmse']:.3f}).",
            problem=f"`best_run_id` should be the id of the run with the lowest val_rmse "
            f"({expected['run_id'][:8]}…), not {str(best_run_id)[:40]}.",
            hint="That is the run with the highest val_rmse: sort in ascending order (ASC), lowest first."
            if isinstance(best_run_id, str) and best_run_id == worst["run_id"]
            else "Keep only the id (a string): the 'run_id' of the first row, not the row itself."
            if not isinstance(best_run_id, str)
            else "Sort the runs by 'metrics.val_rmse' (search_runs' order_by), not by the order they were made.",
        )


def check_registered(client, model_name: str, best_run_id: str):
    """Step 3: the best run's model, registered, with the alias champion."""
    with LabChecks("Step 3: the registered model") as check:
        version = value_or(None, client.get_model_version_by_alias, model_name, "champion")
        names = (
            [] if version is not None else value_or([], lambda: sorted(client.get_registered_model(model_name).aliases))
        )
        check(
            version is not None,
            ok=f"'{model_name}' has a version with the alias champion (version {getattr(version, 'version', '?')}).",
            problem=f"No version of '{model_name}' carries the alias 'champion'.",
            hint=f"'{model_name}' has the alias(es) {names} only: an alias is a case-sensitive name; use ALIAS."
            if names
            else "Registering gives a version; an alias is set separately, on the registered model, "
            "pointing at that version (MlflowClient).",
        )
        if version is None:
            return
        check(
            lambda: version.run_id == best_run_id,
            ok="The champion is the model of your best run.",
            problem=f"The champion version comes from run {str(version.run_id)[:8]}…, not from the best run "
            f"{str(best_run_id)[:8]}….",
            hint="Register the model logged by the best run (its runs:/ URI), then move the alias to the "
            "version that registration returns.",
        )

        import mlflow

        loaded = value_or(None, mlflow.pyfunc.load_model, f"models:/{model_name}/{version.version}")
        check(
            lambda: loaded is not None,
            ok="MLflow finds a loadable model behind the champion.",
            problem=f"The champion version points at no model MLflow can load: nothing is logged at its "
            f"source, {getattr(version, 'source', '?')}.",
            hint="Give the registry the logged model's own address: mlflow.register_model resolves a runs:/ "
            "URI, but MlflowClient's lower-level call stores its source as given, so it needs the "
            "model URI that logging returned (models:/m-…).",
        )


def check_scored(scored, expected_predictions, expected_rows: int):
    """Step 4: every test row scored on Spark, matching local predictions."""
    with LabChecks("Step 4: scoring on Spark") as check:
        check(
            lambda: "prediction" in scored.columns,
            ok="The DataFrame has a 'prediction' column.",
            problem="`scored` should have a column named 'prediction'.",
            hint="Add the UDF's output under the column name 'prediction' (withColumn or select).",
        )
        rows = (
            scored.select("district", "prediction").toPandas().sort_values("district")
            if "prediction" in scored.columns
            else None
        )
        check(
            lambda: len(rows) == expected_rows,
            ok=f"All {expected_rows:,} test rows were scored.",
            problem=f"There should be {expected_rows:,} scored rows.",
            hint="Score the whole test_frame, not a sample or a limit of it.",
        )
        check(
            lambda: np.allclose(rows["prediction"].to_numpy(), expected_predictions, rtol=1e-5),
            ok="Spark's predictions equal the champion's local predictions.",
            problem="Spark's predictions differ from the champion model's local predictions.",
            hint="Build the UDF from the champion's alias URI (models:/<name>@<alias>), and pass it all "
            "FEATURES columns, in order.",
        )


def _request_hint(error: str) -> str:
    """The likely mistake behind a failed request to MLflow's scoring server, from the error's text."""
    if " 404" in error or "NOT FOUND" in error.upper():
        return "The server answers predictions at one path only: POST to f'{url}/invocations'."
    if " 405" in error or "METHOD NOT ALLOWED" in error.upper():
        return "Scoring is a POST with the rows in its body, not a GET."
    if " 415" in error or "UNSUPPORTED MEDIA" in error.upper():
        return "Send the body as JSON: requests.post(..., json=payload) sets Content-Type: application/json."
    if " 400" in error or "BAD REQUEST" in error.upper():
        return (
            "The server could not read the body: wrap the rows in a key that names their layout, such as "
            "{'dataframe_split': frame.to_dict(orient='split')} or {'dataframe_records': ...}."
        )
    if "Connection" in error:
        return "Send the request to the `url` the cell gives your function (the server's base address)."
    return "POST the rows as JSON to f'{url}/invocations' and return the list under 'predictions' of the answer."


def check_rest_scoring(predict_over_rest, url: str, rows, expected_predictions):
    """Step 5: the learner's REST request to a served model returns the champion's predictions for ``rows``."""
    with LabChecks("Step 5: scoring over REST") as check:
        served, error = attempt(predict_over_rest, url, rows)
        if not check(
            error is None,
            ok="The model server answered your request.",
            problem=f"Your request to the model server failed: {error}.",
            hint=_request_hint(error or ""),
        ):
            return
        refused = isinstance(served, dict) and "error_code" in served
        check(
            lambda: not refused and not isinstance(served, dict) and len(served) == len(rows),
            ok=f"It returns one prediction per row ({len(rows)} rows sent).",
            problem=(
                f"The server refused the body ({served.get('error_code')}: {str(served.get('message', ''))[:160]})."
            )
            if refused
            else (
                f"Your function returns the server's whole answer (a dict with {sorted(served)}), "
                "not the list of predictions."
            )
            if isinstance(served, dict)
            else f"Your function should return one prediction per row sent ({len(rows)}); it returned "
            f"{type(served).__name__} {str(served)[:80]}.",
            hint=_request_hint(" 400")
            if refused
            else "The answer is JSON like {'predictions': [...]}: return response.json()['predictions'].",
        )
        values = value_or(None, lambda: np.asarray(served, dtype="float64").ravel())
        check(
            lambda: np.allclose(values, np.asarray(expected_predictions, dtype="float64"), rtol=1e-5),
            ok="They equal the champion's own predictions for those rows.",
            problem="The served predictions differ from the champion's own predictions for the same rows.",
            hint="Send the rows of `frame` as they are (all columns, in order), and return the predictions "
            "in the order the server gives them.",
        )
