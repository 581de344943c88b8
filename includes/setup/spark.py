"""One SparkSession per kernel: local[2] on a laptop, the cluster's on Databricks."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..settings import is_test_run
from .environment import CourseSetupError, on_databricks

LOG4J_CONFIG = Path(__file__).resolve().parent / "log4j2.properties"


def _require_java() -> None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise CourseSetupError(
            "Spark needs Java 17 or 21 and none was found: install a JDK "
            "(Debian/Ubuntu: `sudo apt-get install openjdk-17-jre-headless`, macOS: "
            "`brew install openjdk@17`), then restart the kernel.")


def local_spark_config(app_name: str, home: Path, quiet: bool) -> dict[str, str]:
    """The settings of the course's local Spark, as a plain dict (easy to test)."""
    return {
        "spark.app.name": app_name,
        "spark.master": "local[2]",
        # Room for the driver on a 24 GiB machine, with TensorFlow beside it.
        "spark.driver.memory": "4g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # A laptop has 2-8 cores: 200 shuffle partitions would be mostly overhead.
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        # The UI starts at port 4040 and moves up when another notebook holds it.
        "spark.ui.enabled": "false" if quiet else "true",
        "spark.ui.showConsoleProgress": "false" if quiet else "true",
        "spark.port.maxRetries": "32",
        "spark.local.dir": str(home / "spark" / "tmp"),
        "spark.sql.warehouse.dir": str(home / "spark" / "warehouse"),
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}",
    }


def start_spark(app_name: str, home: Path):
    """Return the SparkSession, starting a local one if there is none yet.

    Spark's Python workers must run the kernel's own Python (otherwise they
    start the system Python, which lacks the course's packages), and on a
    laptop Spark only needs the loopback address.
    """
    from pyspark.sql import SparkSession

    if on_databricks():
        return SparkSession.builder.getOrCreate()
    _require_java()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in local_spark_config(app_name, home, quiet=is_test_run()).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
