"""Checks for lab 01.0L (fundamentals): the learner's numpy functions against the numbers of demo 01.0
and against Keras and TensorFlow."""

from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks, value_or

BANK_INPUT = np.array([2.0, 3.0])
BANK_HIDDEN_WEIGHTS = np.array([[1.0, 1.0], [-1.0, 1.0]])
BANK_OUTPUT_WEIGHTS = np.array([2.0, -1.0])
BANK_TARGET = 13.0


def _identity(z):
    return z


def _relu(z):
    return np.maximum(z, 0)


def _float_array(function, *arguments):
    """What the learner's function returns, as a float array, or None if it raised (the check says so)."""
    return value_or(None, lambda: np.asarray(function(*arguments), dtype=float))


def _shown(value) -> str:
    if value is None:
        return "an error"
    if value.ndim == 0:
        return f"{float(value):.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in value.ravel()) + "]"


def _mistake_behind(value, mistakes, otherwise: str) -> str:
    """The hint of the first known wrong answer that ``value`` (a single number) matches, else ``otherwise``."""
    if value is not None and np.ndim(value) == 0:
        for wrong, hint in mistakes:
            if np.isclose(value, wrong):
                return hint
    return otherwise


def _keras_bank_like(hidden_weights, output_weights, activation=None):
    """A Keras model with the given weights and no biases (Keras kernels are input × node)."""
    import keras

    hidden_weights = np.asarray(hidden_weights, dtype="float32")
    model = keras.Sequential(
        [
            keras.Input(shape=(hidden_weights.shape[1],)),
            keras.layers.Dense(hidden_weights.shape[0], activation=activation, use_bias=False),
            keras.layers.Dense(1, use_bias=False),
        ]
    )
    model.layers[0].set_weights([hidden_weights.T])
    model.layers[1].set_weights([np.asarray(output_weights, dtype="float32").reshape(-1, 1)])
    return model


def _keras_prediction(x, hidden_weights, output_weights, activation=None) -> float:
    model = _keras_bank_like(hidden_weights, output_weights, activation)
    return float(np.asarray(model(np.asarray([x], dtype="float32")))[0, 0])


def _random_networks(count=4, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=4)) for _ in range(count)]


