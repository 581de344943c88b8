"""Plotting and measuring for 00.1 Introduction; the Keras and TensorFlow calls stay in the notebook."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def rmse(predicted, target) -> float:
    """Root-mean-squared error between two arrays of the same length."""
    return float(np.sqrt(np.mean((np.ravel(predicted) - np.ravel(target)) ** 2)))


def plot_fits(x_grid, target, fits: dict, x_train=None, y_train=None):
    """One panel per network: the function to learn, the network's curve and its error.

    ``fits`` maps a number of hidden units to the network's predictions on ``x_grid``.
    """
    fig, axes = plt.subplots(1, len(fits), figsize=(4.2 * len(fits), 3.4), sharey=True)
    for ax, (units, predicted) in zip(np.atleast_1d(axes), fits.items()):
        if x_train is not None:
            ax.scatter(np.ravel(x_train), np.ravel(y_train), s=2, color="lightgrey", label="training points")
        ax.plot(np.ravel(x_grid), np.ravel(target), color="black", lw=2, label="function to learn")
        ax.plot(np.ravel(x_grid), np.ravel(predicted), color="tab:red", lw=2, label="network")
        ax.set(title=f"{units} hidden units: RMSE {rmse(predicted, target):.3f}", xlabel="x")
    np.atleast_1d(axes)[0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    plt.show()


def plot_throughput(rates: dict):
    """A bar per device, on a log scale (the bars differ by orders of magnitude), in GFLOP/s."""
    fig, ax = plt.subplots(figsize=(7, 2.6))
    names, values = list(rates), list(rates.values())
    bars = ax.barh(names, values, color=["tab:blue"] + ["tab:green"] * (len(values) - 1))
    ax.set_xscale("log")
    ax.bar_label(bars, labels=[f"{value:,.0f} GFLOP/s" for value in values], padding=4, fontsize=9)
    ax.set(
        xlabel="billions of floating-point operations per second (log scale)", xlim=(min(values) / 3, max(values) * 20)
    )
    ax.invert_yaxis()
    fig.tight_layout()
    plt.show()


def plot_nested_fields():
    """Artificial intelligence contains machine learning, which contains deep learning."""
    from matplotlib.patches import Ellipse

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    rings = [
        (
            "Artificial intelligence",
            "programs that act intelligently,\nincluding hand-written rules",
            6.0,
            3.4,
            "#dbe9f6",
        ),
        ("Machine learning", "rules learned from data,\nfeatures chosen by people", 4.3, 2.4, "#9ecae1"),
        ("Deep learning", "features learned too,\nlayer upon layer", 2.5, 1.35, "#4292c6"),
    ]
    for name, meaning, width, height, color in rings:
        ax.add_patch(Ellipse((0, -(3.4 - height) / 2), width, height, facecolor=color, edgecolor="black"))
        ax.text(
            0,
            -(3.4 - height) / 2 + height / 2 - 0.42,
            f"{name}\n",
            ha="center",
            va="center",
            fontsize=10,
            weight="bold",
        )
        ax.text(0, -(3.4 - height) / 2 + height / 2 - 0.5, meaning, ha="center", va="top", fontsize=8)
    ax.set(xlim=(-3.2, 3.2), ylim=(-1.8, 1.8), aspect="equal")
    ax.axis("off")
    plt.show()
