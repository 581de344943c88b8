"""Lab 01.0L's checks: the solution and other correct answers pass; the mistakes a learner really makes
fail, each with the hint that names it."""

import numpy as np
import pytest

from includes.labs.checks import LabCheckFailed
from includes.lessons.keras import fundamentals_checks as checks


def forward(x, hidden_weights, output_weights, activation=lambda z: z):
    hidden = activation(hidden_weights @ x)
    return hidden, output_weights @ hidden


def forward_with_dot(x, hidden_weights, output_weights, activation=lambda z: z):
    """Another correct answer: np.dot and a loop-free einsum instead of @."""
    hidden = activation(np.einsum("ij,j->i", hidden_weights, x))
    return hidden, float(np.dot(output_weights, hidden))


def forward_node_by_node(x, hidden_weights, output_weights, activation=lambda z: z):
    """Another correct answer: one hidden node at a time, as the demo first did."""
    hidden = np.array([activation(sum(w * v for w, v in zip(row, x))) for row in hidden_weights])
    return hidden, sum(w * h for w, h in zip(output_weights, hidden))


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


def failing_report(check, answer, capsys):
    with pytest.raises(LabCheckFailed):
        check(answer)
    return capsys.readouterr().out


@pytest.mark.parametrize("right", [forward, forward_with_dot, forward_node_by_node])
def test_forward_accepts_correct_answers(right):
    checks.check_forward(right)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (forward_ignoring_activation, "The activation is missing"),
        (forward_transposed, "dot product of x with its row of weights"),
        (forward_activating_the_output, "to the prediction as well"),
    ],
)
def test_forward_names_the_mistake(wrong, hint, capsys):
    assert hint in failing_report(checks.check_forward, wrong, capsys)


def test_forward_reports_an_error_as_a_failed_check():
    def unfinished(*args):
        raise NameError("name 'prediction' is not defined")

    with pytest.raises(LabCheckFailed):
        checks.check_forward(unfinished)


@pytest.mark.parametrize(
    "right",
    [
        right_mse,
        lambda p, a: np.average(np.square(np.subtract(p, a))),
        lambda p, a: float(((a - p) ** 2).sum() / len(p)),  # actual minus predicted: the square hides the sign
    ],
)
def test_mse_accepts_correct_answers(right):
    checks.check_mse(right)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda p, a: np.sum((p - a) ** 2), "sum of the squared errors"),
        (lambda p, a: np.mean(np.abs(p - a)), "mean absolute error"),
        (lambda p, a: np.sqrt(np.mean((p - a) ** 2)), "leave out the square root"),
        (lambda p, a: (p - a) ** 2, "one squared error per row"),
        (lambda p, a: np.mean(p - a) ** 2, "squared the mean error"),
    ],
)
def test_mse_names_the_mistake(wrong, hint, capsys):
    assert hint in failing_report(checks.check_mse, wrong, capsys)


@pytest.mark.parametrize("right", [right_slope, lambda error, value: np.multiply(error, value) * 2.0])
def test_slope_accepts_correct_answers(right):
    checks.check_slope(right)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda error, value: -2 * error * value, "The sign is flipped"),
        (lambda error, value: error * value, "left out the factor 2"),
        (lambda error, value: 2 * error, "left out the value of the node"),
    ],
)
def test_slope_names_the_mistake(wrong, hint, capsys):
    assert hint in failing_report(checks.check_slope, wrong, capsys)


@pytest.mark.parametrize(
    "right", [right_step, lambda w, s, rate: np.subtract(w, np.multiply(rate, s)), lambda w, s, rate: w + (-rate) * s]
)
def test_gradient_step_accepts_correct_answers(right):
    checks.check_gradient_step(right)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda w, s, rate: w + rate * s, "moved with the slope"),
        (lambda w, s, rate: w - s, "ignores the learning rate"),
        (lambda w, s, rate: w - rate * np.sign(s), "only the slope's sign"),
        (lambda w, s, rate: -rate * s, "the change, not the new weight"),
    ],
)
def test_gradient_step_names_the_mistake(wrong, hint, capsys):
    assert hint in failing_report(checks.check_gradient_step, wrong, capsys)


def test_bank_step_accepts_correct_answers():
    hidden, prediction = forward(checks.BANK_INPUT, checks.BANK_HIDDEN_WEIGHTS, checks.BANK_OUTPUT_WEIGHTS)
    checks.check_bank_step(
        right_step(checks.BANK_OUTPUT_WEIGHTS, right_slope(prediction - checks.BANK_TARGET, hidden), 0.01)
    )
    # another correct answer: written out without the helper functions, as a list
    checks.check_bank_step([2 - 0.01 * 2 * (9 - 13) * 5, -1 - 0.01 * 2 * (9 - 13) * 1])
    assert np.allclose(checks.keras_bank_step(), [2.4, -0.92])


@pytest.mark.parametrize(
    "wrong, hint",
    [([1.6, -1.08], "target minus prediction"), ([2, -1], "did not move"), ([42, 7], "100 times too big")],
)
def test_bank_step_names_the_mistake(wrong, hint, capsys):
    assert hint in failing_report(checks.check_bank_step, wrong, capsys)


def test_training():
    checks.check_training(13 - 4 * 0.48 ** np.arange(21))
    checks.check_training(13 - 4 * 0.3 ** np.arange(15))  # another learning rate, fewer steps


@pytest.mark.parametrize(
    "wrong, hint",
    [
        ((13 - 4 * 0.48 ** np.arange(21))[:3], "Run enough steps"),
        (13 - 4 * (-1.1) ** np.arange(21), "sign of the error"),
    ],
)
def test_training_names_the_mistake(wrong, hint, capsys):
    assert hint in failing_report(checks.check_training, wrong, capsys)


def test_training_with_no_predictions_fails():
    with pytest.raises(LabCheckFailed):
        checks.check_training([])
