"""Shared pieces of the appendix notebooks A.2 and A.3: Fashion-MNIST ready for a CNN,
the small CNN they train in a few seconds, and label noise made on purpose (A.3).
A.1 looks inside the pretrained MobileNetV2 instead and needs none of this.

The lesson-specific code (saliency maps, test-time augmentation, the Inception
module) stays in the notebooks; only what several of them repeat lives here.
"""

from __future__ import annotations

import numpy as np


def fashion_images(small: bool | None = None):
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)`` for a CNN.

    Images are float32 in [0, 1] with a channel axis, shape ``(n, 28, 28, 1)``;
    labels are int64 class numbers (see ``datasets.FASHION_MNIST_CLASSES``).
    """
    from includes.data import load_fashion_mnist

    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(small=small)
    return ((to_cnn_input(x_train), y_train.astype("int64")), (to_cnn_input(x_test), y_test.astype("int64")))


def to_cnn_input(images) -> np.ndarray:
    """uint8 images ``(n, 28, 28)`` -> float32 ``(n, 28, 28, 1)`` in [0, 1]."""
    images = np.asarray(images)
    return (images.astype("float32") / 255.0)[..., np.newaxis]


def small_cnn(
    num_classes: int = 10,
    filters: tuple[int, int] = (16, 32),
    dense: int = 64,
    input_shape: tuple[int, int, int] = (28, 28, 1),
    learning_rate: float = 0.001,
):
    """A compiled two-block CNN that outputs logits (``from_logits=True`` loss).

    Its layers are named ``conv1``, ``conv2`` and ``logits``, so a notebook can reach inside it by name.
    """
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(filters[0], 3, activation="relu", padding="same", name="conv1"),
            layers.MaxPooling2D(name="pool1"),
            layers.Conv2D(filters[1], 3, activation="relu", padding="same", name="conv2"),
            layers.MaxPooling2D(name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(dense, activation="relu", name="dense"),
            layers.Dense(num_classes, name="logits"),
        ],
        name="small_cnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def flip_labels(labels, fraction: float, num_classes: int = 10, seed: int = 0):
    """Give ``fraction`` of the labels a different, random class.

    Returns ``(noisy_labels, flipped)`` where ``flipped`` holds the sorted
    indices that were changed; every changed label differs from the original.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    count = int(round(fraction * len(labels)))
    flipped = np.sort(rng.choice(len(labels), size=count, replace=False))
    noisy = labels.copy()
    # adding 1..num_classes-1 (mod num_classes) always lands on another class
    offsets = rng.integers(1, num_classes, size=count)
    noisy[flipped] = (labels[flipped] + offsets) % num_classes
    return noisy, flipped
