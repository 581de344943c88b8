"""Spark's Python worker daemon, started with the course's heavy libraries already imported.

PySpark runs Python code (UDFs, Hyperopt trials, ``mapPartitions``) in worker processes that a daemon forks,
one per task, and a worker that ran a task may exit (SparkTrials' tasks always do). Each new worker that
touches Keras would import TensorFlow again: 10-20 s on 2 cores, paid by every trial of a search. Forked
from a daemon that has imported them already, the worker starts with them in memory, shared with the daemon
until written to.

``includes.setup.spark`` names this module in ``spark.python.daemon.module`` for local Spark and a standalone
cluster (never on Databricks, whose runtime manages its own workers), on Linux unless ``COURSE_SPARK_PRELOAD=0``;
elsewhere only with ``COURSE_SPARK_PRELOAD=1`` (forking after TensorFlow's import is untried on macOS).
Measured on 2 cores (2026-11-30, whole test runs): 03.1's and 03.1L's searches 114 and 81 s with it, 180 and
131 s without; 06.2 alone, four runs alternating, 63.6/70.7 s with it and 65.1/81.3 s without.

Keras is imported only for the TensorFlow backend: Keras picks its backend once per process, and a worker that
sets ``KERAS_BACKEND`` itself must still be able to choose.

In the test suite's lanes the daemon itself is a fork of the lane's kernel zygote, which has imported TensorFlow
and Keras already (``includes.setup.fork_server``): the process Spark started asks for it and stands in for it,
and the daemon imports only the rest (about 1 s of CPU instead of 5, once per notebook that runs Python on Spark).
Without a zygote, or when its workers want another Keras backend, the daemon runs here as usual.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import time

from . import fork_server

PRELOADED = ("pandas", "pyarrow", "tensorflow", "keras", "mlflow")


def modules_to_preload(environ=os.environ) -> tuple[str, ...]:
    if environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return tuple(name for name in PRELOADED if name != "keras")
    return PRELOADED


@contextlib.contextmanager
def _stdout_into_stderr():
    # PySpark reads the daemon's port from its stdout: whatever an import prints (from Python or from C)
    # must go to stderr, which Spark shows in its log.
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def preload(names=None) -> list[str]:
    """Import ``names`` (default: ``modules_to_preload()``), printing nothing on stdout; return those that
    imported. A library that fails to import here is left for the task to import, and fail, on its own."""
    imported = []
    with _stdout_into_stderr():
        for name in modules_to_preload() if names is None else names:
            try:
                importlib.import_module(name)
            except Exception as error:  # noqa: BLE001 - preloading is only a speed-up
                print(f"Spark worker daemon: not preloading {name} ({error})", file=sys.stderr)
            else:
                imported.append(name)
    return imported


def forked_by_the_zygote() -> int | None:
    """The process id of a daemon forked for Spark by the test lane's kernel zygote, or None: no zygote serves,
    it is gone, or this daemon's workers want Keras on another backend than the zygote's TensorFlow."""
    socket_path = os.environ.get(fork_server.SOCKET_ENV)
    if not socket_path or "keras" not in modules_to_preload():
        return None
    request = {"role": "spark-daemon", "cwd": os.getcwd(), "env": dict(os.environ)}
    try:
        return fork_server.request_fork(request, socket_path)
    except OSError:  # the zygote has ended (its lane is stopping): start the daemon here instead
        return None


def stand_in(pid: int) -> None:
    """Stay where Spark started the daemon until the forked one ends, passing on Spark's request to stop."""

    signal.signal(signal.SIGTERM, lambda signum, _frame: fork_server.pass_on(pid, signum))
    while fork_server.alive(pid):  # until the zygote has reaped it
        time.sleep(0.2)


if __name__ == "__main__":
    forked = forked_by_the_zygote()
    if forked is not None:
        stand_in(forked)
    else:
        preload()
        from pyspark import daemon

        daemon.manager()
