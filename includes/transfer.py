"""Helpers for module 07 (transfer learning): which backbone weights, parameter counts, image grids.

The lessons themselves (the data pipeline, the frozen backbone, the fine-tuning
step) stay in the notebooks; these are the bits both 07.1 and 07.2L need.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BackboneWeights:
    """What to pass as ``weights=`` to ``MobileNetV2``, and what it is."""

    weights: str | None  # "imagenet" (a file installed in KERAS_HOME) or None (random start)
    standin: bool        # True: the course mirror's labelled stand-in, not the canonical file
    description: str     # one sentence to print next to every result

    @property
    def pretrained(self) -> bool:
        return self.weights is not None


def mobilenet_v2_weights(verbose: bool = True) -> BackboneWeights:
    """Install the MobileNetV2 160 px no-top weights for Keras, or fall back to ``weights=None``.

    The file comes from the ``datasets`` layer (mirror, cache or download), never
    from Keras' own downloader. If no copy is available, the model starts from
    random weights and the function says so.
    """
    from datasets import DatasetError, install_mobilenet_v2_weights

    try:
        info = install_mobilenet_v2_weights()
    except DatasetError as error:
        chosen = BackboneWeights(None, False, f"weights=None (random start): no copy of the pretrained "
                                              f"weights is available here ({type(error).__name__}).")
    else:
        if info["standin"]:
            text = f"weights='imagenet' loaded the course mirror's STAND-IN file: {info['note']}"
        else:
            text = f"weights='imagenet': {info['note']}"
        chosen = BackboneWeights("imagenet", bool(info["standin"]), text)
    if verbose:
        print(f"Backbone weights: {chosen.description}")
    return chosen


def count_params(weights) -> int:
    """Number of scalars in a list of variables (``model.trainable_weights`` for example)."""
    return int(sum(np.prod(w.shape) for w in weights))


def trainable_params(model) -> int:
    return count_params(model.trainable_weights)


def show_image_grid(images, titles=(), ncols: int = 5, title_colors=(), size: float = 2.2, suptitle: str = ""):
    """Show images (values 0-255 or 0-1) in a grid, one optional title (and title color) per image."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)))
    for index, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if index >= len(images):
            continue
        image = images[index]
        ax.imshow(image.astype("uint8") if image.max() > 1.0 else image)
        if index < len(titles):
            color = title_colors[index] if index < len(title_colors) else "black"
            ax.set_title(titles[index], fontsize=9, color=color)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
