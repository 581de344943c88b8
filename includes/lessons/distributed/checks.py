"""Checks for lab 04.2L (Horovod with Petastorm)."""
from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks
from includes.common.baselines import check_beats_baseline


def check_dry_run(result):
    """Step 1: the training function runs in this notebook as a single worker."""
    with LabChecks("Step 1: a dry run on one worker") as check:
        check(lambda: result["size"] == 1 and result["rank"] == 0,
              ok="The function ran here as worker 0 of 1.",
              problem="The dry run should report rank 0 of size 1.",
              hint="Return hvd.rank() and hvd.size() in the result dictionary.")
        check(lambda: len(result["losses"]) >= 1 and np.all(np.isfinite(result["losses"])),
              ok=f"It trained for {len(result['losses'])} epoch(s) with finite losses.",
              problem="The result should hold one finite training loss per epoch under 'losses'.",
              hint="Append the epoch's mean loss to a list and return it as 'losses'.")


def check_workers_in_sync(results, workers: int = 2):
    """Step 2: every worker ran, and all ended with the same weights."""
    with LabChecks("Step 2: training on several workers") as check:
        check(lambda: sorted(r["rank"] for r in results) == list(range(workers))
              and all(r["size"] == workers for r in results),
              ok=f"All {workers} workers ran (ranks {sorted(r['rank'] for r in results)}).",
              problem=f"There should be one result from each of {workers} workers.",
              hint="Launch with run_on_workers(train_with_petastorm, num_proc=2, ...).")
        check(lambda: all(np.allclose(r["weight_sums"], r["weight_sums"][0], rtol=0, atol=1e-6)
                          and len(r["weight_sums"]) == workers for r in results),
              ok="The workers hold identical weights: gradients were averaged and the start was broadcast.",
              problem="The workers' weights differ, so they did not train one shared model.",
              hint="Wrap the tape in hvd.DistributedGradientTape and call hvd.broadcast_variables "
                   "on [v.value for v in model.variables] before training.")


def check_logged_once(runs, since, workers: int = 2):
    """Step 2: rank 0, and only rank 0, logged the run (``since``: a UTC timestamp taken before training)."""
    recent = runs[runs["start_time"] >= since] if len(runs) else runs
    with LabChecks("Step 2: the MLflow run") as check:
        check(len(recent) == 1,
              ok="The training logged exactly one MLflow run.",
              problem=f"The training should log exactly one MLflow run, from rank 0; it logged {len(recent)}.",
              hint="Put the MLflow logging under `if hvd.rank() == 0:`.")
        check(lambda: str(recent.iloc[0]["params.workers"]) == str(workers)
              and np.isfinite(recent.iloc[0]["metrics.val_rmse"]),
              ok=f"The run records workers = {workers} and the validation RMSE.",
              problem=f"The run should log the parameter workers = {workers} and the metric val_rmse.",
              hint="mlflow.log_param('workers', hvd.size()) and mlflow.log_metric('val_rmse', ...)")


def check_beats_linear_baseline(val_rmse: float, baseline_rmse: float, small: bool):
    """Step 3: better than linear regression on the full data (reported only, on small data)."""
    check_beats_baseline(val_rmse, baseline_rmse, small, target=0.0, required_on_small_data=False,
                         title="Step 3: better than the linear baseline", measured="Validation RMSE",
                         hint="Train for more epochs, or check that the learning rate is scaled by hvd.size().")
