"""Checks for the lab of module 06 (CNNs and distributed inference).

Step 1 accepts any convolutional classifier of the asked-for shape within the parameter budget (pooling or
strided convolutions, Flatten or global pooling, probabilities or logits); step 2 judges the trained model by
its test accuracy and its loss; step 4 judges the UDF by its output and by how often it loaded the model.
"""

from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks, value_or

FULL_COURSE_ACCURACY = 0.88
# 6,000 training images and 3 epochs: the solution CNN gets about 0.82; 60,000 and 6 epochs: 0.90.
SMALL_DATA_ACCURACY = 0.70
MAX_PARAMETERS = 200_000
CONVOLUTIONS = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D")


def _all_layers(model) -> list:
    """Every layer of the model, nested models' layers included."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(_all_layers(layer))
    return found


def _kinds(model) -> list[str]:
    return [layer.__class__.__name__ for layer in _all_layers(model)]


def _outputs(model, image_shape) -> np.ndarray:
    """The model's outputs for four random images: how it behaves, whatever its layers are called."""
    import keras

    images = np.random.default_rng(0).random((4, *image_shape)).astype("float32")
    return np.asarray(keras.ops.convert_to_numpy(model(images, training=False)), dtype="float64")


def outputs_probabilities(model, image_shape=(28, 28, 1)) -> bool:
    """True if the model's outputs are probabilities (non-negative, summing to 1 per image)."""
    outputs = _outputs(model, image_shape)
    return bool(np.all(outputs >= 0) and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3))


def check_cnn(model, image_shape=(28, 28, 1), classes: int = 10, max_parameters: int = MAX_PARAMETERS):
    """Step 1: a small convolutional classifier from grey images to one score per class."""
    shape = ", ".join(map(str, image_shape))
    convolutions = value_or([], lambda: [kind for kind in _kinds(model) if kind in CONVOLUTIONS])
    parameters = value_or(None, model.count_params)
    probabilities = value_or(None, outputs_probabilities, model, image_shape)
    with LabChecks("Step 1: the CNN") as check:
        check(
            lambda: tuple(model.input_shape) == (None, *image_shape),
            ok=f"The model takes images of shape (None, {shape}).",
            problem=f"The model's input should have shape (None, {shape}), not {model.input_shape}.",
            hint="The images have a channel axis (one grey channel): the input is height × width × channels.",
        )
        check(
            bool(convolutions),
            ok=f"It has {len(convolutions)} convolution layer(s).",
            problem="The model has no convolution layer: Flatten followed by Dense layers is a plain "
            "network that ignores which pixels are neighbours, not a CNN.",
            hint="Start with convolution layers (06.1), and flatten or pool only after them.",
        )
        check(
            lambda: tuple(model.output_shape) == (None, classes),
            ok=f"It gives one score per class ({classes}).",
            problem=f"The model's output should have shape (None, {classes}), not {model.output_shape}.",
            hint=f"The last layer needs one unit per class ({classes}), not one unit per image.",
        )
        check(
            parameters is not None and parameters <= max_parameters,
            ok=f"{parameters:,} parameters, within the budget of {max_parameters:,}." if parameters else "",
            problem=f"{parameters or 0:,} parameters: more than the budget of {max_parameters:,}.",
            hint="Most parameters usually sit in the first Dense layer after Flatten: pool the feature maps "
            "more (or use GlobalAveragePooling2D) before it, or give it fewer units.",
        )
    if probabilities is not None:
        print(
            "Its outputs are "
            + (
                "probabilities (softmax): in step 2, use a loss that expects probabilities."
                if probabilities
                else "logits: in step 2, tell the loss with from_logits=True."
            )
        )


def _loss_expects_logits(loss) -> bool:
    return bool(getattr(loss, "from_logits", False) or getattr(loss, "_fn_kwargs", {}).get("from_logits", False))


def accuracy_bar(small: bool) -> float:
    return SMALL_DATA_ACCURACY if small else FULL_COURSE_ACCURACY


