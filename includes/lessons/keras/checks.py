"""Checks for the labs of module 01 (Keras)."""
from __future__ import annotations

import numpy as np

from includes.common.baselines import check_beats_baseline  # noqa: F401 - 01.2L step 5 calls it from here
from includes.labs.checks import LabChecks


def _dense_layers(model):
    return [layer for layer in model.layers if layer.__class__.__name__ == "Dense"]


def _activation_name(layer) -> str:
    return getattr(layer.activation, "__name__", str(layer.activation))


def check_standardization(mean, std, X_train):
    """01.2L step 1: statistics from the training rows only."""
    with LabChecks("Step 1: standardizing the features") as check:
        check(lambda: np.allclose(np.asarray(mean, dtype=float), X_train.mean().to_numpy()),
              ok="The means come from the training rows.",
              problem="`mean` should hold the mean of each column of the training features.",
              hint="Use X_train.mean(): one number per column, from the training rows only.")
        check(lambda: np.allclose(np.asarray(std, dtype=float), X_train.std().to_numpy()),
              ok="The standard deviations come from the training rows.",
              problem="`std` should hold the standard deviation of each training column.",
              hint="Use X_train.std(); never compute statistics on validation or test rows.")


def check_regression_model(model, n_features: int = 8):
    """01.2L step 2: a network that maps the features to one number."""
    with LabChecks("Step 2: the model") as check:
        check(lambda: tuple(model.input_shape) == (None, n_features),
              ok=f"The model takes the {n_features} features as input.",
              problem=f"The model's input should have shape (None, {n_features}).",
              hint=f"Start the model with keras.Input(shape=({n_features},)).")
        check(lambda: tuple(model.output_shape) == (None, 1),
              ok="The model ends in one output unit: one predicted value per district.",
              problem="The model should end in exactly one output unit.",
              hint="Make the last layer layers.Dense(1).")
        check(lambda: any(_activation_name(layer) != "linear" for layer in _dense_layers(model)[:-1]),
              ok="At least one hidden layer has a non-linear activation.",
              problem="The model needs a hidden Dense layer with a non-linear activation; "
                      "without one it is just another linear regression.",
              hint="Add e.g. layers.Dense(64, activation='relu') before the output layer.")
        check(lambda: _activation_name(_dense_layers(model)[-1]) == "linear",
              ok="The output layer has no activation, so it can predict any value.",
              problem="The output layer should have no activation: a regression output is not squashed.",
              hint="Write layers.Dense(1), without activation=...")


def check_compiled_for_regression(model):
    """01.2L step 3: the right loss for a regression."""
    with LabChecks("Step 3: compiling") as check:
        check(lambda: model.optimizer is not None and model.compiled,
              ok="The model is compiled with an optimizer.",
              problem="The model is not compiled yet.",
              hint="Call model.compile(optimizer=..., loss=..., metrics=[...]).")
        check(lambda: model.loss in ("mse", "mean_squared_error")
              or model.loss.__class__.__name__ == "MeanSquaredError",
              ok="The loss is the mean squared error.",
              problem=f"The loss should be the mean squared error, not {getattr(model, 'loss', None)!r}.",
              hint="Pass loss='mse' to compile.")


def check_training(history, min_epochs: int = 2):
    """01.2L step 4: a real training run, watched on validation data."""
    values = getattr(history, "history", {}) or {}
    with LabChecks("Step 4: training") as check:
        check(lambda: len(values["loss"]) >= min_epochs,
              ok=f"The model trained for {len(values.get('loss', []))} epochs.",
              problem=f"Train for at least {min_epochs} epochs.",
              hint="Pass epochs=course.epochs(...) to fit.")
        check(lambda: "val_loss" in values,
              ok="Keras reported the validation loss each epoch.",
              problem="fit did not get validation data, so you cannot see how the model does on new rows.",
              hint="Pass validation_data=(X_val, y_val) to fit.")
        check(lambda: values["loss"][-1] < values["loss"][0],
              ok="The training loss went down.",
              problem="The training loss did not go down.",
              hint="Check the learning rate and that you standardized the features.")


def check_normalizer(normalizer, X_train):
    """01.3L step 1: a Normalization layer adapted to the training features."""
    with LabChecks("Step 1: the Normalization layer") as check:
        check(lambda: normalizer.__class__.__name__ == "Normalization",
              ok="`normalizer` is a keras Normalization layer.",
              problem="`normalizer` should be a layers.Normalization() layer.",
              hint="Create it with layers.Normalization().")
        check(lambda: np.allclose(np.asarray(normalizer.mean).ravel(), np.asarray(X_train).mean(axis=0),
                                  rtol=1e-3),
              ok="It learned each feature's mean from the training rows.",
              problem="The layer has not learned the training means: it is not adapted, or adapted to other rows.",
              hint="Call normalizer.adapt(X_train) before using it.")


def check_model_starts_with(model, normalizer):
    """01.3L step 2: preprocessing inside the model."""
    with LabChecks("Step 2: normalization inside the model") as check:
        check(lambda: model.layers[0] is normalizer,
              ok="The model's first layer is your adapted normalizer.",
              problem="The first layer of the model should be the adapted `normalizer`.",
              hint="List normalizer right after keras.Input(shape=(8,)) in keras.Sequential([...]).")
        check(lambda: tuple(model.output_shape) == (None, 1),
              ok="The model ends in one output unit.",
              problem="The model should end in exactly one output unit.",
              hint="Make the last layer layers.Dense(1).")


