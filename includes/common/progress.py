"""Progress you can see on long work, without pages of per-batch log lines."""

from __future__ import annotations

import time

import keras
from tqdm import tqdm


class EpochProgress(keras.callbacks.Callback):
    """One progress bar per `fit`, advancing once per epoch, showing the latest metrics.

    Use it with ``verbose=0``: ``model.fit(..., verbose=0, callbacks=[EpochProgress()])``.
    After ``fit``, ``epoch_seconds`` holds how long each epoch took (validation included).
    """

    def __init__(self, description: str = "training", metrics: tuple[str, ...] = ("loss", "val_loss")):
        super().__init__()
        self.description = description
        self.metrics = metrics
        self.bar = None
        self.epoch_seconds: list[float] = []
        self._epoch_started = 0.0

    def on_train_begin(self, logs=None):
        self.bar = tqdm(
            total=self.params.get("epochs"),
            desc=self.description,
            unit="epoch",
            leave=True,
            ascii=True,
            dynamic_ncols=False,
            ncols=90,
        )
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._epoch_started)
        logs = logs or {}
        shown = {name: f"{logs[name]:.4f}" for name in self.metrics if name in logs}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
