"""Module 06's lab checks: the solution passes, other correct designs pass, a learner's likely mistakes fail
with their own hint."""

import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers
from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

from includes.labs.checks import LabCheckFailed
from includes.lessons.cnns import checks

SHAPE = (28, 28, 1)


def solution_cnn():
    return keras.Sequential(
        [
            keras.Input(SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def strided_logits_cnn():
    """Another correct design: functional, strided convolutions instead of pooling layers, global
    average pooling, logits and a separate Softmax nowhere."""
    inputs = keras.Input(SHAPE)
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inputs)
    x = layers.SeparableConv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(10)(x))


def nested_softmax_cnn():
    """Another correct design: the convolutions in a nested block, the softmax as its own layer."""
    features = keras.Sequential([layers.Conv2D(8, 5, activation="relu"), layers.AveragePooling2D(4)])
    return keras.Sequential([keras.Input(SHAPE), features, layers.Flatten(), layers.Dense(10), layers.Softmax()])


@pytest.mark.parametrize("build", [solution_cnn, strided_logits_cnn, nested_softmax_cnn])
def test_cnn_right(build, capsys):
    checks.check_cnn(build())
    assert "✘" not in capsys.readouterr().out


WRONG_CNNS = {
    "no convolution (a dense network)": (
        lambda: keras.Sequential(
            [
                keras.Input(SHAPE),
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        ),
        "not a CNN",
    ),
    "one output unit": (
        lambda: keras.Sequential(
            [keras.Input(SHAPE), layers.Conv2D(8, 3), layers.GlobalMaxPooling2D(), layers.Dense(1)]
        ),
        "one unit per class",
    ),
    "input without the channel axis": (
        lambda: keras.Sequential(
            [keras.Input((28, 28)), layers.Conv1D(8, 3), layers.Flatten(), layers.Dense(10, activation="softmax")]
        ),
        "channel axis",
    ),
    "no pooling before a wide Dense layer": (
        lambda: keras.Sequential(
            [
                keras.Input(SHAPE),
                layers.Conv2D(32, 3, activation="relu"),
                layers.Conv2D(64, 3, activation="relu"),
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        ),
        "pool the feature maps",
    ),
}


@pytest.mark.parametrize("mistake", WRONG_CNNS)
def test_cnn_wrong(mistake, capsys):
    build, hint = WRONG_CNNS[mistake]
    with pytest.raises(LabCheckFailed):
        checks.check_cnn(build())
    assert hint in capsys.readouterr().out


def compiled(model, loss):
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


@pytest.mark.parametrize(
    "model, loss",
    [
        (solution_cnn, "sparse_categorical_crossentropy"),
        (strided_logits_cnn, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),  # logits, said so
    ],
)
def test_training_right(model, loss, capsys):
    checks.check_training(compiled(model(), loss), 0.90, small=False)
    assert "full-course bar" in capsys.readouterr().out
    checks.check_training(compiled(model(), loss), 0.75, small=True)
    assert "small-data bar" in capsys.readouterr().out


WRONG_TRAINING = {
    "probabilities, but from_logits=True": (
        lambda: compiled(solution_cnn(), keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        0.3,
        "end the model with a softmax and use the loss's default",
    ),
    "logits, but the default loss": (
        lambda: compiled(strided_logits_cnn(), "sparse_categorical_crossentropy"),
        0.4,
        "pass from_logits=True",
    ),
    "too little training": (
        lambda: compiled(solution_cnn(), "sparse_categorical_crossentropy"),
        0.62,
        "Fit for EPOCHS epochs",
    ),
    "not compiled": (solution_cnn, float("nan"), "Compile the model"),
}


@pytest.mark.parametrize("mistake", WRONG_TRAINING)
def test_training_wrong(mistake, capsys):
    build, accuracy, hint = WRONG_TRAINING[mistake]
    with pytest.raises(LabCheckFailed):
        checks.check_training(build(), accuracy, small=True)
    assert hint in capsys.readouterr().out


def test_training_bar_depends_on_the_flag():
    with pytest.raises(LabCheckFailed):
        checks.check_training(compiled(solution_cnn(), "sparse_categorical_crossentropy"), 0.85, small=False)


SCHEMA = StructType(
    [
        StructField("id", LongType()),
        StructField("label", IntegerType()),
        StructField("pixels", StringType()),
        StructField("prediction", IntegerType()),
    ]
)
EXPECTED = np.array([3, 1, 4, 1, 5, 9, 2, 6])
ROWS = pd.DataFrame({"id": [7, 6, 5, 4, 3, 2, 1, 0], "prediction": EXPECTED[::-1]})  # any order
ONE_LOAD_PER_PARTITION = [{"pid": 1, "time": 0.0}, {"pid": 2, "time": 0.1}]
ARGUMENTS = dict(schema=SCHEMA, rows=ROWS, n_rows=8, loads=ONE_LOAD_PER_PARTITION, partitions=2, expected=EXPECTED)


@pytest.mark.parametrize(
    "right",
    [
        {},
        dict(schema=StructType(SCHEMA.fields[:3] + [StructField("prediction", LongType())])),  # "long" UDF: also right
        dict(loads=ONE_LOAD_PER_PARTITION[:1]),  # all rows in one partition: one load
    ],
)
def test_spark_predictions_right(right, capsys):
    checks.check_spark_predictions(**{**ARGUMENTS, **right})
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (dict(schema=StructType(SCHEMA.fields[:3] + [StructField("prediction", StringType())])), "integer class ids"),
        (dict(rows=ROWS.iloc[:6]), "as long as the batch"),
        (dict(loads=ONE_LOAD_PER_PARTITION * 3), "before the `for` loop"),  # loaded in every batch
        (dict(loads=[]), "keras.models.load_model"),  # used the notebook's model object
        (
            dict(rows=ROWS.assign(prediction=np.where(ROWS["prediction"] == 9, 0, ROWS["prediction"]))),
            "divided by 255",
        ),  # unscaled pixels: some predictions differ
    ],
)
def test_spark_predictions_wrong(wrong, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_spark_predictions(**{**ARGUMENTS, **wrong})
    assert hint in capsys.readouterr().out
