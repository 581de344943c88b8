"""Checks for the lab of module 06 (CNNs and distributed inference)."""
from __future__ import annotations

import numpy as np

from includes.labs.checks import LabChecks

FULL_COURSE_ACCURACY = 0.88
# 6,000 training images and 3 epochs: the solution CNN gets about 0.82; 60,000 and 6 epochs: 0.90.
SMALL_DATA_ACCURACY = 0.70
POOLING_LAYERS = ("MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D")


def _kinds(model) -> list[str]:
    return [layer.__class__.__name__ for layer in model.layers]


def _activation_name(layer) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "")


def check_cnn(model, image_shape=(28, 28, 1), classes: int = 10):
    """Step 1: a small CNN from images to class probabilities."""
    with LabChecks("Step 1: the CNN") as check:
        check(lambda: tuple(model.input_shape) == (None, *image_shape),
              ok=f"The model takes images of shape (None, {', '.join(map(str, image_shape))}).",
              problem=f"The model's input should have shape (None, {', '.join(map(str, image_shape))}).",
              hint=f"Start with keras.Input(shape={image_shape}).")
        check(lambda: "Conv2D" in _kinds(model),
              ok=f"It has {_kinds(model).count('Conv2D')} convolution layer(s).",
              problem="The model has no Conv2D layer: without one it is not a CNN.",
              hint="Add layers.Conv2D(32, 3, activation='relu') after the input.")
        check(lambda: any(kind in POOLING_LAYERS for kind in _kinds(model)),
              ok="It pools its feature maps.",
              problem="The model has no pooling layer.",
              hint="Put layers.MaxPooling2D() after each convolution.")
        check(lambda: tuple(model.output_shape) == (None, classes) and _activation_name(model.layers[-1]) == "softmax",
              ok=f"It ends in {classes} softmax units: one probability per class.",
              problem=f"The last layer should be layers.Dense({classes}, activation='softmax').",
              hint="Flatten the last feature map, then add the output layer.")


def accuracy_bar(small: bool) -> float:
    return SMALL_DATA_ACCURACY if small else FULL_COURSE_ACCURACY


def check_accuracy(accuracy: float, small: bool):
    """Step 2: test accuracy; the bar depends on the small-data flag."""
    bar = accuracy_bar(small)
    which = ("small-data bar (6,000 training images, a few epochs)" if small
             else "full-course bar (60,000 training images)")
    with LabChecks("Step 2: training") as check:
        check(lambda: np.isfinite(accuracy) and accuracy >= bar,
              ok=f"Test accuracy {accuracy:.3f} reaches the {which} of {bar:.2f}.",
              problem=f"Test accuracy {accuracy:.3f} is below the {which} of {bar:.2f}.",
              hint="Scale the pixels to 0..1, use loss='sparse_categorical_crossentropy', and train for "
                   "course.epochs(6, small=3) epochs.")


def _is_integer_field(schema, name: str) -> bool:
    field = next(field for field in schema.fields if field.name == name)
    return field.dataType.typeName() in ("integer", "long", "short", "byte")


def check_spark_predictions(schema, rows, n_rows: int, loads: list, partitions: int, expected):
    """Step 4: the pandas UDF's output, and how often it loaded the model.

    ``schema``: the scored DataFrame's schema; ``rows``: its ``id`` and ``prediction`` columns as pandas;
    ``loads``: ``images.model_loads(log_dir)``; ``expected``: the local model's predicted class per id.
    """
    with LabChecks("Step 4: the pandas UDF") as check:
        check(lambda: "prediction" in schema.fieldNames() and _is_integer_field(schema, "prediction"),
              ok="The DataFrame has an integer `prediction` column.",
              problem="The scored DataFrame should have a `prediction` column of integers (the class id).",
              hint='Declare the UDF with @pandas_udf("int") and yield pd.Series of integers.')
        check(lambda: len(rows) == n_rows,
              ok=f"There is one prediction per test image ({n_rows:,}).",
              problem=f"Expected {n_rows:,} rows, got {len(rows):,}: yield exactly one prediction per input row.",
              hint="Yield one Series per batch, as long as the batch.")
        check(lambda: 0 < len(loads) <= partitions,
              ok=f"The model was loaded {len(loads)} time(s) for {partitions} partitions: once per task, "
                 "not once per batch.",
              problem=(f"The model was loaded {len(loads)} time(s) for {partitions} partitions."
                       + (" Load it with images.load_counted_model(...) so the loads are counted." if not loads
                          else " It is loaded once per batch; it should be once per partition.")),
              hint="Call images.load_counted_model(model_file, log_dir) once, before the `for` loop over batches.")
        check(lambda: np.mean(np.asarray(rows.sort_values("id")["prediction"]) == np.asarray(expected)) >= 0.999,
              ok="Spark's predictions match the model's predictions in this notebook.",
              problem="Spark's predictions differ from model.predict on the same test images.",
              hint="Rebuild each batch as (n, 28, 28, 1) float32 pixels divided by 255, like the training "
                   "images, and yield the argmax of the probabilities.")
