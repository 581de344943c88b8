"""Module 06's lab checks pass on a right answer and fail on a wrong one."""
import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers
from pyspark.sql.types import IntegerType, LongType, StringType, StructField, StructType

from includes.labs.checks import LabCheckFailed
from includes.lessons.cnns import checks


def cnn(conv=True, pool=True, classes=10, activation="softmax", shape=(28, 28, 1)):
    stack = [keras.Input(shape)]
    stack += [layers.Conv2D(4, 3, activation="relu")] if conv else []
    stack += [layers.MaxPooling2D()] if pool else []
    stack += [layers.Flatten(), layers.Dense(classes, activation=activation)]
    return keras.Sequential(stack)


def test_cnn_right():
    checks.check_cnn(cnn())


@pytest.mark.parametrize("wrong", [dict(conv=False), dict(pool=False), dict(classes=1),
                                   dict(activation=None), dict(shape=(32, 32, 3))])
def test_cnn_wrong(wrong):
    with pytest.raises(LabCheckFailed):
        checks.check_cnn(cnn(**wrong))


def test_accuracy_bar_depends_on_the_flag(capsys):
    checks.check_accuracy(0.90, small=False)
    assert "full-course bar" in capsys.readouterr().out
    checks.check_accuracy(0.75, small=True)
    assert "small-data bar" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):
        checks.check_accuracy(0.85, small=False)
    with pytest.raises(LabCheckFailed):
        checks.check_accuracy(0.5, small=True)
    with pytest.raises(LabCheckFailed):
        checks.check_accuracy(float("nan"), small=True)


SCHEMA = StructType([StructField("id", LongType()), StructField("label", IntegerType()),
                     StructField("pixels", StringType()), StructField("prediction", IntegerType())])
EXPECTED = np.array([3, 1, 4, 1, 5, 9, 2, 6])
ROWS = pd.DataFrame({"id": [7, 6, 5, 4, 3, 2, 1, 0], "prediction": EXPECTED[::-1]})  # any order
ONE_LOAD_PER_PARTITION = [{"pid": 1, "time": 0.0}, {"pid": 2, "time": 0.1}]


def test_spark_predictions_right():
    checks.check_spark_predictions(SCHEMA, ROWS, 8, ONE_LOAD_PER_PARTITION, 2, EXPECTED)


@pytest.mark.parametrize("wrong", [
    dict(schema=StructType(SCHEMA.fields[:3] + [StructField("prediction", StringType())])),  # not integers
    dict(schema=StructType(SCHEMA.fields[:3])),  # no prediction column
    dict(rows=ROWS.iloc[:6]),  # rows lost
    dict(loads=ONE_LOAD_PER_PARTITION * 3),  # loaded in every batch
    dict(loads=[]),  # not loaded with the counting helper
    dict(rows=ROWS.assign(prediction=0)),  # wrong predictions
])
def test_spark_predictions_wrong(wrong):
    arguments = dict(schema=SCHEMA, rows=ROWS, n_rows=8, loads=ONE_LOAD_PER_PARTITION, partitions=2,
                     expected=EXPECTED)
    with pytest.raises(LabCheckFailed):
        checks.check_spark_predictions(**{**arguments, **wrong})
