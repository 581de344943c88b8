"""The California-housing regressor that modules 02-04 track, tune and distribute.

Module 01 builds this network step by step; later modules reuse it so that
their lessons are about MLflow, Hyperopt or Horovod, not about the model.
"""

from __future__ import annotations

import keras
from keras import layers

OPTIMIZERS = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop}


def housing_model(
    X_train,
    hidden_units=(64, 64),
    learning_rate: float = 0.001,
    activation: str = "relu",
    optimizer: str = "adam",
    optimizer_options: dict | None = None,
) -> keras.Model:
    """A compiled MLP that normalizes its own inputs (adapted to ``X_train``) and predicts one value.

    Reports ``rmse`` as a metric, in the target's unit. ``optimizer_options`` are further settings of
    the optimizer, for example ``{"momentum": 0.9}`` for SGD (module 03 tunes them).
    """
    normalizer = layers.Normalization(name="normalize")
    normalizer.adapt(X_train)
    model = keras.Sequential(
        [keras.Input(shape=(X_train.shape[1],)), normalizer]
        + [layers.Dense(units, activation=activation) for units in hidden_units]
        + [layers.Dense(1, name="price")],
        name="housing_mlp",
    )
    model.compile(
        optimizer=OPTIMIZERS[optimizer](learning_rate=learning_rate, **(optimizer_options or {})),
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    return model
