"""Every notebook that uses Spark, run against a real Spark standalone cluster (`make test-cluster`).

The session fixture starts a master and two workers on this machine (scripts/spark_cluster.py), points the
course at it with COURSE_SPARK_MASTER, and stops it at the end. Each worker is its own JVM with its own
executor and Python processes: data that lives only in the driver, environment variables that never reach
the executors and the course's package missing on them all fail here, where local[2] hides them. The
suite's settings apply as in `make test`: the small-data flag, and a Spark default filesystem that does not
exist, so any path handed to Spark without a scheme fails at its first read.

Set COURSE_SPARK_MASTER yourself to run the notebooks against a cluster you started (nothing is stopped then).
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pandas as pd  # at module level: pandas_udf reads the type hints below from the module's names
import pytest

from includes import settings

ROOT = Path(__file__).resolve().parents[2]
ASKED = os.environ.get("RUN_CLUSTER_TESTS") == "1"
pytestmark = pytest.mark.skipif(
    not ASKED, reason="The cluster tests start a Spark standalone cluster: run them with `make test-cluster`."
)

SPARK_NOTEBOOKS = [
    "02_mlflow/02.1_mlflow.ipynb",
    "03_hyperopt/03.1_hyperopt.ipynb",
    "03_hyperopt/solutions/03.1L_hyperopt_lab.ipynb",
    "04_distributed/04.1_petastorm.ipynb",
    "04_distributed/04.2_horovod.ipynb",
    "04_distributed/solutions/04.2L_horovod_petastorm_lab.ipynb",
    "04_distributed/04.3_torch_distributor.ipynb",
    "06_cnns/06.2_distributed_inference.ipynb",
    "06_cnns/solutions/06.2L_cnn_inference_lab.ipynb",
]
TIMES = ROOT / "build" / "cluster-notebook-times.md"

# Appended to each notebook: its Spark session (if it started one) ran on the cluster, not on local[2].
ON_THE_CLUSTER = """
from pyspark.sql import SparkSession
_session = SparkSession.getActiveSession()
assert _session is None or _session.sparkContext.master == {master!r}, _session.sparkContext.master
"""


def _launcher():
    spec = importlib.util.spec_from_file_location("spark_cluster", ROOT / "scripts" / "spark_cluster.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def cluster():
    """The master URL of a running cluster: the one COURSE_SPARK_MASTER names, or one started for the tests."""
    given = settings.spark_master()
    times: dict[str, float] = {}
    if given:
        yield given, times
        return
    launcher = _launcher()
    started = time.perf_counter()
    master = launcher.start()
    times["cluster start"] = time.perf_counter() - started
    os.environ[settings.SPARK_MASTER_ENV] = master
    try:
        yield master, times
    finally:
        del os.environ[settings.SPARK_MASTER_ENV]
        times["cluster stop"] = launcher.stop()
        _write_times(times)
        leftover = [name for name, pid in launcher._pids().items() if launcher._alive(pid)]
        assert not leftover, f"still running after stop: {leftover}"


def _write_times(times: dict[str, float]) -> None:
    rows = ["| step | seconds |", "|---|---:|", *(f"| {name} | {seconds:.1f} |" for name, seconds in times.items())]
    TIMES.parent.mkdir(exist_ok=True)
    TIMES.write_text(
        "Spark notebooks on a 2-worker standalone cluster (small data, strict paths)\n\n" + "\n".join(rows) + "\n"
    )
    print("\n" + TIMES.read_text())


def test_a_pandas_udf_runs_in_both_workers_python_processes(cluster, tmp_path, monkeypatch):
    """The smoke test: the course's own session on the cluster, with strict paths, spreads a pandas UDF
    over both executors, whose Python workers import the course's package and see its MLflow store."""
    from pyspark.sql.functions import pandas_udf

    from includes.setup.spark import STRICT_DEFAULT_FS, start_spark

    master, times = cluster
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")  # what setup_course sets
    started = time.perf_counter()
    spark = start_spark("cluster smoke test", tmp_path)

    @pandas_udf("string")
    def where_it_ran(ids: pd.Series) -> pd.Series:
        import os

        import includes  # the course's package, importable on the executors

        tracking = os.environ.get("MLFLOW_TRACKING_URI", "none")
        return pd.Series([f"{os.getppid()} {includes.__name__} {tracking}"] * len(ids))

    try:
        assert spark.sparkContext.master == master
        assert spark.conf.get("spark.hadoop.fs.defaultFS") == STRICT_DEFAULT_FS
        rows = {
            row.place
            for row in spark.range(0, 64, numPartitions=8)
            .select(where_it_ran("id").alias("place"))
            .distinct()
            .collect()
        }
    finally:
        spark.stop()
    times["smoke test: session + pandas UDF"] = time.perf_counter() - started
    executors = {row.split()[0] for row in rows}
    assert len(executors) == 2, f"expected the two workers' executors, got {rows}"
    assert all(row.split()[2] == os.environ["MLFLOW_TRACKING_URI"] for row in rows), rows


@pytest.mark.parametrize("notebook", SPARK_NOTEBOOKS, ids=lambda name: Path(name).stem)
def test_notebook_runs_on_the_cluster(cluster, notebook):
    import nbformat
    from nbclient import NotebookClient

    master, times = cluster
    path = ROOT / "notebooks" / notebook
    book = nbformat.read(path, as_version=4)
    book.cells.append(nbformat.v4.new_code_cell(ON_THE_CLUSTER.format(master=master)))
    started = time.perf_counter()
    try:
        NotebookClient(
            book, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    finally:
        times[notebook] = time.perf_counter() - started
