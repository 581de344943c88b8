"""Run a training function on several worker processes: Horovod on Spark locally,
HorovodRunner on Databricks, with the same call in the notebook.

    results = run_on_workers(train, num_proc=2, epochs=5)

``train`` runs once per worker (each worker calls ``hvd.init()`` itself) and
its return value comes back per worker, in rank order. HorovodRunner on
Databricks returns only rank 0's value, so a function that must report on all
ranks (for example to prove they hold the same weights) gathers that inside,
with ``hvd.allgather_object``.
"""
from __future__ import annotations

import os
import time

from includes.setup.environment import CourseSetupError, on_databricks


def run_on_workers(train_fn, num_proc: int = 2, **kwargs) -> list:
    """Run ``train_fn(**kwargs)`` on ``num_proc`` Horovod workers and return their results."""
    if on_databricks():
        try:
            from sparkdl import HorovodRunner
        except ImportError as missing:
            raise CourseSetupError(
                "This Databricks runtime has no HorovodRunner (Horovod was removed after 15.4 LTS ML): "
                "attach the notebook to a 15.4 LTS ML cluster, or use TorchDistributor as in 04.3.") from missing
        return [HorovodRunner(np=num_proc).run(train_fn, **kwargs)]
    import horovod.spark

    # The workers are new processes: keep the libraries' deprecation chatter out of their output too.
    env = {**os.environ, "PYTHONWARNINGS": "ignore::FutureWarning,ignore::DeprecationWarning"}
    return horovod.spark.run(train_fn, kwargs=kwargs, num_proc=num_proc, env=env, verbose=0)


def timed_run_on_workers(train_fn, num_proc: int = 2, **kwargs) -> tuple[list, float]:
    """Like :func:`run_on_workers`, and also the wall-clock seconds it took (start-up included)."""
    started = time.perf_counter()
    results = run_on_workers(train_fn, num_proc=num_proc, **kwargs)
    return results, time.perf_counter() - started


def features_and_label(batch):
    """Turn a Petastorm batch (columns ``features`` and ``label``) into the (x, y) pair Keras expects.

    It lives in a module rather than in a notebook so that TensorFlow can read its source when it
    traces the function inside a worker process.
    """
    return batch.features, batch.label


def make_train_step(model, optimizer, hvd):
    """One optimization step whose gradients are averaged over all Horovod workers (04.2 explains it).

    Keras 3 keeps a TensorFlow variable inside each of its variables as ``.value``; Horovod's
    ``DistributedGradientTape`` needs those.
    """
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.MeanSquaredError()
    trainable = model.trainable_variables

    @tf.function(autograph=False)  # plain tensor code: no Python control flow to convert
    def train_step(features, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(features, training=True))
        tape = hvd.DistributedGradientTape(tape)  # all-reduce of the gradients
        gradients = tape.gradient(loss, [variable.value for variable in trainable])
        optimizer.apply_gradients(zip(gradients, trainable))
        return loss

    return train_step


def write_for_petastorm(spark, X, y, path):
    """Write features and target as Parquet in the layout Petastorm reads (04.1 explains it).

    The feature columns of ``X`` become one ``array<float>`` column ``features``, the target a
    ``float`` column ``label``. Returns the Spark DataFrame read back from ``path``.
    """
    from pyspark.sql import functions as F

    frame = spark.createDataFrame(X.assign(label=y))
    frame = frame.select(F.array(*[F.col(name).cast("float") for name in X.columns]).alias("features"),
                         F.col("label").cast("float"))
    frame.write.mode("overwrite").parquet(str(path))
    return spark.read.parquet(str(path))
