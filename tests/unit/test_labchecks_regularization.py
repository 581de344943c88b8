"""Lab 01.5L's checks: the solution and other correct designs pass; the mistakes a learner really makes fail,
each with the hint that names it. No technique is required: only the model's measured behaviour counts."""

import math

import keras
import numpy as np
import pytest
from keras import layers

from includes.labs.checks import LabCheckFailed
from includes.lessons.keras import regularization_checks as checks
from includes.lessons.keras.helpers import cross_entropy, prior_cross_entropy


def fails_with(capsys, hint, check, *arguments, **keywords):
    with pytest.raises(LabCheckFailed):
        check(*arguments, **keywords)
    out = capsys.readouterr().out
    assert hint in out, out


# --- Step 1: measuring the gap ------------------------------------------------------------------------

RNG = np.random.default_rng(0)
X_TRAIN, Y_TRAIN = RNG.random((96, 28, 28)).astype("float32"), RNG.integers(0, 10, 96)
X_VAL, Y_VAL = RNG.random((64, 28, 28)).astype("float32"), RNG.integers(0, 10, 64)


@pytest.fixture(scope="module")
def memorised():
    """A small network that learns random labels by heart: a clear gap, and dropout in its training loss."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X_TRAIN, Y_TRAIN, validation_data=(X_VAL, Y_VAL), epochs=12, batch_size=16, verbose=0)
    return model, history


def solution_measure(model):
    train_loss = model.evaluate(X_TRAIN, Y_TRAIN, verbose=0, return_dict=True)["loss"]
    val_loss = model.evaluate(X_VAL, Y_VAL, verbose=0, return_dict=True)["loss"]
    return train_loss, val_loss


def by_hand_measure(model):
    """Also right: the cross-entropy from the predicted probabilities, with NumPy."""

    def loss(X, y):
        probabilities = model.predict(X, verbose=0)
        return -np.mean(np.log(probabilities[np.arange(len(y)), y]))

    return [loss(X_TRAIN, Y_TRAIN), loss(X_VAL, Y_VAL)]


def keras_loss_measure(model):
    """Also right: Keras's loss object on predict's output, and evaluate's list."""
    loss = keras.losses.SparseCategoricalCrossentropy()
    return float(loss(Y_TRAIN, model.predict(X_TRAIN, verbose=0))), model.evaluate(X_VAL, Y_VAL, verbose=0)[0]


@pytest.mark.parametrize("measure", [solution_measure, by_hand_measure, keras_loss_measure])
def test_measure_accepts_every_correct_measurement(memorised, measure, capsys):
    model, history = memorised
    checks.check_measure(measure, model, X_TRAIN, Y_TRAIN, X_VAL, Y_VAL, history)
    assert "All 3 checks passed" in capsys.readouterr().out


def test_the_memorised_model_really_has_a_gap(memorised):
    model, history = memorised
    assert cross_entropy(model, X_VAL, Y_VAL) - cross_entropy(model, X_TRAIN, Y_TRAIN) > 0.3
    assert abs(history.history["loss"][-1] - cross_entropy(model, X_TRAIN, Y_TRAIN)) > 0.05


WRONG_MEASURES = {
    "the training rows twice": (
        lambda model, history: (
            model.evaluate(X_TRAIN, Y_TRAIN, verbose=0)[0],
            model.evaluate(X_TRAIN, Y_TRAIN, verbose=0)[0],
        ),
        "Both numbers come from the training rows",
    ),
    "the history's last training loss": (
        lambda model, history: (history.history["loss"][-1], model.evaluate(X_VAL, Y_VAL, verbose=0)[0]),
        "last epoch's training loss from the history",
    ),
    "swapped": (lambda model, history: solution_measure(model)[::-1], "The two numbers are swapped"),
    "the accuracy": (
        lambda model, history: (
            model.evaluate(X_TRAIN, Y_TRAIN, verbose=0)[1],
            model.evaluate(X_VAL, Y_VAL, verbose=0)[1],
        ),
        "That is the accuracy, not the loss",
    ),
    "one number": (
        lambda model, history: solution_measure(model)[1] - solution_measure(model)[0],
        "Return the training loss and the validation loss",
    ),
}


@pytest.mark.parametrize("mistake", WRONG_MEASURES)
def test_measure_names_the_mistake(memorised, mistake, capsys):
    model, history = memorised
    wrong, hint = WRONG_MEASURES[mistake]
    fails_with(
        capsys,
        hint,
        checks.check_measure,
        lambda candidate: wrong(candidate, history),
        model,
        X_TRAIN,
        Y_TRAIN,
        X_VAL,
        Y_VAL,
        history,
    )


# --- Step 2: the model ------------------------------------------------------------------------------


