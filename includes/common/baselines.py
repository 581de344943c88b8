"""The numbers the course's models must beat, computed the same way everywhere."""

from __future__ import annotations

import math

import numpy as np

# The README's promise for module 01: a Keras model at least 25 % better RMSE than linear regression (full data).
FULL_COURSE_TARGET = 0.25


def rmse(y_true, y_pred) -> float:
    """Root mean squared error: the typical size of a prediction's miss, in the target's unit."""
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def linear_baseline_rmse(split) -> float:
    """Test RMSE of ordinary least squares on the course's California-housing split.

    01.1 explains this number; every later regression model is compared with it.
    """
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(split.X_train, split.y_train)
    return rmse(split.y_test, model.predict(split.X_test))


def improvement(rmse_model: float, rmse_baseline: float) -> float:
    """How much smaller the model's RMSE is than the baseline's, as a fraction (0.25 = 25 %)."""
    return 1.0 - rmse_model / rmse_baseline


def needed_gain(target: float, small: bool, required_on_small_data: bool) -> float | None:
    """The one rule for beating the baseline: how much better than it a model must be, or None if only reported.

    On the full data a model must beat the baseline by ``target`` (0.25 = 25 % smaller RMSE). With the
    small-data flag on, models train on a sample for a couple of epochs, so the full course's target cannot
    apply: a lab still asks for any improvement at all; a demo (``required_on_small_data=False``) only reports.
    """
    if not small:
        return target
    return 0.0 if required_on_small_data else None


def beats_baseline(rmse_model: float, rmse_baseline: float, needed: float | None) -> bool:
    """True when the model's RMSE is finite and more than ``needed`` better than the baseline's."""
    if needed is None:
        return True
    return math.isfinite(rmse_model) and improvement(rmse_model, rmse_baseline) > needed


def compare_with_baseline(rmse_model: float, rmse_baseline: float, target: float, small: bool) -> float:
    """Print how the model does against the baseline; enforce the target on full data (a demo's check).

    With the small-data flag on, the full course's target is reported but not required.
    """
    if not math.isfinite(rmse_model):
        raise AssertionError(
            f"The model's RMSE is {rmse_model}: its training diverged. Lower the learning "
            "rate (or pick another configuration) and train it again."
        )
    gain = improvement(rmse_model, rmse_baseline)
    print(
        f"model RMSE {rmse_model:.3f} vs linear baseline {rmse_baseline:.3f}: "
        f"{gain:+.1%} (the full course's target: {target:.0%} better)"
    )
    needed = needed_gain(target, small, required_on_small_data=False)
    if needed is None:
        print("Small-data run: the target applies to the full course (COURSE_SMALL_DATA=0).")
    elif not beats_baseline(rmse_model, rmse_baseline, needed):
        raise AssertionError(
            f"The model is only {gain:.1%} better than the linear baseline; the lesson expects at least {target:.0%}."
        )
    return gain


DIVERGED_HINT = (
    "The RMSE is not a number: training diverged (the loss blew up). Lower the learning rate, "
    "and check that the inputs are standardized."
)


def check_beats_baseline(
    rmse: float,
    baseline_rmse: float,
    small: bool,
    target: float = FULL_COURSE_TARGET,
    required_on_small_data: bool = True,
    title: str = "Step 5: beating the baseline",
    measured: str = "Test RMSE",
    hint: str = "Train longer, or give the hidden layers more units; standardize the inputs.",
):
    """A lab's check: better than linear regression by ``target`` on the full data (see :func:`needed_gain`)."""
    from includes.labs.checks import LabChecks

    needed = needed_gain(target, small, required_on_small_data)
    gain = improvement(rmse, baseline_rmse)
    with LabChecks(title) as check:
        check(
            beats_baseline(rmse, baseline_rmse, needed),
            ok=(
                f"{measured} {rmse:.3f} vs the baseline's {baseline_rmse:.3f}: {gain:+.0%}"
                + (" (the comparison counts on the full data, COURSE_SMALL_DATA=0)." if needed is None else ".")
            ),
            problem=f"{measured} {rmse:.3f} should be more than {needed or 0:.0%} better than "
            f"the baseline's {baseline_rmse:.3f} (it is {gain:+.0%}).",
            hint=hint if math.isfinite(rmse) else DIVERGED_HINT,
        )
