"""Checks for lab 03.1L (Hyperopt on Spark)."""

from __future__ import annotations

import math

import numpy as np

from includes.labs.checks import LabChecks, attempt, value_or

ACTIVATIONS = {"relu", "tanh", "elu"}
OPTIMIZERS = {"adam", "sgd", "rmsprop"}
KEYS = {"learning_rate", "width", "depth", "activation", "optimizer"}


def _draws(space, count: int):
    """Configurations drawn from the space, as Hyperopt would (fixed seed)."""
    from hyperopt.pyll.stochastic import sample

    rng = np.random.default_rng(0)
    return [sample(space, rng=rng) for _ in range(count)]


def _is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_search_space(space, draws: int = 80):
    """Step 1: five dimensions of the right kinds, with momentum only for SGD."""
    with LabChecks("Step 1: the search space") as check:
        drawn, problem = attempt(_draws, space, draws)
        drawn, error = drawn or [], f" ({problem})" if problem else ""
        if not check(
            bool(drawn) and all(isinstance(point, dict) for point in drawn),
            ok=f"Hyperopt draws configurations from `space` ({draws} tried).",
            problem="Hyperopt could not draw configurations from `space`" + error + ".",
            hint="Make `space` a dict whose values are hp.* expressions, e.g. "
            "{'learning_rate': hp.loguniform('learning_rate', np.log(3e-4), np.log(0.03)), ...}.",
        ):
            return
        check(
            lambda: all(KEYS <= set(point) for point in drawn),
            ok="Every configuration has learning_rate, width, depth, activation and optimizer.",
            problem=f"Every configuration should have the keys {sorted(KEYS)}; one has {sorted(drawn[0])}.",
            hint="Use exactly these names as the keys of the `space` dict.",
        )
        rates = np.array([point["learning_rate"] for point in drawn], dtype=float)
        middle = value_or(float("nan"), lambda: float(np.median(np.log10(rates))))
        check(
            lambda: (
                2.9e-4 <= rates.min()
                and rates.max() <= 0.031
                and rates.max() / rates.min() >= 30
                and -3.0 <= middle <= -2.0
            ),
            ok=f"Learning rates spread evenly over orders of magnitude ({rates.min():.1e} to {rates.max():.1e}).",
            problem="The learning rate should be log-uniform from 3e-4 to 0.03. The drawn rates run from "
            f"{rates.min():.1e} to {rates.max():.1e} with a median of {10**middle:.1e}; log-uniform "
            "ones have a median near 3e-3, the middle of the range in orders of magnitude.",
            hint="hp.loguniform('learning_rate', np.log(3e-4), np.log(0.03)): it takes the logarithms of the bounds.",
        )
        widths, depths = [point["width"] for point in drawn], [point["depth"] for point in drawn]
        check(
            lambda: (
                all(_is_whole(w) and 32 <= w <= 256 and w % 32 == 0 for w in widths)
                and min(widths) <= 64
                and max(widths) >= 224
            ),
            ok=f"Widths are whole multiples of 32 from {min(widths)} to {max(widths)}.",
            problem=f"Widths should be ints, multiples of 32 from 32 to 256; drawn: {sorted(set(widths))[:9]}.",
            hint="scope.int(hp.quniform('width', 32, 256, 32)): quniform gives floats such as 64.0, "
            "and scope.int makes them ints.",
        )
        check(
            lambda: all(_is_whole(d) for d in depths) and set(depths) == {1, 2, 3},
            ok="Depths are 1, 2 or 3 layers.",
            problem=f"The depth should be an int from 1 to 3; drawn: {sorted(set(depths))}.",
            hint="scope.int(hp.quniform('depth', 1, 3, 1))",
        )
        activations = {point["activation"] for point in drawn}
        check(
            lambda: activations == ACTIVATIONS,
            ok="Activations: relu, tanh and elu.",
            problem=f"The activation should be one of relu, tanh, elu; drawn: {sorted(map(str, activations))}.",
            hint="hp.choice('activation', ['relu', 'tanh', 'elu'])",
        )
        optimizers = [point["optimizer"] for point in drawn]
        names = {option.get("name") if isinstance(option, dict) else None for option in optimizers}
        check(
            lambda: names == OPTIMIZERS,
            ok="Optimizers: adam, sgd and rmsprop, each a dict with a 'name'.",
            problem="The optimizer should be a choice of dicts named adam, sgd and rmsprop; "
            f"drawn: {sorted(map(str, names))}.",
            hint="hp.choice('optimizer', [{'name': 'adam'}, {'name': 'sgd', 'momentum': ...}, {'name': 'rmsprop'}])",
        )
        check(
            lambda: (
                all(
                    isinstance(option, dict) and ("momentum" in option) == (option.get("name") == "sgd")
                    for option in optimizers
                )
                and all(0.8 <= option["momentum"] <= 0.99 for option in optimizers if "momentum" in option)
            ),
            ok="Momentum is drawn for SGD only, from 0.8 to 0.99 (a conditional dimension).",
            problem="`momentum` should exist for SGD and only for SGD, with values from 0.8 to 0.99.",
            hint="Put momentum inside the SGD option: {'name': 'sgd', 'momentum': hp.uniform('momentum', 0.8, 0.99)}.",
        )


