"""A real Spark standalone cluster on this machine: one master and two workers, each its own JVM.

    python scripts/spark_cluster.py start    # prints the master URL, writes it to build/spark-cluster/master-url
    python scripts/spark_cluster.py stop     # stops every JVM it started (pid files), executors included
    python scripts/spark_cluster.py status

It uses the pinned PySpark's own launcher (``pyspark/bin/spark-class`` with
``org.apache.spark.deploy.master.Master`` and ``org.apache.spark.deploy.worker.Worker``), so the cluster runs
exactly the Spark the notebooks import. Every port is bound to 127.0.0.1 and chosen free at start (other
programs on this machine keep theirs); each worker has its own work folder (executors' working directories)
and its own temporary folder (shuffle and spill files), under ``build/spark-cluster/``.

Point the course at it with ``COURSE_SPARK_MASTER=$(cat build/spark-cluster/master-url)``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_DIR = ROOT / "build" / "spark-cluster"
MASTER_URL_FILE = CLUSTER_DIR / "master-url"
WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY = "3g"
LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 90


def spark_home() -> Path:
    """The folder of the installed PySpark: it carries Spark's jars and ``bin/spark-class``."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _daemon_env(name: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SPARK_HOME": str(spark_home()),
            "SPARK_LOCAL_IP": LOOPBACK,  # daemons, their web UIs and the executors bind to loopback only
            "SPARK_LOCAL_DIRS": str(CLUSTER_DIR / name / "tmp"),  # this daemon's own scratch space
            "SPARK_LOG_DIR": str(CLUSTER_DIR / name),
            "SPARK_DAEMON_MEMORY": "512m",  # the master and the workers only schedule; executors get their own
            "SPARK_NO_DAEMONIZE": "1",
            # Executors start the driver's Python (sent with each task); this is only the fallback.
            "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
        }
    )
    return env


def _launch(name: str, main_class: str, arguments: list[str]) -> int:
    folder = CLUSTER_DIR / name
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    log = open(folder / "daemon.log", "ab")
    process = subprocess.Popen(
        [str(spark_home() / "bin" / "spark-class"), main_class, *arguments],
        env=_daemon_env(name),
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # its own process group: a Ctrl+C in the caller's terminal does not reach it
    (folder / "pid").write_text(str(process.pid))  # spark-class execs java: this is the JVM's own pid
    return process.pid


def _master_state(webui_port: int) -> dict:
    with urllib.request.urlopen(f"http://{LOOPBACK}:{webui_port}/json/", timeout=2) as response:
        return json.load(response)


def _answers(webui_port: int) -> bool:
    try:
        _master_state(webui_port)
    except OSError:
        return False
    return True


def _pids() -> dict[str, int]:
    found = {}
    for pid_file in sorted(CLUSTER_DIR.glob("*/pid")):
        found[pid_file.parent.name] = int(pid_file.read_text())
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (a worker's executors and their Python workers), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(quiet: bool = False) -> float:
    """Stop the master and the workers (and whatever they started); returns the seconds it took."""
    started = time.perf_counter()
    daemons = _pids()
    started_by_us = [pid for pid in daemons.values() if _alive(pid)]
    for pid in list(started_by_us):
        started_by_us += _children(pid)
    # Workers first (their shutdown kills their executors), then the master.
    for name in sorted(daemons, key=lambda n: n == "master"):
        if _alive(daemons[name]):
            os.kill(daemons[name], signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in started_by_us):
        time.sleep(0.2)
    for pid in started_by_us:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    for pid_file in CLUSTER_DIR.glob("*/pid"):
        pid_file.unlink()
    MASTER_URL_FILE.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    if not quiet and daemons:
        print(f"Spark cluster stopped in {seconds:.1f} s ({len(started_by_us)} processes)")
    return seconds


def start(workers: int = WORKERS) -> str:
    """Start the master and ``workers`` workers, wait until all are registered, return the master URL."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        sys.exit("Spark needs Java 17 or 21 and none was found.")
    stop(quiet=True)  # a cluster left over from an interrupted run would hold stale pid files
    shutil.rmtree(CLUSTER_DIR, ignore_errors=True)
    CLUSTER_DIR.mkdir(parents=True)
    began = time.perf_counter()
    port, webui_port = free_port(), free_port()
    _launch(
        "master",
        "org.apache.spark.deploy.master.Master",
        ["--host", LOOPBACK, "--port", str(port), "--webui-port", str(webui_port)],
    )
    master_url = f"spark://{LOOPBACK}:{port}"
    # Workers that find no master retry after 5-15 s: start them once the master answers.
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(webui_port):
        if time.monotonic() > deadline or not _alive(_pids()["master"]):
            stop(quiet=True)
            sys.exit(f"Spark cluster: the master did not start; see {CLUSTER_DIR}/master/daemon.log")
        time.sleep(0.3)
    for number in range(1, workers + 1):
        name = f"worker-{number}"
        work_dir = CLUSTER_DIR / name / "work"
        work_dir.mkdir(parents=True, exist_ok=True)
        _launch(
            name,
            "org.apache.spark.deploy.worker.Worker",
            [
                "--host",
                LOOPBACK,
                "--port",
                str(free_port()),
                "--webui-port",
                str(free_port()),
                "--cores",
                str(WORKER_CORES),
                "--memory",
                WORKER_MEMORY,
                "--work-dir",
                str(work_dir),
                master_url,
            ],
        )
    alive = 0
    while time.monotonic() < deadline:
        dead = [name for name, pid in _pids().items() if not _alive(pid)]
        if dead:
            stop(quiet=True)
            sys.exit(f"Spark cluster: {', '.join(dead)} exited at start; see {CLUSTER_DIR}/<name>/daemon.log")
        try:
            alive = sum(worker["state"] == "ALIVE" for worker in _master_state(webui_port)["workers"])
        except OSError:
            alive = 0
        if alive == workers:
            break
        time.sleep(0.5)
    else:
        stop(quiet=True)
        sys.exit(
            f"Spark cluster: {alive} of {workers} workers registered within {START_TIMEOUT_SECONDS} s; "
            f"see the logs in {CLUSTER_DIR}"
        )
    MASTER_URL_FILE.write_text(master_url + "\n")
    (CLUSTER_DIR / "master-webui").write_text(f"http://{LOOPBACK}:{webui_port}\n")
    print(
        f"Spark cluster up in {time.perf_counter() - began:.1f} s: {master_url} "
        f"({workers} workers x {WORKER_CORES} core, {WORKER_MEMORY}; web UI http://{LOOPBACK}:{webui_port})"
    )
    return master_url


def status() -> int:
    daemons = _pids()
    if not daemons:
        print("no Spark cluster running (start one with `make cluster`)")
        return 1
    for name, pid in daemons.items():
        print(f"{name:10} pid {pid:7} {'running' if _alive(pid) else 'gone'}")
    if MASTER_URL_FILE.exists():
        print("master:", MASTER_URL_FILE.read_text().strip())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    action = parser.parse_args(argv).action
    if action == "start":
        start()
        return 0
    if action == "stop":
        stop()
        return 0
    return status()


if __name__ == "__main__":
    sys.exit(main())
