"""The lab-check helper reports every check in plain words and fails loudly."""

import pytest

from includes.labs.checks import LabCheckFailed, LabChecks


def test_all_passing_prints_and_does_not_raise(capsys):
    with LabChecks("Step 1") as check:
        check(True, ok="first is right", problem="-", hint="-")
        check(lambda: 1 + 1 == 2, ok="second is right", problem="-")
    out = capsys.readouterr().out
    assert "✔ first is right" in out and "All 2 checks passed." in out


def test_a_failure_shows_the_problem_and_hint_then_raises(capsys):
    with pytest.raises(LabCheckFailed, match="1 of 2 checks for 'Step 2' failed"):
        with LabChecks("Step 2") as check:
            check(True, ok="shape is right", problem="-")
            check(False, ok="-", problem="the loss should be MSE", hint="pass loss='mse'")
    out = capsys.readouterr().out
    assert "✘ the loss should be MSE" in out and "Hint: pass loss='mse'" in out


def test_an_error_while_checking_counts_as_a_failure_with_its_reason(capsys):
    with pytest.raises(LabCheckFailed):
        with LabChecks("Step 3") as check:
            check(lambda: None.output_shape, ok="-", problem="`model` should be a Keras model")
    assert "raised AttributeError" in capsys.readouterr().out


def test_a_blank_reached_inside_a_check_stops_with_its_own_message():
    from includes.labs import LabBlankError, fill_in

    with pytest.raises(LabBlankError):
        with LabChecks("Step 1") as check:
            check(lambda: fill_in("write the function") + 1, ok="fine", problem="wrong")