def check_choice_on_validation(best_learning_rate, val_rmse: dict):
    """01.3L step 3: the setting with the lowest validation RMSE."""
    with LabChecks("Step 3: choosing on validation") as check:
        check(lambda: best_learning_rate == min(val_rmse, key=val_rmse.get),
              ok=f"You chose learning rate {best_learning_rate}, the one with the lowest validation RMSE.",
              problem=f"`best_learning_rate` should be the key of `val_rmse` with the lowest value, "
                      f"not {best_learning_rate!r}.",
              hint="min(val_rmse, key=val_rmse.get) returns the key with the smallest value.")


def check_reloaded(reloaded, model, path, X):
    """01.3L step 4: a saved model that predicts exactly like the original."""
    from pathlib import Path

    with LabChecks("Step 4: saving and reloading") as check:
        check(lambda: Path(path).is_file() and str(path).endswith(".keras"),
              ok=f"The model is saved in {Path(path).name}.",
              problem=f"There should be a saved .keras file at {path}.",
              hint="Call model.save(path) with a path ending in .keras.")
        check(lambda: reloaded is not model and np.allclose(reloaded.predict(X, verbose=0),
                                                            model.predict(X, verbose=0), rtol=1e-5),
              ok="The reloaded model predicts exactly like the original.",
              problem="`reloaded` should be the model loaded back from the file, predicting like the original.",
              hint="reloaded = keras.models.load_model(path)")


def check_early_stopping(early_stopping):
    """01.4L step 1."""
    import keras

    with LabChecks("Step 1: EarlyStopping") as check:
        check(lambda: isinstance(early_stopping, keras.callbacks.EarlyStopping),
              ok="`early_stopping` is an EarlyStopping callback.",
              problem="`early_stopping` should be a keras.callbacks.EarlyStopping(...).",
              hint="keras.callbacks.EarlyStopping(monitor=..., patience=..., restore_best_weights=...)")
        check(lambda: early_stopping.monitor == "val_loss",
              ok="It watches the validation loss.",
              problem="It should watch the validation loss, not the training loss.",
              hint="monitor='val_loss'")
        check(lambda: early_stopping.patience >= 1,
              ok=f"It waits {early_stopping.patience} epoch(s) without improvement before stopping.",
              problem="Give it a patience of at least 1 epoch.",
              hint="patience=3, for example")
        check(lambda: early_stopping.restore_best_weights is True,
              ok="It restores the best epoch's weights at the end.",
              problem="Without restore_best_weights the model keeps the weights of the last, worse epochs.",
              hint="restore_best_weights=True")


def check_checkpoint(checkpoint, path):
    """01.4L step 2."""
    import keras

    with LabChecks("Step 2: ModelCheckpoint") as check:
        check(lambda: isinstance(checkpoint, keras.callbacks.ModelCheckpoint),
              ok="`checkpoint` is a ModelCheckpoint callback.",
              problem="`checkpoint` should be a keras.callbacks.ModelCheckpoint(...).",
              hint="keras.callbacks.ModelCheckpoint(checkpoint_path, monitor=..., save_best_only=...)")
        check(lambda: str(checkpoint.filepath) == str(path),
              ok="It writes to checkpoint_path.",
              problem="It should write to `checkpoint_path`.",
              hint="Pass checkpoint_path as the first argument.")
        check(lambda: checkpoint.save_best_only and checkpoint.monitor == "val_loss",
              ok="It saves only when the validation loss improves.",
              problem="It should save only the best model by validation loss.",
              hint="monitor='val_loss', save_best_only=True")


def check_schedule(schedule):
    """01.4L step 4: halve the learning rate every 4 epochs."""
    expected = {0: 0.01, 1: 0.01, 3: 0.01, 4: 0.005, 5: 0.01, 8: 0.005}
    with LabChecks("Step 4: the learning-rate schedule") as check:
        for epoch, rate in expected.items():
            check(lambda epoch=epoch, rate=rate: np.isclose(schedule(epoch, 0.01), rate),
                  ok=f"schedule({epoch}, 0.01) = {rate}",
                  problem=f"schedule({epoch}, 0.01) should be {rate}.",
                  hint="Return learning_rate / 2 when epoch > 0 and epoch % 4 == 0, else learning_rate unchanged.")


def check_callbacks_ran(timer, history, checkpoint_path, model, X_val, y_val):
    """01.4L step 5: all callbacks did their job during one fit."""
    import keras

    epochs_run = len(history.history.get("loss", []))
    with LabChecks("Step 5: training with your callbacks") as check:
        check(lambda: len(timer.seconds) == epochs_run and all(s > 0 for s in timer.seconds),
              ok=f"EpochTimer recorded {epochs_run} positive durations, one per epoch.",
              problem=f"EpochTimer should record one positive duration per epoch ({epochs_run} epochs ran), "
                      f"got {len(getattr(timer, 'seconds', []))}.",
              hint="Start a clock in on_epoch_begin and append the elapsed seconds in on_epoch_end.")
        check(lambda: np.isclose(np.ravel(model.evaluate(X_val, y_val, verbose=0))[0],
                                 min(history.history["val_loss"]), rtol=1e-3),
              ok="The model ends with its best epoch's weights.",
              problem="The model's validation loss should equal the best epoch's: were the best weights restored?",
              hint="Pass early_stopping to fit, with restore_best_weights=True.")
        check(lambda: keras.models.load_model(checkpoint_path) is not None,
              ok=f"{checkpoint_path.name} holds a model that loads.",
              problem=f"No loadable model was saved at {checkpoint_path}.",
              hint="Pass checkpoint to fit's callbacks.")
