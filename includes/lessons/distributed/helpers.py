"""Module 04's helpers: measuring and plumbing around the lessons, never the lessons themselves.

The Horovod launch (``horovod.spark.run``, ``HorovodRunner`` on Databricks), the broadcast, the averaged
gradient step and the sharded Petastorm reader are written out in the notebooks. What stays here:
Petastorm's Parquet layout (04.1 shows its source), the batch-to-(x, y) map the workers import, and the
weight fingerprint that lets a notebook compare the workers' copies of the model.
"""

from __future__ import annotations


def features_and_label(batch):
    """Turn a Petastorm batch (columns ``features`` and ``label``) into the (x, y) pair Keras expects.

    It lives in a module rather than in a notebook so that TensorFlow can read its source when it
    traces the function inside a worker process.
    """
    return batch.features, batch.label


def weight_fingerprint(model) -> float:
    """One number that changes when any trainable weight changes: the sum of all of them.

    Two workers holding the same model have the same fingerprint; gathered from every worker
    (``hvd.allgather_object``), it shows whether they trained one shared model.
    """
    import numpy as np

    return float(sum(np.sum(np.asarray(variable.numpy(), dtype="float64")) for variable in model.trainable_variables))


def write_for_petastorm(spark, X, y, uri: str):
    """Write features and target as Parquet in the layout Petastorm reads (04.1 explains it).

    The feature columns of ``X`` become one ``array<float>`` column ``features``, the target a
    ``float`` column ``label``. ``uri`` is the folder with its scheme (``course.spark_uri(folder)``).
    Returns the Spark DataFrame read back from ``uri``.
    """
    from pyspark.sql import functions as F

    frame = spark.createDataFrame(X.assign(label=y))
    frame = frame.select(
        F.array(*[F.col(name).cast("float") for name in X.columns]).alias("features"), F.col("label").cast("float")
    )
    frame.write.mode("overwrite").parquet(uri)
    return spark.read.parquet(uri)


def require_petastorm() -> None:
    """Stop with one sentence, instead of an ImportError later, where Petastorm cannot be imported.

    Petastorm (0.13.1, its last release) imports ``pyarrow.filesystem``, which PyArrow 16 removed; Databricks
    runtimes after 15.4 LTS ML ship a newer PyArrow, so there Petastorm cannot run at all (found by
    ``make test-runtime RUNTIME=17.3``).
    """
    from includes.setup.environment import CourseSetupError, runtime_rules_apply

    try:
        import petastorm.spark  # noqa: F401 - the import is the check
    except ImportError as error:
        if runtime_rules_apply():
            raise CourseSetupError(
                "Petastorm cannot run on this Databricks runtime (it imports pyarrow.filesystem, which the "
                "runtime's PyArrow no longer has): attach the notebook to a 15.4 LTS ML cluster, or load data "
                "with Mosaic Streaming, which Databricks recommends on newer runtimes."
            ) from None
        raise CourseSetupError(
            f"Petastorm does not import in this environment ({error}): run `make setup` from the repository, "
            "then restart the kernel."
        ) from None


def require_horovod() -> None:
    """Stop with one sentence, instead of an ImportError later, where Horovod is not installed."""
    from importlib.util import find_spec

    from includes.setup.environment import CourseSetupError, runtime_rules_apply

    if find_spec("horovod") is not None:
        return
    if runtime_rules_apply():
        raise CourseSetupError(
            "This Databricks runtime has no Horovod (Databricks removed it after 15.4 LTS ML): attach the "
            "notebook to a 15.4 LTS ML cluster, or see 04.3 for TorchDistributor, its replacement."
        )
    raise CourseSetupError(
        "Horovod is not installed in this environment: run `make setup` from the repository "
        "(it builds Horovod), then restart the kernel."
    )
