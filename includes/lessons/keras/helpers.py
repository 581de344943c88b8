"""Measuring helpers for module 01's classifiers (01.5 and lab 01.5L): the lesson's Keras calls stay in the
notebooks; these only measure what a trained model does."""

from __future__ import annotations

import numpy as np


def class_probabilities(model, X, batch_size: int = 1024) -> np.ndarray:
    """The model's class probabilities for the rows of X, in inference mode (dropout off).

    A model that ends in logits (no softmax) is accepted too: its scores go through a softmax here, so both
    designs are measured the same way.
    """
    import keras

    # Calling the model (rather than predict) builds no new tf.function per model: measuring many models in a
    # row stays quick and quiet. training=False is inference mode: dropout and augmentation layers pass through.
    X = np.asarray(X, dtype="float32")
    scores = np.concatenate(
        [
            keras.ops.convert_to_numpy(model(X[start : start + batch_size], training=False))
            for start in range(0, len(X), batch_size)
        ]
    ).astype("float64")
    scores = scores.reshape(len(scores), -1)
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def cross_entropy(model, X, y) -> float:
    """Mean of -log(probability of the right class): the loss without any weight penalty added."""
    probabilities = class_probabilities(model, X)
    right = probabilities[np.arange(len(probabilities)), np.asarray(y).astype(int).ravel()]
    return float(np.mean(-np.log(np.clip(right, 1e-12, 1.0))))


def prior_cross_entropy(y_train, y_eval) -> float:
    """The loss of a model that ignores the image and always predicts the training classes' frequencies."""
    y_train, y_eval = np.asarray(y_train).astype(int).ravel(), np.asarray(y_eval).astype(int).ravel()
    frequencies = np.bincount(y_train, minlength=int(max(y_train.max(), y_eval.max())) + 1) / len(y_train)
    return float(np.mean(-np.log(np.clip(frequencies[y_eval], 1e-12, 1.0))))
