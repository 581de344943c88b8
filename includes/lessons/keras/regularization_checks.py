"""Checks for lab 01.5L (overfitting and regularization).

They judge what the learner's model does, never how it was regularized: any mix of penalties, dropout, early
stopping, a smaller network, weight decay or augmentation passes once the gap between the validation and the
training loss is small enough, the validation loss low enough, and the model better than a guess from the
class frequencies. Every loss here is the plain cross-entropy of the finished model in inference mode
(``helpers.cross_entropy``), so a penalty that Keras adds to its logged loss does not count.
"""

from __future__ import annotations

import math

import numpy as np

from includes.labs.checks import LabChecks, attempt, value_or

from .helpers import class_probabilities, cross_entropy, prior_cross_entropy

# Full course: 2,000 training images, 10,000 validation images, up to 40 epochs. Measured (2026-11-29): the
# lab's unregularized network ends at training loss 0.11 / validation 0.92 (gap 0.81); two layers of 128 units
# with dropout 0.5 and early stopping 0.30 / 0.50 (gap 0.19); early stopping alone 0.31 / 0.52; dropout 0.5 with
# AdamW(weight_decay=0.3) and early stopping 0.28 / 0.50; an L2 penalty of 0.1 underfits at 0.62 / 0.69.
FULL_COURSE_GAP = 0.30
FULL_COURSE_VAL_LOSS = 0.55
# Small data: the same 2,000 training images, 4,000 validation images, up to 15 epochs. Measured: the
# unregularized network 0.16 / 0.65 (gap 0.49); the 128-unit solution 0.36 / 0.51 (gap 0.15).
SMALL_DATA_GAP = 0.30
SMALL_DATA_VAL_LOSS = 0.60


def targets(small: bool) -> tuple[float, float]:
    """(largest gap, largest validation loss) the lab asks for, on the full data or with the small-data flag."""
    return (SMALL_DATA_GAP, SMALL_DATA_VAL_LOSS) if small else (FULL_COURSE_GAP, FULL_COURSE_VAL_LOSS)


def _close(value, *expected) -> bool:
    """Whether the learner's number matches any of the right ones (None: not measurable)."""
    return value is not None and any(
        bool(np.isclose(value, right, rtol=1e-2, atol=2e-3)) for right in expected if right is not None
    )


def _right_losses(model, X, y) -> tuple:
    """The loss on X, y as this module measures it and, if the model is compiled, as Keras's evaluate reports it.

    Both are right answers: they differ a little for very confident mistakes (Keras works from the logits
    behind a softmax, or clips probabilities at 1e-7), and evaluate adds any weight penalty.
    """
    by_keras = value_or(None, lambda: float(model.evaluate(X, y, verbose=0, return_dict=True)["loss"]))
    return cross_entropy(model, X, y), by_keras


def _two_numbers(result):
    """The learner's (training loss, validation loss) as two floats, or None."""
    values = value_or(None, lambda: [float(v) for v in np.asarray(result, dtype=float).ravel()])
    return values if values is not None and len(values) == 2 else None


def check_measure(measure, model, X_train, y_train, X_val, y_val, history=None):
    """Step 1: measure(model) returns the finished model's loss on the training rows, then on the validation rows."""
    result, error = attempt(measure, model)
    numbers = _two_numbers(result)
    train_loss, val_loss = numbers if numbers else (None, None)
    rights_train, rights_val = _right_losses(model, X_train, y_train), _right_losses(model, X_val, y_val)
    right_train, right_val = rights_train[0], rights_val[0]
    logged = getattr(history, "history", None) or {}
    train_accuracy = float(np.mean(class_probabilities(model, X_train).argmax(axis=1) == np.ravel(y_train)))

    def train_hint():
        if logged.get("loss") and _close(train_loss, logged["loss"][-1]):
            return (
                "That is the last epoch's training loss from the history: an average over an epoch during "
                "which the weights were still changing (and dropout, if any, was on). Measure the finished "
                "model on the training rows instead."
            )
        if _close(train_loss, *rights_val) and _close(val_loss, *rights_train):
            return "The two numbers are swapped: the training loss comes first, then the validation loss."
        if _close(train_loss, train_accuracy):
            return (
                "That is the accuracy, not the loss: evaluate gives the loss first (or under 'loss'), then the metrics."
            )
        return "Measure the loss of the finished model on the training images and labels, as fit defined it."

    def val_hint():
        if _close(val_loss, *rights_train):
            return (
                "Both numbers come from the training rows. Measure the second one on the validation rows: "
                "on the same images twice, the gap is always 0 and says nothing about overfitting."
            )
        return "Measure the loss of the finished model on the validation images and labels, the same way."

    with LabChecks("Step 1: measuring the gap") as check:
        check(
            numbers is not None,
            ok="Your function returns two numbers.",
            problem=(
                f"Your function raised {error}."
                if error
                else f"Your function should return two numbers (training loss, validation loss), not {result!r}."
            ),
            hint="Return the training loss and the validation loss, in that order (a tuple of two numbers).",
        )
        check(
            lambda: _close(train_loss, *rights_train),
            ok=f"Training loss {right_train:.3f}: the finished model on the training rows.",
            problem=f"The first number should be the finished model's training loss, {right_train:.3f}, "
            f"not {train_loss}.",
            hint=train_hint(),
        )
        check(
            lambda: _close(val_loss, *rights_val),
            ok=f"Validation loss {right_val:.3f}: the same model on the validation rows.",
            problem=f"The second number should be the finished model's validation loss, {right_val:.3f}, "
            f"not {val_loss}.",
            hint=val_hint(),
        )


