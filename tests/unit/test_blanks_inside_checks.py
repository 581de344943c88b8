"""A blank the learner has not filled in yet, reached while a check runs the learner's code, stops the
notebook with the blank's own sentence: no check module swallows it or turns it into a failed check.

One case per check module: the learner's function (or object) hits ``fill_in`` when the check uses it.
"""

from __future__ import annotations

import numpy as np
import pytest

from includes.labs import LabBlankError, fill_in

INSTRUCTION = "Return what this step asks for"
MESSAGE = r"not filled in yet: Return what this step asks for\. Replace `fill_in\(\.\.\.\)`"


def blank_function(*arguments, **keywords):
    """A learner's function whose body is still the blank."""
    return fill_in(INSTRUCTION)


class BlankObject:
    """A learner's object built by code that is still a blank: any use of it reaches the blank."""

    def __getattr__(self, name):
        return fill_in(INSTRUCTION)

    def __getitem__(self, key):
        return fill_in(INSTRUCTION)

    def __len__(self):
        return fill_in(INSTRUCTION)

    def __iter__(self):
        return fill_in(INSTRUCTION)


def _keras_fundamentals():
    from includes.lessons.keras import fundamentals_checks as checks

    checks.check_forward(blank_function)


def _keras():
    from includes.lessons.keras import checks

    checks.check_schedule(blank_function)


def _keras_regularization():
    from includes.lessons.keras import regularization_checks as checks

    checks.check_measure(
        blank_function, BlankObject(), np.zeros((2, 28, 28)), np.zeros(2), np.zeros((2, 28, 28)), np.zeros(2)
    )


def _mlflow():
    from includes.lessons.mlflow import checks

    checks.check_scored(BlankObject(), np.zeros(3), expected_rows=3)


def _hyperopt():
    from includes.lessons.hyperopt import checks

    checks.check_tuning_paid_off(BlankObject(), [], untuned_val_rmse=0.7)


def _distributed():
    from includes.lessons.distributed import checks

    checks.check_dry_run(BlankObject())


def _interpretability():
    from includes.lessons.interpretability import checks

    checks.check_exact_shapley(blank_function)


def _cnns():
    from includes.lessons.cnns import checks

    checks.check_cnn(BlankObject())


def _transfer_learning():
    from includes.lessons.transfer_learning import checks

    checks.check_frozen_backbone(BlankObject())


def _gans():
    from includes.lessons.gans import checks

    checks.check_losses(blank_function, blank_function)


def _object_detection():
    from includes.lessons.object_detection import checks

    checks.check_iou(blank_function)


def _introduction():
    from includes.lessons.introduction import checks

    checks.check_flop_count(blank_function)


CASES = {
    "introduction.checks": _introduction,
    "keras.fundamentals_checks": _keras_fundamentals,
    "keras.checks": _keras,
    "keras.regularization_checks": _keras_regularization,
    "mlflow.checks": _mlflow,
    "hyperopt.checks": _hyperopt,
    "distributed.checks": _distributed,
    "interpretability.checks": _interpretability,
    "cnns.checks": _cnns,
    "transfer_learning.checks": _transfer_learning,
    "gans.checks": _gans,
    "object_detection.checks": _object_detection,
}


@pytest.mark.parametrize("name", CASES)
def test_a_blank_inside_the_learners_code_stops_with_its_own_message(name, capsys):
    with pytest.raises(LabBlankError, match=MESSAGE):
        CASES[name]()
    assert "✘" not in capsys.readouterr().out, "a blank is not a failed check"


def test_every_check_module_has_a_case():
    from includes.settings import REPO_ROOT

    modules = {f"{path.parent.name}.{path.stem}" for path in (REPO_ROOT / "includes" / "lessons").glob("*/*checks.py")}
    assert modules == set(CASES)
