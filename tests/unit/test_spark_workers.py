"""Spark's Python workers start with TensorFlow, Keras and MLflow already imported (includes/setup/spark_daemon.py),
and the daemon that forks them keeps its stdout for the one thing PySpark reads there: its port."""

import subprocess
import sys

import pytest

from includes import settings
from includes.setup import fork_server, spark_daemon
from includes.setup.spark import spark_config


def test_local_spark_and_clusters_use_the_preloading_daemon_on_linux_unless_turned_off(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.SPARK_PRELOAD_ENV, raising=False)
    by_default = "spark.python.daemon.module" in spark_config("x", tmp_path, quiet=True)
    assert by_default is (sys.platform == "linux")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert "spark.python.daemon.module" not in spark_config("x", tmp_path, quiet=True), "only if asked on a Mac"
    for on in ("1", "on", "yes", "true"):
        monkeypatch.setenv(settings.SPARK_PRELOAD_ENV, on)
        assert spark_config("x", tmp_path, quiet=True)["spark.python.daemon.module"] == "includes.setup.spark_daemon"
        cluster = spark_config("x", tmp_path, quiet=True, master="spark://127.0.0.1:7077")
        assert cluster["spark.python.daemon.module"] == "includes.setup.spark_daemon"
    monkeypatch.setenv(settings.SPARK_PRELOAD_ENV, "0")
    assert "spark.python.daemon.module" not in spark_config("x", tmp_path, quiet=True)


def test_keras_is_preloaded_only_for_its_tensorflow_backend():
    assert "keras" in spark_daemon.modules_to_preload({})
    assert "keras" in spark_daemon.modules_to_preload({"KERAS_BACKEND": "tensorflow"})
    torch = spark_daemon.modules_to_preload({"KERAS_BACKEND": "torch"})
    assert "keras" not in torch and "tensorflow" in torch


def test_whatever_an_import_prints_goes_to_stderr_and_a_failed_import_is_only_reported(tmp_path):
    (tmp_path / "noisy_library.py").write_text(
        "import os\nprint('printed by Python')\nos.write(1, b'written by C code\\n')\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from includes.setup.spark_daemon import preload\n"
            "imported = preload(['noisy_library', 'no_such_library_here'])\n"
            "sys.stderr.write(repr(imported))\n",
        ],
        cwd=tmp_path,
        capture_output=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == b"", "the daemon's stdout carries only its port"
    stderr = run.stderr.decode()
    assert "printed by Python" in stderr and "written by C code" in stderr
    assert "not preloading no_such_library_here" in stderr
    assert stderr.endswith("['noisy_library']")


def test_a_spark_task_starts_with_tensorflow_imported_and_can_use_it(spark):
    if spark.conf.get("spark.python.daemon.module", None) != spark_daemon.__name__:
        pytest.skip(f"pytest's Spark session runs without the preloading daemon ({settings.SPARK_PRELOAD_ENV})")

    def loaded_by_the_daemon(_):
        # What the process that forked this worker has loaded: a worker reused after another test's task may
        # have imported TensorFlow itself, its daemon only by preloading it.
        import os

        with open(f"/proc/{os.getppid()}/maps") as maps:
            return "libtensorflow" in maps.read()

    def already_imported(_):
        import sys

        return [name for name in ("tensorflow", "keras", "mlflow") if name in sys.modules]

    def square_with_tensorflow(x):
        # TensorFlow was imported before the fork; its thread pools start in the worker, on first use.
        import tensorflow as tf

        return float(tf.reduce_sum(tf.square(tf.constant([x, 1.0]))))

    assert spark.sparkContext.parallelize([0, 1], 2).map(loaded_by_the_daemon).collect() == [True, True]
    assert spark.sparkContext.parallelize([0], 1).map(already_imported).collect() == [["tensorflow", "keras", "mlflow"]]
    assert spark.sparkContext.parallelize([2.0, 3.0], 2).map(square_with_tensorflow).collect() == [5.0, 10.0]


def test_the_daemon_comes_from_a_zygote_only_where_one_serves_keras_on_tensorflow(monkeypatch, tmp_path):
    monkeypatch.delenv(fork_server.SOCKET_ENV, raising=False)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert spark_daemon.forked_by_the_zygote() is None, "no zygote: the daemon starts where Spark started it"
    monkeypatch.setenv(fork_server.SOCKET_ENV, str(tmp_path / "ended.sock"))
    assert spark_daemon.forked_by_the_zygote() is None, "a zygote that has ended: the daemon starts as usual"
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    monkeypatch.setattr(fork_server, "request_fork", lambda *_: pytest.fail("asked a TensorFlow zygote for torch"))
    assert spark_daemon.forked_by_the_zygote() is None


def test_a_clusters_executors_are_not_sent_to_the_lanes_zygote(monkeypatch, tmp_path):
    monkeypatch.setenv(fork_server.SOCKET_ENV, str(tmp_path / "zygote.sock"))
    variable = f"spark.executorEnv.{fork_server.SOCKET_ENV}"
    assert variable in spark_config("x", tmp_path, quiet=True, driver_elsewhere=True)
    assert variable not in spark_config("x", tmp_path, quiet=True, master="spark://127.0.0.1:7077")