def check_training(model, accuracy: float, small: bool, image_shape=(28, 28, 1)):
    """Step 2: the model is compiled with a loss that matches its outputs and reaches the test accuracy bar."""
    bar = accuracy_bar(small)
    which = (
        "small-data bar (6,000 training images, a few epochs)" if small else "full-course bar (60,000 training images)"
    )
    loss = getattr(model, "loss", None)
    probabilities = value_or(None, outputs_probabilities, model, image_shape)
    expects_logits = _loss_expects_logits(loss)
    with LabChecks("Step 2: training") as check:
        check(
            loss is not None,
            ok="The model is compiled with a loss.",
            problem="The model has no loss: it was not compiled.",
            hint="Compile the model (optimizer, loss, metrics) before fitting it.",
        )
        matched = check(
            loss is None or probabilities is None or probabilities != expects_logits,
            ok="The loss matches the outputs ("
            + ("logits, from_logits=True)." if expects_logits else "probabilities)."),
            problem=(
                "The model outputs probabilities but the loss was told they are logits (from_logits=True)."
                if expects_logits
                else "The model outputs logits (no softmax) but the loss expects probabilities."
            ),
            hint="Either end the model with a softmax and use the loss's default, or keep logits "
            "and pass from_logits=True to the loss.",
        )
        check(
            lambda: np.isfinite(accuracy) and accuracy >= bar,
            ok=f"Test accuracy {accuracy:.3f} reaches the {which} of {bar:.2f}.",
            problem=f"Test accuracy {accuracy:.3f} is below the {which} of {bar:.2f}.",
            hint=(
                "Fix the loss first (see above)."
                if not matched
                else "Fit for EPOCHS epochs and watch the validation accuracy per epoch: stuck near 0.1 means "
                "the model is not learning (a learning rate far too high, or a ReLU on the output layer)."
            ),
        )


def _is_integer_field(schema, name: str) -> bool:
    field = next(field for field in schema.fields if field.name == name)
    return field.dataType.typeName() in ("integer", "long", "short", "byte")


def check_spark_predictions(schema, rows, n_rows: int, loads: list, partitions: int, expected):
    """Step 4: the pandas UDF's output, and how often it loaded the model.

    ``schema``: the scored DataFrame's schema; ``rows``: its ``id`` and ``prediction`` columns as pandas;
    ``loads``: ``images.model_loads(log_dir)``; ``expected``: the local model's predicted class per id.
    """
    with LabChecks("Step 4: the pandas UDF") as check:
        check(
            lambda: "prediction" in schema.fieldNames() and _is_integer_field(schema, "prediction"),
            ok="The DataFrame has an integer `prediction` column.",
            problem="The scored DataFrame should have a `prediction` column of integers (the class id).",
            hint="Declare the UDF's return type as an integer type and yield integer class ids, not probabilities.",
        )
        check(
            lambda: len(rows) == n_rows,
            ok=f"There is one prediction per test image ({n_rows:,}).",
            problem=f"Expected {n_rows:,} rows, got {len(rows):,}: yield exactly one prediction per input row.",
            hint="Yield one Series per batch, as long as the batch.",
        )
        check(
            lambda: 0 < len(loads) <= partitions,
            ok=f"The model was loaded {len(loads)} time(s) for {partitions} partitions: once per task, "
            "not once per batch.",
            problem=(
                f"The model was loaded {len(loads)} time(s) for {partitions} partitions"
                + (
                    ": the UDF never loaded the saved file."
                    if not loads
                    else ": once per batch instead of once per partition."
                )
            ),
            hint=(
                "Using the notebook's `model` inside the UDF ships a pickled copy with every task; load "
                "the saved file in the function with keras.models.load_model instead."
                if not loads
                else "Load the model before the `for` loop over the batches, not inside it."
            ),
        )
        check(
            lambda: np.mean(np.asarray(rows.sort_values("id")["prediction"]) == np.asarray(expected)) >= 0.999,
            ok="Spark's predictions match the model's predictions in this notebook.",
            problem="Spark's predictions differ from model.predict on the same test images.",
            hint="Rebuild each batch exactly like the training images (shape, float32, divided by 255) "
            "and yield the most likely class of each image.",
        )
