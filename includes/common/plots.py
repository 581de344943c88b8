"""Small plotting helpers shared by several notebooks (the lesson-specific plots stay in the notebooks)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot_history(histories: dict, metric: str = "loss", title: str | None = None, ax=None, log_scale: bool = False):
    """Training (solid) and validation (dashed) curves of one or more Keras histories.

    ``histories`` maps a label to a ``History`` (or its ``.history`` dict).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for (label, history), color in zip(histories.items(), plt.cm.tab10.colors):
        values = getattr(history, "history", history)
        epochs = np.arange(1, len(values[metric]) + 1)
        ax.plot(epochs, values[metric], color=color, label=f"{label} (train)")
        if f"val_{metric}" in values:
            ax.plot(epochs, values[f"val_{metric}"], color=color, linestyle="--", label=f"{label} (validation)")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    if log_scale:
        ax.set_yscale("log")
    ax.set_title(title or metric)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def plot_predictions(y_true, y_pred, title: str = "predicted vs actual", ax=None, unit: str = ""):
    """Scatter of predictions against the truth, with the perfect-prediction line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    ax.scatter(y_true, y_pred, s=4, alpha=0.3)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="perfect prediction")
    ax.set_xlabel(f"actual {unit}".strip())
    ax.set_ylabel(f"predicted {unit}".strip())
    ax.set_title(title)
    ax.legend()
    return ax
