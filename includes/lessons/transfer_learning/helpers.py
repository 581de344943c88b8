"""Helpers for module 07 (transfer learning): which backbone weights, parameter counts, image grids.

The lessons themselves (the data pipeline, the frozen backbone, the fine-tuning
step) stay in the notebooks; these are the bits both 07.1 and 07.2L need.
"""

from __future__ import annotations

import numpy as np

from includes.data import DatasetError, PretrainedWeights


def mobilenet_v2_weights(verbose: bool = True) -> PretrainedWeights:
    """Install the MobileNetV2 160 px no-top weights for Keras, or fall back to ``weights=None``.

    The file comes from the ``datasets`` layer (mirror, cache or download), never
    from Keras' own downloader. If no copy is available, the model starts from
    random weights and the function says so.
    """
    from includes import data  # looked up when called, so a test can replace the installer

    try:
        installed = data.install_mobilenet_v2_weights()
    except DatasetError as error:
        chosen = PretrainedWeights(
            None,
            False,
            f"weights=None (random start): no copy of the pretrained "
            f"weights is available here ({type(error).__name__}).",
        )
    else:
        if installed.standin:
            chosen = installed.described_as(
                f"weights='imagenet' loaded the course mirror's STAND-IN file: {installed.description}"
            )
        else:
            chosen = installed.described_as(f"weights='imagenet': {installed.description}")
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
