"""The comparison with the linear baseline: a target on full data, and never a silent NaN."""

import pytest

from includes.common.baselines import compare_with_baseline


def test_target_is_enforced_on_full_data_only(capsys):
    assert compare_with_baseline(0.5, 1.0, target=0.2, small=False) == pytest.approx(0.5)
    compare_with_baseline(0.9, 1.0, target=0.2, small=True)
    assert "Small-data run" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="only 10.0% better"):
        compare_with_baseline(0.9, 1.0, target=0.2, small=False)


@pytest.mark.parametrize("small", [True, False])
def test_a_diverged_model_is_reported_not_compared(small):
    with pytest.raises(AssertionError, match="RMSE is nan: its training diverged"):
        compare_with_baseline(float("nan"), 0.7, target=0.2, small=small)


def test_the_labs_baseline_check_names_each_mistake(capsys):
    from includes.common.baselines import check_beats_baseline
    from includes.labs.checks import LabCheckFailed

    check_beats_baseline(0.52, 0.72, small=False)  # the solution's kind of result: 28 % better
    check_beats_baseline(0.30, 0.72, small=False, target=0.25)  # a much better model passes too
    capsys.readouterr()
    with pytest.raises(LabCheckFailed):
        check_beats_baseline(0.70, 0.72, small=False)  # trained too little: better, but not by 25 %
    assert "Train longer" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):
        check_beats_baseline(float("nan"), 0.72, small=False)  # learning rate too high: diverged
    assert "training diverged" in capsys.readouterr().out
    check_beats_baseline(1.1, 0.72, small=True, required_on_small_data=False)  # only reported on small data
    assert "counts on the full data" in capsys.readouterr().out
