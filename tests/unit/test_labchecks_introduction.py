"""Lab 00.1L's checks: the solution passes, a different correct answer passes, the mistakes learners really
make fail with their own hint. The networks of step 2 are built with chosen weights (no training) except the
solution's, which trains briefly as in the lab."""

import keras
import numpy as np
import pytest
from keras import layers

from includes.labs import LabBlankError, fill_in
from includes.labs.checks import LabCheckFailed
from includes.lessons.introduction import checks

LOW, HIGH = -1.5, 1.5
BAR = 0.2


def wiggly(x):
    return np.sin(3 * x) + 0.5 * np.sin(7 * x)


X_GRID = np.linspace(LOW, HIGH, 400, dtype="float32").reshape(-1, 1)


# --- Step 1 -------------------------------------------------------------------------------------------


def test_the_solutions_count_passes(capsys):
    checks.check_flop_count(lambda n: 2 * n**3)
    assert "✔" in capsys.readouterr().out


def test_the_exact_count_passes_too(capsys):
    """n multiplications and n - 1 additions per entry: the exact count is also right."""
    checks.check_flop_count(lambda n: n * n * (2 * n - 1))
    assert "✔" in capsys.readouterr().out


def test_a_float_count_passes(capsys):
    checks.check_flop_count(lambda n: 2.0 * n**3)
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize(
    "count, hint",
    [
        (lambda n: n**3, "followed by an addition"),  # the multiplications only
        (lambda n: n**2, "n multiplications and about n additions"),  # one operation per entry
        (lambda n: 2 * n**2, "n multiplications and about n additions"),
        (lambda n: print(2 * n**3), "not print it"),  # printed instead of returned
    ],
)
def test_wrong_counts_fail_with_their_hint(count, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_flop_count(count)
    assert hint in capsys.readouterr().out


def test_a_count_that_raises_is_reported():
    def broken(n):
        return n.shape[0] ** 3

    with pytest.raises(LabCheckFailed, match="failed"):
        checks.check_flop_count(broken)


def test_a_blank_in_the_count_stops_with_its_own_message():
    with pytest.raises(LabBlankError, match="not filled in yet"):
        checks.check_flop_count(lambda n: fill_in("count the operations"))


# --- Step 2 -------------------------------------------------------------------------------------------


def relu_interpolant(knots: int):
    """A one-hidden-layer ReLU network whose weights are set by hand to join the function's values at
    ``knots`` evenly spaced points with straight lines: ``knots - 1`` hidden units, no training."""
    points = np.linspace(LOW, HIGH, knots)
    values = wiggly(points)
    slopes = np.diff(values) / np.diff(points)
    changes = np.diff(np.concatenate([[0.0], slopes]))  # how much each kink changes the slope
    model = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(knots - 1, activation="relu"), layers.Dense(1)])
    model.layers[0].set_weights([np.ones((1, knots - 1), "float32"), -points[:-1].astype("float32")])
    model.layers[1].set_weights([changes.reshape(-1, 1).astype("float32"), np.array([values[0]], "float32")])
    return model


def test_the_solutions_network_passes(capsys):
    keras.utils.set_random_seed(42)
    rng = np.random.default_rng(42)
    x_train = rng.uniform(LOW, HIGH, size=(2048, 1)).astype("float32")
    model = keras.Sequential(
        [
            keras.Input(shape=(1,)),
            layers.Dense(
                64,
                activation="relu",
                kernel_initializer="he_normal",
                bias_initializer=keras.initializers.RandomUniform(LOW, HIGH),
            ),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", steps_per_execution=64)
    model.fit(x_train, wiggly(x_train), epochs=25, batch_size=32, verbose=0)
    checks.check_fit(model, X_GRID, wiggly(X_GRID), bar=BAR)
    assert "✔" in capsys.readouterr().out


def test_a_different_design_passes(capsys):
    """Any network under the bar passes, even one whose weights were never trained."""
    checks.check_fit(relu_interpolant(40), X_GRID, wiggly(X_GRID), bar=BAR)
    assert "✔" in capsys.readouterr().out


def test_too_few_units_fail_with_the_units_hint(capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_fit(relu_interpolant(4), X_GRID, wiggly(X_GRID), bar=BAR)  # 3 hidden units
    out = capsys.readouterr().out
    assert "Too few hidden units" in out and "straight line" not in out


def test_a_network_without_activation_fails_with_the_activation_hint(capsys):
    keras.utils.set_random_seed(0)
    linear = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(64), layers.Dense(1)])  # forgot relu
    with pytest.raises(LabCheckFailed):
        checks.check_fit(linear, X_GRID, wiggly(X_GRID), bar=BAR)
    assert "non-linear activation" in capsys.readouterr().out


def test_two_outputs_fail_with_the_output_hint(capsys):
    two_outputs = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(8, activation="relu"), layers.Dense(2)])
    with pytest.raises(LabCheckFailed):
        checks.check_fit(two_outputs, X_GRID, wiggly(X_GRID), bar=BAR)
    assert "layer of one unit" in capsys.readouterr().out
