"""Every path handed to Spark carries its scheme, and the test suite's Spark refuses any path that does not.

A path without a scheme resolves against the cluster's default filesystem (DBFS on Databricks, HDFS on
YARN): it works on a laptop and breaks on the first cluster. Under the tests Spark's default filesystem is one
that does not exist, so such a path fails at its first read.
"""

from pathlib import Path

import pytest

from includes import settings
from includes.setup import paths
from includes.setup.course import Course
from includes.setup.spark import STRICT_DEFAULT_FS, spark_config


@pytest.fixture
def on_databricks(monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")


@pytest.fixture
def locally(monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)


def test_a_local_path_becomes_a_file_uri(locally, tmp_path):
    assert paths.spark_uri(tmp_path / "parquet") == f"file://{tmp_path}/parquet"
    assert paths.spark_uri(str(tmp_path)) == tmp_path.as_uri()
    assert paths.file_uri(tmp_path / "parquet") == f"file://{tmp_path}/parquet"


def test_a_relative_path_is_made_absolute_first(locally, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert paths.spark_uri("images") == (tmp_path / "images").as_uri()


def test_dbfs_paths_use_spark_s_dbfs_scheme_and_the_fuse_mount_for_petastorm(on_databricks):
    home = Path("/dbfs/tmp/dl-course/ada-example.com/work/04.1-petastorm/parquet")
    assert paths.spark_uri(home) == "dbfs:/tmp/dl-course/ada-example.com/work/04.1-petastorm/parquet"
    assert paths.file_uri(home) == "file:///dbfs/tmp/dl-course/ada-example.com/work/04.1-petastorm/parquet"
    assert paths.file_uri(paths.spark_uri(home)) == paths.file_uri(home), "both forms name the same place"
    assert paths.spark_uri("/dbfs") == "dbfs:/"


def test_volumes_keep_their_path_under_dbfs_scheme(on_databricks):
    volume = "/Volumes/main/dl_course/files/ada/parquet"
    assert paths.spark_uri(volume) == "dbfs:/Volumes/main/dl_course/files/ada/parquet"
    assert paths.file_uri(volume) == "file:///Volumes/main/dl_course/files/ada/parquet"
    assert paths.file_uri("dbfs:/Volumes/main/dl_course/files/ada") == "file:///Volumes/main/dl_course/files/ada"


def test_the_driver_s_own_disk_on_databricks_is_a_file_uri(on_databricks):
    # Readable by executors only on a single-node cluster: a dbfs:/ form would name another place entirely.
    assert paths.spark_uri("/root/.cache/dl-course/data/cats") == "file:///root/.cache/dl-course/data/cats"
    assert paths.spark_uri("/dbfsx/not-dbfs") == "file:///dbfsx/not-dbfs"


def test_a_uri_that_already_has_a_scheme_is_left_alone(on_databricks):
    for uri in ("dbfs:/tmp/x", "s3://bucket/key", "file:///tmp/x", "models:/house@champion"):
        assert paths.spark_uri(uri) == uri
    with pytest.raises(ValueError, match="not on a filesystem"):
        paths.file_uri("s3://bucket/key")


def test_course_spark_uri_reads_naturally_in_a_notebook(on_databricks, tmp_path):
    course = Course(notebook="04.1 Petastorm", user="ada", home=tmp_path, work_dir=Path("/dbfs/tmp/x"), small=True)
    assert course.spark_uri(course.work_dir / "parquet") == "dbfs:/tmp/x/parquet"
    assert course.spark_uri(course.work_dir / "parquet", petastorm=True) == "file:///dbfs/tmp/x/parquet"


def test_the_tests_point_spark_s_default_filesystem_nowhere(tmp_path):
    strict = spark_config("x", tmp_path, quiet=True, strict=True)
    assert strict["spark.hadoop.fs.defaultFS"] == STRICT_DEFAULT_FS
    assert "spark.hadoop.fs.defaultFS" not in spark_config("x", tmp_path, quiet=True)
    # Spark's own folders do not depend on the default filesystem.
    assert strict["spark.sql.warehouse.dir"].startswith("file:///")
    assert strict["spark.eventLog.dir"].startswith("file:///")


def test_cluster_mode_carries_the_environment_to_the_executors(monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////course/mlflow/mlflow.db")
    monkeypatch.setenv(settings.SMALL_ENV, "1")
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    config = spark_config("x", tmp_path, quiet=True, master="spark://127.0.0.1:7077")
    assert config["spark.master"] == "spark://127.0.0.1:7077"
    assert config["spark.executorEnv.MLFLOW_TRACKING_URI"] == "sqlite:////course/mlflow/mlflow.db"
    assert config["spark.executorEnv.COURSE_SMALL_DATA"] == "1"
    assert config["spark.executorEnv.PYTHONPATH"].split(":") == [str(settings.REPO_ROOT), "/somewhere/else"]
    assert config["spark.driver.bindAddress"] == "127.0.0.1", "a cluster on this machine needs only loopback"
    remote = spark_config("x", tmp_path, quiet=True, master="spark://spark-master.example.com:7077")
    assert "spark.driver.bindAddress" not in remote, "executors elsewhere must reach the driver"
    assert "spark.executorEnv.PYTHONPATH" not in spark_config("x", tmp_path, quiet=True)


def test_the_master_comes_from_the_setting(monkeypatch):
    monkeypatch.delenv(settings.SPARK_MASTER_ENV, raising=False)
    assert settings.spark_master() is None
    monkeypatch.setenv(settings.SPARK_MASTER_ENV, " spark://127.0.0.1:7077 ")
    assert settings.spark_master() == "spark://127.0.0.1:7077"


def test_under_the_tests_a_schemeless_path_fails_at_once_and_a_spark_uri_works(spark, tmp_path):
    if spark.conf.get("spark.hadoop.fs.defaultFS", None) != STRICT_DEFAULT_FS:
        pytest.skip(f"pytest's Spark session was started without the tests' setting ({settings.TEST_RUN_ENV}=1)")
    target = tmp_path / "numbers"
    spark.range(5).write.parquet(paths.spark_uri(target))
    assert spark.read.parquet(paths.spark_uri(target)).count() == 5
    with pytest.raises(Exception, match="schemeless-path"):
        spark.read.parquet(str(target)).count()
