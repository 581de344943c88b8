"""Checks of lab 00.1L Introduction, one function per step. They judge what the learner's code does, accept
every correct answer, and name the likely mistake in their hint."""

from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks, attempt

from .helpers import rmse

SIZES = (3, 10, 1024)  # from 3: at n = 2, 2n² and n³ are the same number


def _flop_diagnosis(count_flops) -> tuple[bool, str, str]:
    """(passed, problem, hint) for a function meant to count the operations of an n×n matrix product."""
    for n in SIZES:
        value, error = attempt(count_flops, n)
        if error:
            return False, f"count_flops({n}) raised {error}.", "Return a number computed from n."
        if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
            return False, f"count_flops({n}) returned {value!r}, not a number.", "Return the count, do not print it."
        # 2n³ counts n multiplications and n additions per entry; n²(2n - 1), the exact count, n - 1 additions
        if value in (2 * n**3, n * n * (2 * n - 1)):
            continue
        if value == n**3:
            return (
                False,
                f"count_flops({n}) is {value}: the multiplications alone.",
                ("Each multiplication of a row by a column is followed by an addition: count those too."),
            )
        if value in (n**2, 2 * n**2):
            return (
                False,
                f"count_flops({n}) is {value}: one operation (or two) per entry of the result.",
                ("Each of the n × n entries is a row times a column: n multiplications and about n additions."),
            )
        return (
            False,
            f"count_flops({n}) is {value}, not the number of operations of an {n}×{n} product.",
            ("One entry of the result takes n multiplications and about n additions; the result has n × n entries."),
        )
    return True, "", ""


def check_flop_count(count_flops):
    with LabChecks("Step 1: the work of a matrix product") as check:
        passed, problem, hint = _flop_diagnosis(count_flops)
        check(
            passed,
            ok="count_flops(n) counts the multiplications and additions of an n×n matrix product.",
            problem=problem,
            hint=hint,
        )


def _looks_straight(x, predicted) -> bool:
    """True when the predictions lie on one straight line (a network without a non-linear activation)."""
    slope, intercept = np.polyfit(np.ravel(x), np.ravel(predicted), 1)
    return rmse(slope * np.ravel(x) + intercept, predicted) < 1e-3


def check_fit(model, x_grid, target, bar: float):
    with LabChecks("Step 2: a network that follows the wiggly function") as check:
        predicted, error = attempt(lambda: np.asarray(model.predict(x_grid, verbose=0)))
        if error:
            check(
                False,
                ok="",
                problem=f"Predicting with your model raised {error}.",
                hint="The model takes one number x per row (input shape (1,)) and returns one number.",
            )
            return
        if predicted.size != len(x_grid):
            check(
                False,
                ok="",
                problem=f"Your model returns {predicted.size} numbers for {len(x_grid)} inputs.",
                hint="End the network with a layer of one unit: one prediction per x.",
            )
            return
        error_on_grid = rmse(predicted, target)
        if _looks_straight(x_grid, predicted):
            check(
                False,
                ok="",
                problem=f"Your network draws a straight line (RMSE {error_on_grid:.3f}).",
                hint="Without a non-linear activation, layers of any width stay linear: give the hidden "
                "layer an activation such as ReLU.",
            )
            return
        check(
            error_on_grid < bar,
            ok=f"Your network follows the function: RMSE {error_on_grid:.3f}, under the bar of {bar}.",
            problem=f"Your network's curve is RMSE {error_on_grid:.3f} away from the function (the bar is {bar}).",
            hint="Too few hidden units can only draw a few straight pieces (00.1 compared 2, 8 and 64), and "
            "too little training leaves the units where they started: add units, or train longer.",
        )