def check_forward(forward):
    """01.0L step 1: forward(x, hidden_weights, output_weights, activation) -> (hidden, prediction)."""
    bank = _float_array(lambda: forward(BANK_INPUT, BANK_HIDDEN_WEIGHTS, BANK_OUTPUT_WEIGHTS, _identity)[0])
    with LabChecks("Step 1: forward propagation") as check:
        check(
            lambda: np.allclose(bank, [5, 1]),
            ok="The bank customer's hidden values are 5 and 1 (2·1 + 3·1 and 2·(-1) + 3·1).",
            problem=f"For x = [2, 3] the hidden values should be [5, 1], not {_shown(bank)}.",
            hint="Each hidden node is the dot product of x with its row of weights: hidden_weights @ x.",
        )
        check(
            lambda: np.isclose(forward(BANK_INPUT, BANK_HIDDEN_WEIGHTS, BANK_OUTPUT_WEIGHTS, _identity)[1], 9),
            ok="The prediction is 9 (5·2 + 1·(-1)), so the error against 13 is -4.",
            problem="The bank network should predict 9 for x = [2, 3].",
            hint="The prediction is the dot product of the output weights with the hidden values.",
        )
        other = np.array([3.0, 1.0])
        check(
            lambda: (
                np.allclose(forward(other, BANK_HIDDEN_WEIGHTS, BANK_OUTPUT_WEIGHTS, _relu)[0], [4, 0])
                and np.isclose(forward(other, BANK_HIDDEN_WEIGHTS, BANK_OUTPUT_WEIGHTS, _relu)[1], 8)
                and np.isclose(forward(other, BANK_HIDDEN_WEIGHTS, BANK_OUTPUT_WEIGHTS, _identity)[1], 10)
            ),
            ok="With ReLU, customer [3, 1] gets hidden values [4, 0] and prediction 8 (10 without ReLU).",
            problem="With ReLU, customer [3, 1] should get hidden values [4, 0] and prediction 8 "
            "(and 10 without an activation).",
            hint="The activation is missing: pass the hidden nodes' sums through `activation` before the "
            "output weights multiply them.",
        )

        def random_hint():
            x, hw, ow = _random_networks(1, seed=5)[0]
            hidden_sums = hw @ x
            prediction = value_or(None, lambda: float(forward(x, hw, ow, _relu)[1]))
            if (
                prediction is not None
                and np.isclose(prediction, _relu(ow @ _relu(hidden_sums)))
                and not np.isclose(prediction, ow @ _relu(hidden_sums))
            ):
                return "You applied `activation` to the prediction as well: apply it to the hidden sums only."
            if prediction is not None and np.isclose(prediction, ow @ hidden_sums):
                return "The activation is never applied: pass the hidden sums through `activation`."
            return (
                "Use one row of hidden_weights per hidden node (hidden_weights @ x, not its transpose), "
                "and apply `activation` to the hidden sums only."
            )

        check(
            lambda: all(
                np.isclose(forward(x, hw, ow, act)[1], _keras_prediction(x, hw, ow, name), atol=1e-4)
                for x, hw, ow in _random_networks()
                for act, name in ((_relu, "relu"), (_identity, None))
            ),
            ok="On random networks (3 inputs, 4 hidden nodes) your predictions equal a Keras model's.",
            problem="On random networks with 3 inputs and 4 hidden nodes your predictions differ from Keras's.",
            hint=random_hint(),
        )


def check_mse(mse):
    """01.0L step 2: the mean squared error of a set of predictions."""
    table = _float_array(mse, np.array([10.0, 8.0, 6.0]), np.array([20.0, 3.0, 1.0]))

    def mse_hint():
        if table is None:
            return "Your function raised an error on numpy arrays: use numpy's element-wise arithmetic."
        if table.ndim > 0:
            return "You return one squared error per row: average them into one number."
        return _mistake_behind(
            table,
            (
                (150, "That is the sum of the squared errors: take their mean."),
                (20 / 3, "That is the mean absolute error: square the errors instead."),
                (np.sqrt(50), "That is the root of the MSE (the RMSE): leave out the square root."),
                (
                    0,
                    "You squared the mean error, where positive and negative errors cancel: "
                    "square each error first, then average.",
                ),
            ),
            "Square each error (prediction minus actual), then take the mean.",
        )

    with LabChecks("Step 2: the mean squared error") as check:
        check(
            lambda: table.ndim == 0 and np.isclose(table, 50),
            ok="The table's MSE is 50: squared errors 100, 25 and 25, total 150, mean 50.",
            problem=f"mse([10, 8, 6], [20, 3, 1]) should be 50, not {_shown(table)}.",
            hint=mse_hint(),
        )

        def matches_keras():
            import keras

            rng = np.random.default_rng(1)
            for _ in range(3):
                actuals, predictions = rng.normal(size=7), rng.normal(size=7)
                expected = float(
                    keras.losses.MeanSquaredError()(actuals.astype("float32"), predictions.astype("float32"))
                )
                if not np.isclose(mse(predictions, actuals), expected, rtol=1e-5):
                    return False
            return True

        check(
            matches_keras,
            ok="On random data your MSE equals keras.losses.MeanSquaredError.",
            problem="On random data your MSE differs from keras.losses.MeanSquaredError.",
            hint="Return one number for the whole set: the mean, over all rows, of the squared errors.",
        )


