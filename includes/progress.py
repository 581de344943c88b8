"""Progress you can see on long work, without pages of per-batch log lines."""
from __future__ import annotations

import keras
from tqdm import tqdm


class EpochProgress(keras.callbacks.Callback):
    """One progress bar per `fit`, advancing once per epoch, showing the latest metrics.

    Use it with ``verbose=0``: ``model.fit(..., verbose=0, callbacks=[EpochProgress()])``.
    """

    def __init__(self, description: str = "training", metrics: tuple[str, ...] = ("loss", "val_loss")):
        super().__init__()
        self.description = description
        self.metrics = metrics
        self.bar = None

    def on_train_begin(self, logs=None):
        self.bar = tqdm(total=self.params.get("epochs"), desc=self.description, unit="epoch",
                        leave=True, ascii=True, dynamic_ncols=False, ncols=90)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {name: f"{logs[name]:.4f}" for name in self.metrics if name in logs}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
