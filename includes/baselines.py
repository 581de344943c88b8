"""The numbers the course's models must beat, computed the same way everywhere."""
from __future__ import annotations

import math

import numpy as np


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


def compare_with_baseline(rmse_model: float, rmse_baseline: float, target: float,
                          small: bool) -> float:
    """Print how the model does against the baseline; enforce the target on full data.

    With the small-data flag on, models train on a sample for a couple of epochs,
    so the full course's target is reported but not required.
    """
    if not math.isfinite(rmse_model):
        raise AssertionError(f"The model's RMSE is {rmse_model}: its training diverged. Lower the learning "
                             "rate (or pick another configuration) and train it again.")
    gain = improvement(rmse_model, rmse_baseline)
    print(f"model RMSE {rmse_model:.3f} vs linear baseline {rmse_baseline:.3f}: "
          f"{gain:+.1%} (the full course's target: {target:.0%} better)")
    if small:
        print("Small-data run: the target applies to the full course (COURSE_SMALL_DATA=0).")
    elif gain < target:
        raise AssertionError(f"The model is only {gain:.1%} better than the linear baseline; "
                             f"the lesson expects at least {target:.0%}.")
    return gain