def check_slope(slope):
    """01.0L step 3: slope of the squared error for one weight = 2 × error × input value."""
    one = _float_array(slope, -4.0, 3.0)
    slope_hint = _mistake_behind(
        one,
        (
            (
                24,
                "The sign is flipped: the error is prediction minus actual, and the slope keeps its sign "
                "(negative here: the prediction is too low).",
            ),
            (-12, "You left out the factor 2 that comes from differentiating the square."),
            (-8, "You left out the value of the node feeding the weight (3 here)."),
            (-96, "Square's slope is 2 × error, not the squared error."),
        ),
        "Multiply three things: 2 × error (the loss's slope at the output), the value feeding the weight, and "
        "the activation's slope (1 here).",
    )

    with LabChecks("Step 3: the slope") as check:
        check(
            lambda: np.isclose(one, -24),
            ok="slope(-4, 3) = 2 × (-4) × 3 = -24.",
            problem=f"slope(error=-4, node_value=3) should be 2 × (-4) × 3 = -24, not {_shown(one)}.",
            hint=slope_hint,
        )
        check(
            lambda: np.allclose(slope(-4.0, np.array([5.0, 1.0])), [-40, -8]),
            ok="For the bank network's output weights (hidden values 5 and 1) the slopes are -40 and -8.",
            problem="slope(-4, np.array([5, 1])) should give one slope per weight: [-40, -8].",
            hint="Write it with arithmetic operators only, so it works on arrays as well as on numbers.",
        )

        def matches_tape():
            import tensorflow as tf

            rng = np.random.default_rng(2)
            for weight, value, actual in rng.normal(size=(4, 3)):
                w = tf.Variable(weight)
                with tf.GradientTape() as tape:
                    loss = (w * value - actual) ** 2
                if not np.isclose(slope(weight * value - actual, value), float(tape.gradient(loss, w))):
                    return False
            return True

        check(
            matches_tape,
            ok="On random weights and inputs it equals the gradient tf.GradientTape computes.",
            problem="On random weights and inputs it differs from the gradient that tf.GradientTape computes.",
            hint="The error is prediction minus actual; the slope is 2 × error × node_value.",
        )


def check_gradient_step(gradient_step):
    """01.0L step 3: new weights = weights - learning_rate × slopes."""
    one = _float_array(gradient_step, 2.0, -24.0, 0.01)
    step_hint = _mistake_behind(
        one,
        (
            (
                1.76,
                "You moved with the slope: a step goes against it (the weight should rise when the slope is negative).",
            ),
            (26, "The step ignores the learning rate: scale the slope by it first."),
            (2.01, "The step uses only the slope's sign: its size should scale with the slope."),
            (0.24, "You return the change, not the new weight: add the change to the weight."),
        ),
        "Move against the slope: subtract learning_rate × slope from the weight.",
    )

    with LabChecks("Step 3: the gradient-descent step") as check:
        check(
            lambda: np.isclose(one, 2.24),
            ok="gradient_step(2, -24, 0.01) = 2 - 0.01 × (-24) = 2.24: a negative slope raises the weight.",
            problem=f"gradient_step(2, -24, 0.01) should be 2 - 0.01 × (-24) = 2.24, not {_shown(one)}.",
            hint=step_hint,
        )
        check(
            lambda: np.allclose(gradient_step(BANK_OUTPUT_WEIGHTS, np.array([-40.0, -8.0]), 0.01), [2.4, -0.92]),
            ok="It works on arrays: output weights [2, -1] with slopes [-40, -8] become [2.4, -0.92].",
            problem="gradient_step([2, -1], [-40, -8], 0.01) should be [2.4, -0.92].",
            hint="Use arithmetic on whole arrays: weights - learning_rate * slopes.",
        )

        def matches_keras():
            import keras
            import tensorflow as tf

            rng = np.random.default_rng(3)
            layer = keras.layers.Dense(1, use_bias=False)
            layer.build((None, 3))
            before = rng.normal(size=(3, 1)).astype("float32")
            layer.set_weights([before])
            x, target = rng.normal(size=(1, 3)).astype("float32"), np.float32(rng.normal())
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum((layer(x) - target) ** 2)
            slopes = tape.gradient(loss, layer.kernel)
            keras.optimizers.SGD(learning_rate=0.05).apply_gradients([(slopes, layer.kernel)])
            ours = gradient_step(before.astype(float), np.asarray(slopes, dtype=float), 0.05)
            return np.allclose(ours, layer.get_weights()[0], atol=1e-5)

        check(
            matches_keras,
            ok="Given the same slopes, it moves the weights exactly like keras.optimizers.SGD.",
            problem="Given the same slopes, your step differs from one step of keras.optimizers.SGD.",
            hint="Plain SGD: new weights = weights - learning_rate * slopes.",
        )


