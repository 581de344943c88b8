"""EpochProgress: one bar per fit, and how long each epoch took."""

import keras
import numpy as np

from includes.common.progress import EpochProgress


def test_epoch_progress_times_every_epoch_and_starts_over_on_each_fit():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    features, targets = np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32")
    progress = EpochProgress("unit test")
    model.fit(features, targets, epochs=3, verbose=0, callbacks=[progress])
    assert len(progress.epoch_seconds) == 3 and all(seconds > 0 for seconds in progress.epoch_seconds)
    model.fit(features, targets, epochs=2, verbose=0, callbacks=[progress])
    assert len(progress.epoch_seconds) == 2