# Two configurations whose outcome does not depend on how the learner trains: with a learning rate of 1e-6
# the model barely moves from its initial weights, so its validation RMSE is about the root mean square
# of the targets; with SGD at a learning rate of 1e12 the weights overflow within the first steps, even with
# the lab's gradient clipping (clipped steps at a learning rate of 1000 stay finite: the loss is huge, not NaN).
BARELY_TRAINED = {"learning_rate": 1e-6, "width": 32, "depth": 1, "activation": "relu", "optimizer": {"name": "adam"}}
DIVERGING = {
    "learning_rate": 1e12,
    "width": 64,
    "depth": 2,
    "activation": "relu",
    "optimizer": {"name": "sgd", "momentum": 0.99},
}


def _child_runs(parent_run_id: str, experiment_id: str):
    import mlflow

    return mlflow.search_runs(
        experiment_ids=[experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'"
    )


def check_objective(objective, y_val, experiment_id: str):
    """Step 2: the objective, judged by what it returns and logs for two known configurations.

    It is called as ``objective(params, parent_run_id)`` with no MLflow run active, as on a Spark worker.
    """
    import mlflow
    from hyperopt import STATUS_FAIL, STATUS_OK

    client = mlflow.MlflowClient()
    reference = float(np.sqrt(np.mean(np.square(np.asarray(y_val, dtype="float64")))))
    with LabChecks("Step 2: the objective") as check:
        parent = client.create_run(experiment_id, run_name="objective check")
        parent_id = parent.info.run_id
        result, error = attempt(objective, dict(BARELY_TRAINED), parent_id)
        client.set_terminated(parent_id)
        if not check(
            error is None and isinstance(result, dict),
            ok="The objective returns a dict for a configuration drawn from the space.",
            problem=f"Called with a configuration, the objective should return a dict; "
            f"it {'raised ' + error if error else 'returned ' + type(result).__name__}.",
            hint="Read the configuration's settings from the flat `config`, and end the function with "
            "return {'loss': ..., 'status': STATUS_OK} (plus the config).",
        ):
            return
        loss = value_or(math.nan, lambda: float(result.get("loss")))
        check(
            lambda: result.get("status") == STATUS_OK and math.isfinite(loss),
            ok=f"It reports a successful trial with a finite loss ({loss:.3f}).",
            problem=f"For a trial that trained normally, the result should hold status STATUS_OK ('ok') and a "
            f"finite number as 'loss'; it holds status {result.get('status')!r} and loss {result.get('loss')!r}.",
            hint="Return {'loss': <the validation RMSE as a float>, 'status': STATUS_OK}.",
        )
        squared = reference**2
        close = 0.6 * reference <= loss <= 1.6 * reference
        check(
            close,
            ok=f"The loss is the validation RMSE of the configuration it was given ({loss:.3f}; a model "
            f"that has barely trained scores about {reference:.2f}).",
            problem=(
                f"With a learning rate of 1e-6 the model barely trains, so its validation RMSE is about "
                f"{reference:.2f}; your loss is {loss:.3f}, about its square: it looks like the mean "
                "squared error, not its root."
            )
            if 0.6 * squared <= loss <= 1.6 * squared and not close
            else (
                f"With a learning rate of 1e-6 the model barely trains, so its validation RMSE is about "
                f"{reference:.2f}; your loss is {loss:.3f}, which only a model that learned could reach: "
                "the objective does not seem to use the configuration it is given."
            )
            if loss < 0.6 * reference
            else f"The loss ({loss:.3f}) should be the validation RMSE of the trained model (about {reference:.2f} "
            "for this configuration).",
            hint="Build the model from the configuration's settings (learning rate included), and score it on "
            "the validation rows with the RMSE: evaluate's first value is the loss (MSE), the RMSE "
            "metric comes after it.",
        )
        children = value_or([], _child_runs, parent_id, experiment_id)
        check(
            lambda: len(children) == 1,
            ok="It logs one MLflow run, nested under the parent run it is given.",
            problem=f"The objective should log one run whose parent is the run it is given; found "
            f"{len(children)} such run(s). On a Spark worker no run is active, so `nested=True` "
            "alone starts an unrelated top-level run.",
            hint="mlflow.start_run(experiment_id=..., parent_run_id=..., nested=True): pass the parent's "
            "id and the experiment explicitly.",
        )
        logged = value_or(math.nan, lambda: float(children["metrics.val_rmse"].iloc[0]))
        check(
            lambda: (
                math.isclose(logged, loss, rel_tol=1e-4)
                and {"params.learning_rate", "params.width"} <= set(children.columns)
                and children["params.learning_rate"].notna().iloc[0]
            ),
            ok="The run holds the configuration as parameters and the same val_rmse as the loss.",
            problem="The nested run should hold the configuration as parameters and the loss as the "
            f"metric val_rmse; it holds val_rmse {logged!r}"
            + ("" if "params.learning_rate" in getattr(children, "columns", []) else " and no parameters")
            + ".",
            hint="Inside the run: mlflow.log_params(config) and mlflow.log_metric('val_rmse', ...).",
        )
        parent = client.create_run(experiment_id, run_name="objective check, diverging")
        diverged, error = attempt(objective, dict(DIVERGING), parent.info.run_id)
        client.set_terminated(parent.info.run_id)
        status = diverged.get("status") if isinstance(diverged, dict) else None
        check(
            error is None and status == STATUS_FAIL,
            ok="A configuration whose training diverges comes back as STATUS_FAIL, and the search goes on.",
            problem=(
                f"A configuration whose training diverges made the objective raise {error}; "
                "an exception stops the whole search."
            )
            if error
            else (
                f"A configuration whose training diverges (SGD at a learning rate of 1e12) should return "
                f"status STATUS_FAIL ('fail'); it returned status {status!r} with loss "
                f"{diverged.get('loss') if isinstance(diverged, dict) else diverged!r}."
            ),
            hint="Test the validation RMSE with math.isfinite (a diverged model scores NaN) and return "
            "{'status': STATUS_FAIL} without a loss in that case.",
        )


def check_search(trials, parent_run_id: str, budget: int):
    """Step 3: a SparkTrials search that ran trials in parallel, each one a child run of the parent."""
    from .helpers import METRIC, SEARCH, TAG, most_at_once, trial_runs

    with LabChecks("Step 3: the search on Spark") as check:
        check(
            lambda: type(trials).__name__ == "SparkTrials" and trials.parallelism >= 2,
            ok=f"The search used SparkTrials with parallelism {getattr(trials, 'parallelism', '?')}.",
            problem=f"The search should use SparkTrials(parallelism=2); it used {type(trials).__name__}.",
            hint="spark_trials = SparkTrials(parallelism=2, spark_session=spark), passed to fmin as trials=.",
        )
        results = list(getattr(trials, "results", []))
        succeeded = [result for result in results if result.get("status") == "ok"]
        check(
            lambda: len(results) == budget and succeeded,
            ok=f"All {budget} trials of the budget ran; {len(succeeded)} succeeded.",
            problem=f"The search should run max_evals=BUDGET ({budget}) trials with at least one success; "
            f"it ran {len(results)}, {len(succeeded)} succeeded.",
            hint="fmin(objective, space, algo=tpe.suggest, max_evals=BUDGET, trials=spark_trials, ...)",
        )
        runs = trial_runs(parent_run_id)
        check(
            lambda: len(runs) == len(results) > 0,
            ok=f"Each trial logged a child run under the parent run ({len(runs)} child runs).",
            problem=f"Each trial should be a child run of the parent run {str(parent_run_id)[:8]}…; "
            f"found {len(runs)} child runs for {len(results)} trials.",
            hint="Inside `with mlflow.start_run(...) as parent:`, give fmin your objective with the parent's "
            "id bound to it: partial(objective, parent_run_id=parent.info.run_id).",
        )
        check(
            lambda: most_at_once(runs) >= 2,
            ok=f"Trials ran in parallel: up to {most_at_once(runs) if len(runs) else 0} at the same time.",
            problem="No two trials ran at the same time: the search did not run in parallel.",
            hint="Use SparkTrials(parallelism=2) and a budget of at least two trials.",
        )
        import mlflow

        parent = value_or(None, lambda: mlflow.MlflowClient().get_run(parent_run_id).data)
        summary = value_or(float("nan"), lambda: parent.metrics[METRIC])
        check(
            lambda: parent.tags.get(TAG) == SEARCH and METRIC in parent.metrics,
            ok=f"The parent run holds the search's summary (best {METRIC} {summary:.3f}), so it is on the leaderboard.",
            problem="The parent run should hold the search's summary (its tag and best val_rmse).",
            hint="Call tuning.log_search_summary(spark_trials.results, ...) inside the parent run's `with` block.",
        )


def check_tuning_paid_off(best: dict, trials, untuned_val_rmse: float):
    """Step 4: the best trial, found in code, beats the untuned model on validation."""
    results = [result for result in getattr(trials, "results", trials) if result.get("status") == "ok"]
    lowest = min(result["loss"] for result in results) if results else float("nan")
    loss = value_or(float("nan"), lambda: float(best["loss"]))
    with LabChecks("Step 4: did tuning pay?") as check:
        check(
            lambda: best.get("status") == "ok" and best["loss"] == lowest,
            ok=f"`best` is the successful trial with the lowest validation RMSE ({lowest:.3f}).",
            problem=f"`best` should be the successful trial with the lowest loss ({lowest:.3f}).",
            hint="Keep the results whose status is STATUS_OK, then take min(..., key=lambda result: "
            "result['loss']); a failed trial has no loss.",
        )
        check(
            lambda: loss < untuned_val_rmse,
            ok=f"Tuning beat the untuned model: {loss:.3f} vs {untuned_val_rmse:.3f} "
            f"({1 - loss / untuned_val_rmse:.0%} lower).",
            problem=f"The best trial ({loss:.3f}) does not beat the untuned model ({untuned_val_rmse:.3f}).",
            hint="Check your space against Step 1 (a log-uniform learning rate from 3e-4 to 0.03), "
            "then run the search again; a larger BUDGET gives TPE more to learn from.",
        )


def check_final_model(model, config: dict, X_full, y_full, X_test, y_test, test_rmse: float):
    """Step 5: the winner's configuration, retrained on train + validation, scored once on test."""
    from includes.common.baselines import rmse

    with LabChecks("Step 5: the final model") as check:
        hidden = value_or([], lambda: [layer.units for layer in model.layers if hasattr(layer, "units")][:-1])
        check(
            lambda: hidden == [int(config["width"])] * int(config["depth"]),
            ok=f"The model has the winner's {config.get('depth')} hidden layer(s) of {config.get('width')} units.",
            problem="The final model should have the best configuration's depth and width.",
            hint="Build the final model from best['config'] with the lab's build_model.",
        )
        mean = value_or(None, lambda: np.asarray(model.get_layer("normalize").mean).ravel())
        check(
            lambda: (
                np.allclose(mean, np.asarray(X_full).mean(axis=0), rtol=1e-3, atol=1e-3) and len(y_full) == len(X_full)
            ),
            ok="It was built on train + validation (its normalizer learned their means).",
            problem="The final model should be built and trained on train + validation together.",
            hint="Join the training and validation rows (np.concatenate), features and targets alike, and "
            "build and fit the model on them.",
        )
        actual = value_or(float("nan"), lambda: rmse(y_test, np.asarray(model(np.asarray(X_test), training=False))))
        check(
            lambda: np.isfinite(actual),
            ok="It trained without diverging.",
            problem="The final model diverged: its predictions on the test set are not numbers (NaN).",
            hint="Build it with the lab's build_model, whose clipped gradients keep even an aggressive winner "
            "finite, and train it as the trials were trained (same epochs and batch size).",
        )
        check(
            lambda: abs(float(test_rmse) - actual) < 1e-3,
            ok=f"Test RMSE {actual:.3f}, measured once on the test set.",
            problem=f"`test_rmse` ({test_rmse}) should be the final model's RMSE on the test set ({actual:.3f}).",
            hint="Score the final model on X_test and y_test: evaluate's second value is the RMSE.",
        )