def _loss_expects_logits(loss) -> bool:
    return bool(getattr(loss, "from_logits", False) or getattr(loss, "_fn_kwargs", {}).get("from_logits", False))


def check_classifier(model, image_shape=(28, 28), classes: int = 10):
    """Step 2: a compiled classifier from the lab's images to one score per class (any design)."""
    import keras

    images = np.random.default_rng(0).random((4, *image_shape)).astype("float32")
    outputs, error = attempt(lambda: np.asarray(keras.ops.convert_to_numpy(model(images, training=False))))
    shape = None if outputs is None else outputs.shape
    probabilities = outputs is not None and bool(
        np.all(outputs >= 0) and np.allclose(outputs.reshape(4, -1).sum(axis=1), 1, atol=1e-3)
    )
    loss = getattr(model, "loss", None)
    compiled = bool(getattr(model, "compiled", False)) and loss is not None
    with LabChecks("Step 2: your model") as check:
        check(
            lambda: shape == (4, classes),
            ok=f"It takes {image_shape[0]}×{image_shape[1]} images and gives {classes} scores per image.",
            problem=(
                f"For 4 images of shape {image_shape} it should give an array of shape (4, {classes}), "
                + (f"but it raised {error}." if error else f"not {shape}.")
            ),
            hint=f"Keep the overfitting model's input and output: the images as they are, and a last layer "
            f"with one unit per class ({classes}).",
        )
        check(
            compiled,
            ok="It is compiled with a loss.",
            problem="The model is not compiled yet.",
            hint="compile() gives the model its optimizer and loss (and, optionally, metrics) before fit.",
        )
        check(
            lambda: not compiled or outputs is None or probabilities != _loss_expects_logits(loss),
            ok="The loss matches the outputs (" + ("logits)." if _loss_expects_logits(loss) else "probabilities)."),
            problem="The loss does not match the outputs: "
            + (
                "the model gives probabilities, but the loss was told they are logits (from_logits=True)."
                if probabilities
                else "the model gives logits (no softmax), but the loss expects probabilities."
            ),
            hint="End with a softmax and keep the loss's default, or keep logits and pass from_logits=True.",
        )


def check_gap_closed(model, X_train, y_train, X_val, y_val, small: bool):
    """Step 3: a small gap, a low validation loss, and better than predicting the class frequencies."""
    most_gap, most_val_loss = targets(small)
    which = "small-data" if small else "full-course"
    train_loss = value_or(math.nan, cross_entropy, model, X_train, y_train)
    val_loss = value_or(math.nan, cross_entropy, model, X_val, y_val)
    gap = val_loss - train_loss
    prior = prior_cross_entropy(y_train, y_val)
    measured = f"training loss {train_loss:.3f}, validation loss {val_loss:.3f}"

    def loss_hint():
        if train_loss > most_val_loss:
            return (
                "Both losses are high: the model underfits. The regularization is too strong for it: a "
                "smaller penalty, a lower dropout rate, more units, or more epochs before stopping."
            )
        return (
            "The validation loss is what you want low: combine a remedy that shrinks the gap with enough "
            "capacity and epochs to still learn (early stopping keeps the best epoch)."
        )

    with LabChecks("Step 3: closing the gap") as check:
        check(
            lambda: math.isfinite(val_loss) and val_loss < prior,
            ok=f"It beats a guess from the class frequencies (validation loss {prior:.2f}).",
            problem=f"Validation loss {val_loss:.3f}: no better than always predicting the class frequencies "
            f"({prior:.2f}), so the model has learned nothing about the images.",
            hint="Training failed: a penalty or dropout rate so large that the weights cannot grow, or a "
            "learning rate so high that the loss diverged. Start from the overfitting model and add "
            "one remedy at a time.",
        )
        check(
            lambda: gap <= most_gap,
            ok=f"Gap {gap:.3f} ({measured}): within the {which} target of {most_gap:.2f}.",
            problem=f"Gap {gap:.3f} ({measured}): above the {which} target of {most_gap:.2f}. "
            f"The model still memorises its training images.",
            hint="Regularize more: dropout, a weight penalty, weight decay, a smaller network, augmentation, "
            "or stopping at the best validation epoch (demo 01.5, sections 1-4).",
        )
        check(
            lambda: val_loss <= most_val_loss,
            ok=f"Validation loss {val_loss:.3f}: within the {which} target of {most_val_loss:.2f}.",
            problem=f"Validation loss {val_loss:.3f}: above the {which} target of {most_val_loss:.2f}.",
            hint=loss_hint(),
        )
