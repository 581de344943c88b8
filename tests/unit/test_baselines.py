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
