"""What the unit tests share."""

from __future__ import annotations

import pytest

from includes.setup.spark import start_spark


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """pytest's own local SparkSession, started once for all the unit tests that need one.

    Each start is a new SparkContext and a new Python worker daemon that imports TensorFlow, Keras and MLflow
    (includes/setup/spark_daemon.py): seconds of CPU taken from the notebooks' lanes, which run beside the unit
    tests. Tests that need a Spark of their own (a cold start, a cluster) start it in a process of their own."""
    session = start_spark("unit tests", tmp_path_factory.mktemp("spark-home"))
    yield session
    session.stop()
