"""Spark on `local[2]` against a real 2-worker standalone cluster, side by side in one run (`make bench-cluster`).

    python scripts/bench_spark.py            # starts the cluster, measures both, stops it, writes the record
    python scripts/bench_spark.py --measure  # one measurement on the master COURSE_SPARK_MASTER names (or local[2])

Two measurements, the two ways the course uses Spark's executors:

* **UDF inference** (as in 06.2): an iterator pandas UDF loads a saved Keras CNN once per task and classifies
  28x28 images one Arrow batch at a time; images per second after a warm-up pass.
* **SparkTrials** (as in 03.1): a Hyperopt search of 8 trials of the course's housing model, 2 at a time;
  the search's wall-clock seconds.

Each master gets its own Python process (a SparkSession per process), run one after the other on a quiet
machine. The record goes to build/spark-bench.json; scripts/bench_report.py puts it in reports/bench.md.
"""

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECORD = ROOT / "build" / "spark-bench.json"
IMAGES, BATCH = 4_000, 64
TRIALS, PARALLELISM, TRIAL_EPOCHS = 8, 2, 3


def measure_udf_inference(course) -> dict:
    from collections.abc import Iterator

    import keras
    import numpy as np
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model_file = str(course.work_dir / "cnn.keras")
    model.save(model_file)
    pixels = np.random.default_rng(0).random((IMAGES, 28 * 28), dtype=np.float32)
    spark = course.spark
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH))
    partitions = spark.sparkContext.defaultParallelism
    frame = spark.createDataFrame(pd.DataFrame({"pixels": list(pixels)})).repartition(partitions).cache()
    frame.count()

    @pandas_udf("int")  # Spark reads the iterator form from the type hints (so no postponed annotations here)
    def classify(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
        loaded = keras.models.load_model(model_file)
        for batch in batches:
            images = np.stack(batch.to_numpy()).reshape(-1, 28, 28, 1)
            yield pd.Series(loaded.predict_on_batch(images).argmax(axis=1))

    frame.limit(partitions * BATCH).select(classify("pixels")).collect()  # warm-up: workers start, TF loads
    started = time.perf_counter()
    rows = frame.select(classify("pixels").alias("class_id")).collect()
    seconds = time.perf_counter() - started
    assert len(rows) == IMAGES
    return {"images": IMAGES, "seconds": round(seconds, 2), "images_per_s": round(IMAGES / seconds, 1)}


def measure_spark_trials(course) -> dict:
    from hyperopt import SparkTrials, fmin, hp, tpe

    from includes.data import california_housing_split
    from includes.lessons.hyperopt import helpers as tuning

    split = california_housing_split()
    data = tuning.TuningData(
        split.X_train.to_numpy("float32"),
        split.y_train.to_numpy("float32"),
        split.X_val.to_numpy("float32"),
        split.y_val.to_numpy("float32"),
    )
    space = {
        **tuning.UNTUNED,
        "learning_rate": hp.loguniform("learning_rate", -8, -3),
        "width": hp.choice("width", [16, 64]),
    }

    def objective(config):
        return tuning.train_and_score(config, data, epochs=TRIAL_EPOCHS)

    spark = course.spark  # the session SparkTrials runs its trials on
    tuning.quiet_spark_trials()
    started = time.perf_counter()
    fmin(
        objective,
        space,
        algo=tpe.suggest,
        max_evals=TRIALS,
        trials=SparkTrials(parallelism=PARALLELISM, spark_session=spark),
        show_progressbar=False,
    )
    seconds = time.perf_counter() - started
    return {"trials": TRIALS, "parallelism": PARALLELISM, "seconds": round(seconds, 1)}


def measure() -> dict:
    from includes import setup_course

    course = setup_course("bench spark", quiet=True)
    result = {"master": course.spark.sparkContext.master}
    result["udf_inference"] = measure_udf_inference(course)
    result["spark_trials"] = measure_spark_trials(course)
    print(json.dumps(result))
    return result


def _measure_in_a_process(master: str | None) -> dict:
    environment = {key: value for key, value in os.environ.items() if key != "COURSE_SPARK_MASTER"}
    environment.setdefault("COURSE_SMALL_DATA", "1")
    environment.setdefault("COURSE_TEST_RUN", "1")
    if master:
        environment["COURSE_SPARK_MASTER"] = master
    finished = subprocess.run(
        [sys.executable, __file__, "--measure"], env=environment, capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        raise SystemExit(f"the measurement on {master or 'local[2]'} failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def main() -> None:
    if sys.argv[1:] == ["--measure"]:
        measure()
        return
    import importlib.util

    spec = importlib.util.spec_from_file_location("spark_cluster", ROOT / "scripts" / "spark_cluster.py")
    cluster = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cluster)
    local = _measure_in_a_process(None)
    master = cluster.start()
    try:
        standalone = _measure_in_a_process(master)
    finally:
        cluster.stop(quiet=True)
    RECORD.parent.mkdir(exist_ok=True)
    RECORD.write_text(
        json.dumps({"date": datetime.date.today().isoformat(), "local": local, "cluster": standalone}, indent=1) + "\n"
    )
    print(f"Wrote {RECORD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
