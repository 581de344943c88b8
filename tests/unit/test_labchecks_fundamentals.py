"""Lab 01.0L's checks pass on a right answer and fail on a wrong one."""
import numpy as np
import pytest

from includes.labs.checks import LabCheckFailed
from includes.lessons.keras import fundamentals_checks as checks


def forward(x, hidden_weights, output_weights, activation=lambda z: z):
    hidden = activation(hidden_weights @ x)
    return hidden, output_weights @ hidden


def forward_ignoring_activation(x, hidden_weights, output_weights, activation=None):
    return forward(x, hidden_weights, output_weights)


def forward_transposed(x, hidden_weights, output_weights, activation=lambda z: z):
    return forward(x, hidden_weights.T, output_weights, activation)


def forward_activating_the_output(x, hidden_weights, output_weights, activation=lambda z: z):
    hidden, prediction = forward(x, hidden_weights, output_weights, activation)
    return hidden, activation(prediction)


def right_mse(predictions, actuals):
    return np.mean((predictions - actuals) ** 2)


def right_slope(error, node_value):
    return 2 * error * node_value


def right_step(weights, slopes, learning_rate):
    return weights - learning_rate * slopes


def test_forward():
    checks.check_forward(forward)


@pytest.mark.parametrize("wrong", [forward_ignoring_activation, forward_transposed,
                                   forward_activating_the_output])
def test_forward_fails_on_a_wrong_answer(wrong):
    with pytest.raises(LabCheckFailed):
        checks.check_forward(wrong)


def test_forward_reports_a_blank_as_a_failed_check():
    def unfinished(*args):
        raise NameError("name 'prediction' is not defined")

    with pytest.raises(LabCheckFailed):
        checks.check_forward(unfinished)


def test_mse():
    checks.check_mse(right_mse)


@pytest.mark.parametrize("wrong", [
    lambda p, a: np.sum((p - a) ** 2),              # the SSE, 150
    lambda p, a: np.mean(np.abs(p - a)),            # the MAE
    lambda p, a: np.sqrt(np.mean((p - a) ** 2)),    # the RMSE
    lambda p, a: (p - a) ** 2,                      # squared errors, not averaged
])
def test_mse_fails_on_a_wrong_answer(wrong):
    with pytest.raises(LabCheckFailed):
        checks.check_mse(wrong)


def test_slope():
    checks.check_slope(right_slope)


@pytest.mark.parametrize("wrong", [
    lambda error, value: -2 * error * value,        # error taken as actual minus predicted
    lambda error, value: error * value,             # forgot the 2
    lambda error, value: 2 * error,                 # forgot the node's value
])
def test_slope_fails_on_a_wrong_answer(wrong):
    with pytest.raises(LabCheckFailed):
        checks.check_slope(wrong)


def test_gradient_step():
    checks.check_gradient_step(right_step)


@pytest.mark.parametrize("wrong", [
    lambda w, s, rate: w + rate * s,                # moves with the slope
    lambda w, s, rate: w - s,                       # ignores the learning rate
    lambda w, s, rate: w - rate * np.sign(s),       # a fixed-size step
])
def test_gradient_step_fails_on_a_wrong_answer(wrong):
    with pytest.raises(LabCheckFailed):
        checks.check_gradient_step(wrong)


def test_bank_step():
    hidden, prediction = forward(checks.BANK_INPUT, checks.BANK_HIDDEN_WEIGHTS, checks.BANK_OUTPUT_WEIGHTS)
    new = right_step(checks.BANK_OUTPUT_WEIGHTS, right_slope(prediction - checks.BANK_TARGET, hidden), 0.01)
    checks.check_bank_step(new)
    assert np.allclose(checks.keras_bank_step(), [2.4, -0.92])
    with pytest.raises(LabCheckFailed):
        checks.check_bank_step([1.6, -1.08])  # the sign of the error flipped
    with pytest.raises(LabCheckFailed):
        checks.check_bank_step([2, -1])  # no step at all


def test_training():
    predictions = 13 - 4 * 0.48 ** np.arange(21)
    checks.check_training(predictions)
    with pytest.raises(LabCheckFailed):
        checks.check_training(predictions[:3])  # not there yet
    with pytest.raises(LabCheckFailed):
        checks.check_training(13 - 4 * (-1.1) ** np.arange(21))  # diverging
    with pytest.raises(LabCheckFailed):
        checks.check_training([])
