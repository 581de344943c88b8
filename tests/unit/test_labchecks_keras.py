"""Module 01's lab checks pass on a right answer and fail on a wrong one."""
import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers

from includes.labs.checks import LabCheckFailed
from includes.lessons.keras import checks


@pytest.fixture
def X_train():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(3, 2, size=(50, 8)), columns=list("abcdefgh"))


def regression_model(hidden_activation="relu", output_units=1, output_activation=None):
    return keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4, activation=hidden_activation),
                             layers.Dense(output_units, activation=output_activation)])


def test_standardization(X_train):
    checks.check_standardization(X_train.mean(), X_train.std(), X_train)
    with pytest.raises(LabCheckFailed):
        checks.check_standardization(X_train.mean() + 1, X_train.std(), X_train)


@pytest.mark.parametrize("wrong", [
    dict(output_units=8), dict(hidden_activation=None), dict(output_activation="sigmoid")])
def test_regression_model(wrong):
    checks.check_regression_model(regression_model())
    with pytest.raises(LabCheckFailed):
        checks.check_regression_model(regression_model(**wrong))


def test_compiled_for_regression():
    model = regression_model()
    with pytest.raises(LabCheckFailed):
        checks.check_compiled_for_regression(model)  # not compiled yet
    model.compile(optimizer="adam", loss="mae")
    with pytest.raises(LabCheckFailed):
        checks.check_compiled_for_regression(model)
    model.compile(optimizer="adam", loss="mse")
    checks.check_compiled_for_regression(model)


def test_training():
    good = keras.callbacks.History()
    good.history = {"loss": [2.0, 1.0], "val_loss": [2.1, 1.2]}
    checks.check_training(good)
    no_validation = keras.callbacks.History()
    no_validation.history = {"loss": [2.0, 1.0]}
    with pytest.raises(LabCheckFailed):
        checks.check_training(no_validation)


def test_beats_baseline():
    checks.check_beats_baseline(0.50, 0.72, small=False)
    checks.check_beats_baseline(0.70, 0.72, small=True)
    with pytest.raises(LabCheckFailed):
        checks.check_beats_baseline(0.70, 0.72, small=False)  # better, but not by 25 %
    with pytest.raises(LabCheckFailed):
        checks.check_beats_baseline(0.80, 0.72, small=True)


def test_normalizer_and_model(X_train):
    X = X_train.to_numpy("float32")
    normalizer = layers.Normalization()
    with pytest.raises(LabCheckFailed):
        checks.check_normalizer(normalizer, X)  # not adapted
    normalizer.adapt(X)
    checks.check_normalizer(normalizer, X)
    model = keras.Sequential([keras.Input(shape=(8,)), normalizer, layers.Dense(1)])
    checks.check_model_starts_with(model, normalizer)
    with pytest.raises(LabCheckFailed):
        checks.check_model_starts_with(regression_model(), normalizer)


def test_choice_on_validation():
    checks.check_choice_on_validation(0.001, {0.01: 0.9, 0.001: 0.6})
    with pytest.raises(LabCheckFailed):
        checks.check_choice_on_validation(0.01, {0.01: 0.9, 0.001: 0.6})


def test_reloaded(tmp_path, X_train):
    X = X_train.to_numpy("float32")
    model = regression_model()
    path = tmp_path / "m.keras"
    model.save(path)
    checks.check_reloaded(keras.models.load_model(path), model, path, X)
    with pytest.raises(LabCheckFailed):
        checks.check_reloaded(regression_model(), model, path, X)  # a different model


def test_callbacks():
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    checks.check_early_stopping(early)
    with pytest.raises(LabCheckFailed):
        checks.check_early_stopping(keras.callbacks.EarlyStopping(monitor="loss", patience=3))


def test_checkpoint(tmp_path):
    path = tmp_path / "best.keras"
    checks.check_checkpoint(keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True), path)
    with pytest.raises(LabCheckFailed):
        checks.check_checkpoint(keras.callbacks.ModelCheckpoint(path), path)


def test_schedule():
    checks.check_schedule(lambda epoch, rate: rate / 2 if epoch > 0 and epoch % 4 == 0 else rate)
    with pytest.raises(LabCheckFailed):
        checks.check_schedule(lambda epoch, rate: rate * 0.9)
