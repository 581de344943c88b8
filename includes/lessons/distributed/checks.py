"""Checks for lab 04.2L (Horovod with Petastorm).

They judge what the training did, not how it was written: the workers' results (rank, size, losses,
learning rate, weight fingerprints gathered from every worker) and the MLflow runs. ``horovod.spark.run``
returns one result per worker; Databricks' ``HorovodRunner`` returns rank 0's only: both are accepted.
"""

from __future__ import annotations

import numpy as np

from includes.common.baselines import check_beats_baseline
from includes.labs.checks import LabChecks, value_or


def _per_worker(results) -> list:
    """The launcher's answer as a list of per-worker results (a lone dict is rank 0's, as HorovodRunner returns)."""
    return [results] if isinstance(results, dict) else list(results)


def _rank_0(results):
    return next(r for r in _per_worker(results) if r["rank"] == 0)


def _losses(result) -> np.ndarray:
    return value_or(np.array([np.nan]), lambda: np.asarray(result["losses"], dtype=float).ravel())


def _check_losses(check, losses, where: str):
    finite = losses.size >= 2 and bool(np.all(np.isfinite(losses)))
    check(
        finite,
        ok=f"{where}: {losses.size} finite epoch losses.",
        problem=f"{where}: the epoch losses should be finite, one per epoch (got {np.round(losses, 4).tolist()}).",
        hint="A NaN or infinite loss means the steps were far too large: check the learning rate you "
        "computed from the base rate.",
    )
    if finite:
        check(
            losses[-1] < losses[0],
            ok=f"{where}: the loss fell from {losses[0]:.3f} to {losses[-1]:.3f}.",
            problem=f"{where}: the loss should fall from the first epoch to the last "
            f"(got {np.round(losses, 4).tolist()}).",
            hint="A loss that does not fall means the weights do not change: the step must hand the "
            "gradients to the optimizer, paired with the model's trainable variables.",
        )


def check_dry_run(result):
    """Step 1: the training function runs in this notebook as a single worker and learns."""
    with LabChecks("Step 1: a dry run on one worker") as check:
        check(
            lambda: result["size"] == 1 and result["rank"] == 0,
            ok="The function ran here as worker 0 of 1.",
            problem="The dry run should report rank 0 of size 1.",
            hint="Call the function directly in the notebook for the dry run, not through a launcher.",
        )
        _check_losses(check, _losses(result), "Dry run")


def check_workers_in_sync(results, workers: int = 2, base_learning_rate: float = 0.001):
    """Step 2: every worker ran, all ended with the same weights, the loss fell and the rate was scaled."""
    per_worker = value_or([], _per_worker, results)
    rank_0 = value_or(None, _rank_0, results)
    with LabChecks("Step 2: training on several workers") as check:
        ranks = value_or(None, lambda: sorted(r["rank"] for r in per_worker))
        if not check(
            lambda: rank_0["size"] == workers and (len(per_worker) == 1 or ranks == list(range(workers))),
            ok=f"All {workers} workers ran.",
            problem=f"The training should run on {workers} workers; the results report "
            f"{value_or('no', lambda: rank_0['size'])} worker(s), ranks {ranks}.",
            hint="Ask the launcher for as many processes as WORKERS (num_proc for horovod.spark.run, "
            "np for HorovodRunner), and return what it returns.",
        ):
            return
        end = value_or(np.array([np.nan]), lambda: np.asarray(rank_0["weight_sums"], dtype=float))
        start = value_or(np.array([np.nan]), lambda: np.asarray(rank_0["start_weight_sums"], dtype=float))
        in_sync = end.size == workers and np.allclose(end, end[0], rtol=0, atol=1e-5)
        same_start = start.size == workers and np.allclose(start, start[0], rtol=0, atol=1e-5)
        check(
            in_sync,
            ok="The workers hold identical weights: they trained one shared model.",
            problem=f"The workers end with different weights (fingerprints {np.round(end, 4).tolist()}), "
            "so they trained separate models.",
            hint=(
                "They already started from different weights: make every worker take rank 0's "
                "variables (their .value with Keras 3) before the first step."
                if not same_start
                else "They started alike but drifted apart: the gradients were not averaged across workers. "
                "Wrap the tape with Horovod's distributed tape, and keep Keras' DistributedOptimizer "
                "out (with Keras 3 it does not average)."
            ),
        )
        _check_losses(check, _losses(rank_0), f"{workers} workers")
        rate = value_or(float("nan"), lambda: float(rank_0["learning_rate"]))
        check(
            np.isclose(rate, base_learning_rate * workers, rtol=1e-3),
            ok=f"The learning rate {rate:g} is the base rate times the {workers} workers.",
            problem=f"The learning rate should be the base rate {base_learning_rate:g} times the number of "
            f"workers ({base_learning_rate * workers:g}), not {rate:g}.",
            hint="Each step averages one batch per worker, so it can move further: multiply the base rate "
            "by hvd.size() rather than by a fixed number."
            if np.isclose(rate, base_learning_rate)
            else "Multiply the base rate by the number of workers, hvd.size(), once.",
        )


def check_logged_once(runs, since, workers: int = 2):
    """Step 2: rank 0, and only rank 0, logged the run (``since``: a UTC timestamp taken before training)."""
    recent = runs[runs["start_time"] >= since] if len(runs) else runs
    with LabChecks("Step 2: the MLflow run") as check:
        if not check(
            len(recent) == 1,
            ok="The training logged exactly one MLflow run.",
            problem=f"The training should log exactly one MLflow run; it logged {len(recent)}.",
            hint=(
                "Every worker logged its own run: only the worker of rank 0 should log."
                if len(recent) > 1
                else "Nothing reached the experiment: rank 0 should start a run in the experiment "
                "passed as experiment_id and log inside it."
            ),
        ):
            return
        run = recent.iloc[0]
        params = {column: str(run[column]) for column in recent.columns if column.startswith("params.")}
        check(
            str(workers) in params.values(),
            ok=f"The run records that {workers} workers trained.",
            problem=f"The run should record the number of workers ({workers}) as a parameter; its parameters "
            f"are {params or 'none'}.",
            hint="Log hvd.size(), the number of workers, not hvd.rank(): on the logging worker the rank is always 0.",
        )
        rmse = {
            column: run[column]
            for column in recent.columns
            if column.startswith("metrics.") and "rmse" in column.lower()
        }
        check(
            any(np.isfinite(value) for value in rmse.values()),
            ok="The run records the validation RMSE.",
            problem="The run should record the validation RMSE as a metric (a name containing 'rmse').",
            hint="Log the RMSE the function computed after training as a metric, inside the same run.",
        )


def check_beats_linear_baseline(results, baseline_rmse: float, small: bool):
    """Step 3: better than linear regression on the full data (reported only, on small data)."""
    val_rmse = value_or(float("nan"), lambda: float(_rank_0(results)["val_rmse"]))
    with LabChecks("Step 3: a usable model") as check:
        check(
            np.isfinite(val_rmse),
            ok=f"The trained model has a finite validation RMSE ({val_rmse:.3f}).",
            problem=f"The validation RMSE should be a finite number, not {val_rmse}.",
            hint="The training diverged: check the scaled learning rate and that the steps use the averaged gradients.",
        )
    check_beats_baseline(
        val_rmse,
        baseline_rmse,
        small,
        target=0.0,
        required_on_small_data=False,
        title="Step 3: better than the linear baseline",
        measured="Validation RMSE",
        hint="Train for more epochs, or check that the learning rate is scaled by the number of workers.",
    )