def keras_bank_step(learning_rate=0.01):
    """The bank network's output weights after one Keras SGD step on the squared error (ReLU, target 13)."""
    import keras
    import tensorflow as tf

    model = _keras_bank_like(BANK_HIDDEN_WEIGHTS, BANK_OUTPUT_WEIGHTS, "relu")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum((model(BANK_INPUT[None].astype("float32")) - BANK_TARGET) ** 2)
    slopes = tape.gradient(loss, model.trainable_variables)
    keras.optimizers.SGD(learning_rate=learning_rate).apply_gradients(zip(slopes, model.trainable_variables))
    return np.asarray(model.layers[1].get_weights()[0]).ravel()


def check_bank_step(new_output_weights):
    """01.0L step 4: one gradient step on the bank network's output weights."""
    value = _float_array(lambda: new_output_weights)

    def hint():
        if value is not None and value.shape == (2,):
            if np.allclose(value, [1.6, -1.08]):
                return "The weights went down: the error is prediction minus target (-4), not target minus prediction."
            if np.allclose(value, BANK_OUTPUT_WEIGHTS):
                return "The weights did not move: return the stepped weights, not the old ones."
            if np.allclose(value, [42, 7]) or np.allclose(value, [-38, -9]):
                return "The step is 100 times too big: scale the slopes by the learning rate, 0.01."
        return (
            "error = prediction - target (-4); slopes = slope(error, hidden); then a gradient step on the "
            "output weights with learning rate 0.01."
        )

    with LabChecks("Step 4: one training step of the bank network") as check:
        check(
            lambda: np.allclose(value, [2.4, -0.92]),
            ok="The output weights [2, -1] become [2.4, -0.92]: slopes 2 × (-4) × [5, 1] = [-40, -8].",
            problem=f"The new output weights should be [2.4, -0.92], not {_shown(value)}.",
            hint=hint(),
        )
        check(
            lambda: np.allclose(value, keras_bank_step(), atol=1e-5),
            ok="Keras, training the same network for one SGD step, gets the same output weights.",
            problem="One SGD step in Keras gives different output weights for this network.",
            hint="Use the ReLU forward pass, learning rate 0.01, and the hidden values as node values.",
        )


def check_training(predictions, target=BANK_TARGET):
    """01.0L step 5: repeated steps bring the prediction to the target."""
    predictions = np.atleast_1d(np.asarray(predictions, dtype=float))
    squared_errors = (predictions - target) ** 2
    first, last = (predictions[0], predictions[-1]) if len(predictions) else (np.nan, np.nan)
    with LabChecks("Step 5: training the output weights") as check:
        check(
            lambda: len(predictions) >= 2 and np.all(np.diff(squared_errors) <= 1e-9),
            ok=f"The squared error fell at every one of the {len(predictions) - 1} steps.",
            problem="The squared error should fall at every step.",
            hint="Check the sign of the error and that the step subtracts learning_rate × slope.",
        )
        check(
            lambda: abs(last - target) < 0.01,
            ok=f"The prediction went from {first:g} to {last:.3f}, next to the target {target:g}.",
            problem=f"After training the prediction should be within 0.01 of {target:g}, not {last:.3f}.",
            hint="Run enough steps (20 is plenty with learning rate 0.01).",
        )
