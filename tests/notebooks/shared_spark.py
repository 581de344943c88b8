"""One Spark driver JVM per lane, shared by the lane's notebooks one after another (tests only).

A notebook that starts Spark pays 6-8 s for a new JVM to start and load Spark's classes, and its first jobs
3-4 s more while that JVM compiles Spark's busy code paths; ten notebooks a run do it, slower still when both
cores are busy. Here each lane starts one driver JVM at the beginning, with the course's own local settings
(``includes.setup.spark``), the way PySpark itself starts one (``launch_gateway``); its notebooks' kernels
connect to it (PySpark's ``PYSPARK_GATEWAY_PORT``), as notebooks on a Databricks cluster share one driver.

Each notebook still creates and configures its own SparkSession in it, with ``setup_course`` and
``course.spark`` as on a laptop, and its Python workers get the kernel's course variables, as on a cluster
(``driver_started_elsewhere``). When a notebook is done, the lane stops whatever SparkContext it left, so the
next one starts its own. A notebook's first start of Spark in a JVM of its own is still tested wherever
nothing shares: the course site's build, the cluster tests, the unit tests that start Spark.

The pieces:

* ``python -m tests.notebooks.shared_spark``: the host. Starts the JVM, prints the gateway's port and secret as
  one line of JSON, then answers ``stop-context`` lines with ``done`` until its stdin closes; then the JVM ends
  too (PySpark's JVM ends when its own stdin closes).
* ``SharedSpark``: the lane's handle on a host (``variables()`` for the kernels, ``stop_context()``, ``stop()``).

``COURSE_TEST_SPARK=own`` turns it off (``includes.settings.shared_test_spark``); so does a cluster
(``COURSE_SPARK_MASTER``), whose cluster tests start Spark per notebook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_LIMIT_S = 180  # a JVM starts in seconds; this only catches one that never does
STOP_LIMIT_S = 120


# --- the host ----------------------------------------------------------------------------------------------


def _driver_log(home: Path) -> Path:
    log = home / "spark" / f"shared-driver-{os.getpid()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return log


def _stop_active_context(gateway) -> str:
    """Stop the SparkContext a notebook left running in the JVM (kernels end without stopping theirs)."""
    jvm = gateway.jvm
    # SparkContext.getActive is Scala's private[spark], so it has no static forwarder: call it on the object.
    contexts = jvm.java.lang.Class.forName("org.apache.spark.SparkContext$").getField("MODULE$").get(None)
    active = contexts.getActive()
    if not active.isDefined():
        return "none"
    active.get().stop()
    return "stopped"


def host() -> int:
    from pyspark import SparkConf
    from pyspark.java_gateway import launch_gateway

    from includes import settings
    from includes.setup import identity, paths
    from includes.setup.spark import prepare_driver_launch, spark_config

    prepare_driver_launch()
    home = paths.course_home(identity.learner())
    config = spark_config("shared test driver", home, quiet=True, strict=settings.is_test_run())
    with _driver_log(home).open("ab") as log:
        gateway = launch_gateway(SparkConf(loadDefaults=False).setAll(config.items()), {"stdout": log, "stderr": log})
    port, secret = gateway.java_gateway_server.getListeningPort(), gateway.gateway_parameters.auth_token
    print(json.dumps({"port": port, "secret": secret}), flush=True)
    for line in sys.stdin:
        if line.strip() == "stop-context":
            try:
                print(_stop_active_context(gateway), flush=True)
            except Exception as error:  # noqa: BLE001 - the lane reads it and starts a new host
                print(f"failed: {error!r}"[:500].replace("\n", " "), flush=True)
    gateway.shutdown()
    gateway.proc.stdin.close()  # the JVM ends when its stdin closes
    try:
        gateway.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        gateway.proc.kill()
    return 0


# --- the lane's side ---------------------------------------------------------------------------------------


class SharedSpark:
    """A host process and its JVM, started with ``environment`` (the lane's)."""

    def __init__(self, environment: dict[str, str]):
        self._errors = tempfile.TemporaryFile("w+")  # a file, not a pipe: nothing can fill up and block the host
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.notebooks.shared_spark"],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
            start_new_session=True,  # not in a notebook runner's process group: it outlives each notebook
        )
        self._gateway: dict | None = None
        self.problem: str | None = None

    def _answer(self, limit_s: float) -> str | None:
        """The host's next line, or None (and ``problem`` says why) when it ended or took too long."""
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            if selector.select(limit_s):
                line = self._process.stdout.readline()
                if line:
                    return line.strip()
        self.stop()
        self._errors.seek(0)
        self.problem = f"the shared Spark driver's host stopped answering: {self._errors.read()[-500:]}"
        return None

    def variables(self) -> dict[str, str]:
        """What a kernel needs to connect to this JVM instead of starting one; {} when it could not start."""
        if self._gateway is None and self.problem is None:
            answer = self._answer(START_LIMIT_S)
            if answer is not None:
                self._gateway = json.loads(answer)
        if self._gateway is None:
            return {}
        return {"PYSPARK_GATEWAY_PORT": str(self._gateway["port"]), "PYSPARK_GATEWAY_SECRET": self._gateway["secret"]}

    @property
    def usable(self) -> bool:
        return self._gateway is not None and self.problem is None and self._process.poll() is None

    def stop_context(self) -> bool:
        """Stop the SparkContext the last notebook left; False when the JVM is not usable any more."""
        if not self.usable:
            self.problem = self.problem or "its host ended"
            return False
        self._process.stdin.write("stop-context\n")
        self._process.stdin.flush()
        answer = self._answer(STOP_LIMIT_S)
        if answer is None or answer.startswith("failed"):
            self.problem = self.problem or answer
            self.stop()
            return False
        return True

    def stop(self) -> None:
        if self._process.poll() is None:
            try:
                self._process.stdin.close()  # the host shuts its JVM down and ends
                self._process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()  # its JVM ends too, as the pipe to its stdin closes
                self._process.wait()


if __name__ == "__main__":
    sys.exit(host())