def compiled(model, loss="sparse_categorical_crossentropy"):
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def solution_model():
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Flatten(),
            layers.Dense(512, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3)),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def augmented_logits_model():
    """A different design: augmentation layers, a small convolution, logits out."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.RandomTranslation(0.1, 0.1),
            layers.Conv2D(8, 3, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10),
        ]
    )


def small_adamw_model():
    """Another design: a smaller network with decoupled weight decay, and a loss object rather than a name."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(weight_decay=0.05), loss=keras.losses.SparseCategoricalCrossentropy()
    )
    return model


@pytest.mark.parametrize(
    "build",
    [
        lambda: compiled(solution_model()),
        lambda: compiled(augmented_logits_model(), keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        lambda: small_adamw_model(),
    ],
)
def test_classifier_accepts_other_designs(build, capsys):
    checks.check_classifier(build())
    assert "All 3 checks passed" in capsys.readouterr().out


WRONG_MODELS = {
    "one output unit": (
        lambda: compiled(keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(1)])),
        "one unit per class",
    ),
    "not compiled": (solution_model, "compile() gives the model"),
    "logits with the default loss": (lambda: compiled(augmented_logits_model()), "pass from_logits=True"),
}


@pytest.mark.parametrize("mistake", WRONG_MODELS)
def test_classifier_names_the_mistake(mistake, capsys):
    build, hint = WRONG_MODELS[mistake]
    fails_with(capsys, hint, checks.check_classifier, build())


# --- Step 3: closing the gap -------------------------------------------------------------------------

Y_FIT, Y_HELD_OUT = np.tile(np.arange(10), 20), np.tile(np.arange(10), 50)
X_FIT, X_HELD_OUT = np.zeros((200, 28, 28)), np.ones((500, 28, 28))


class Trained:
    """A stand-in for a trained model with given losses: it gives the right class the probability exp(-loss)
    on each set (as probabilities, or as logits)."""

    def __init__(self, train_loss, val_loss, logits=False):
        self.losses, self.logits = {"train": train_loss, "val": val_loss}, logits

    def __call__(self, X, training=False):
        which, y = ("train", Y_FIT) if np.all(X == 0) else ("val", Y_HELD_OUT)
        right = math.exp(-self.losses[which])
        probabilities = np.full((len(y), 10), (1 - right) / 9)
        probabilities[np.arange(len(y)), y] = right
        return (np.log(probabilities) + 3.0 if self.logits else probabilities)[: len(X)]


def gap_check(model, small=False):
    checks.check_gap_closed(model, X_FIT, Y_FIT, X_HELD_OUT, Y_HELD_OUT, small=small)


@pytest.mark.parametrize(
    "model",
    [
        Trained(0.25, 0.48),  # the solution's figures: L2, dropout and early stopping
        Trained(0.31, 0.52, logits=True),  # early stopping alone, a model that ends in logits
        Trained(0.50, 0.53),  # a strong penalty that still learns enough
    ],
)
def test_gap_closed_accepts_any_technique(model, capsys):
    gap_check(model)
    assert "All 3 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "model, hint",
    [
        (Trained(0.11, 0.92), "Regularize more"),  # no regularization at all
        (Trained(0.62, 0.69), "the model underfits"),  # a penalty so strong the model underfits
        (Trained(math.log(10), math.log(10)), "Training failed"),  # predicts the class prior: learned nothing
        (Trained(0.15, 0.62), "Regularize more"),  # too little regularization: both bars missed
    ],
)
def test_gap_closed_names_the_mistake(model, hint, capsys):
    fails_with(capsys, hint, gap_check, model)


def test_the_class_prior_is_the_floor():
    assert math.isclose(prior_cross_entropy(Y_FIT, Y_HELD_OUT), math.log(10))
    assert math.isclose(cross_entropy(Trained(math.log(10), math.log(10)), X_HELD_OUT, Y_HELD_OUT), math.log(10))


def test_gap_bars_depend_on_the_flag(capsys):
    between = Trained(0.35, 0.58)  # within the small-data bars, above the full course's validation bar
    gap_check(between, small=True)
    assert "small-data target" in capsys.readouterr().out
    fails_with(capsys, "full-course target", gap_check, between, small=False)


def test_gap_closed_with_a_real_keras_model(capsys):
    """The check measures real Keras models through predict, in inference mode (dropout off)."""
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 10, 400)
    X = rng.normal(0, 0.1, (400, 28, 28)).astype("float32")
    X[np.arange(400), y, :] += 1.0  # the class is a bright row of pixels: easy to learn, nothing to memorise
    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dropout(0.2), layers.Dense(10)])
    model.compile(
        optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.fit(X[:200], y[:200], epochs=20, batch_size=32, verbose=0)
    checks.check_gap_closed(model, X[:200], y[:200], X[200:], y[200:], small=False)
    assert "All 3 checks passed" in capsys.readouterr().out
