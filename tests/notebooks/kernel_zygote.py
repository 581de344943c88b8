"""Notebook kernels forked from one process that has already imported the course's libraries (tests only).

Every notebook the suite runs gets a new kernel, and every new kernel spends 5-7 s of CPU importing
TensorFlow, Keras and pandas before its first cell does anything: about 36 kernels a run, on 2 cores. Here one
process, the *zygote*, imports them once; each kernel is a fork of it, so it starts with them in memory.

Each kernel is still a new process, with nothing of any other notebook's: its own namespace, folder and
environment, its own process group (a JVM or model server it starts goes with it). What it shares with a fresh
kernel's first ``import``: the same libraries, imported with the same variables (``prepare_imports``), and
ipykernel's inline plots. Notebooks that choose Keras' backend themselves (``KERAS_BACKEND``) get an ordinary
kernel: in a fork, Keras would already be on TensorFlow.

The pieces:

* ``serve SOCKET``: the zygote. Imports, then forks one kernel per request on a Unix socket, or one of Spark's
  Python worker daemons when a lane's notebook starts Spark (includes/setup/spark_daemon.py asks for it; the
  daemon then imports only what the zygote has not: PyArrow and MLflow, about 1 s of CPU instead of 5).
* ``launch -f CONNECTION_FILE``: what the kernel spec starts (``kernel.json``, written by ``start_zygote``).
  It asks the zygote for a kernel, hands it its own stdin/stdout/stderr, and stands in for it towards
  jupyter_client: an interrupt is passed on, and when this process ends, whatever the reason, the kernel and
  everything it started end too.

``COURSE_TEST_KERNELS=fresh`` turns it off (``includes.settings.forked_test_kernels``); so does any machine that
is not Linux.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from includes.setup.fork_server import SOCKET_ENV, alive, answer, pass_on, receive_request, request_fork

KERNEL_NAME = "course-forked"
# TensorFlow brings Keras and matplotlib. Not MLflow, which imports PySpark: 00.1 shows that a notebook which
# never touches `course.spark` or MLflow never loads Spark.
PRELOADED = ("numpy", "pandas", "ipykernel.kernelapp", "tensorflow", "includes")
POLL_S = 0.2
THIS_FILE = str(Path(__file__).resolve())


# --- the zygote --------------------------------------------------------------------------------------------


def prepare_imports() -> None:
    """Set what the preloaded libraries read when imported, as a notebook's kernel would have it then."""
    # ipykernel chooses the inline backend this way when it starts; matplotlib reads it on import (TensorFlow
    # imports matplotlib), so it must be set first.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    from includes.setup import identity, paths
    from includes.setup.course import set_variables_read_at_import

    set_variables_read_at_import(paths.course_home(identity.learner()))


def serve(socket_path: str, preloaded=PRELOADED) -> None:
    """Import ``preloaded``, then fork a kernel for each request until the parent process is gone."""
    parent = os.getppid()
    prepare_imports()
    for name in preloaded:
        __import__(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernels are reaped as they end
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(8)
    server.settimeout(1.0)
    while os.getppid() == parent:
        try:
            connection, _ = server.accept()
        except TimeoutError:
            continue
        with connection:
            connection.settimeout(None)
            request, fds = receive_request(connection)
            pid = os.fork()
            if pid == 0:
                server.close()
                become = _become_spark_daemon if request.get("role") == "spark-daemon" else _become_kernel
                _as_the_child(become, request, fds)  # never returns
            for fd in fds:
                os.close(fd)
            answer(connection, pid)


def _as_the_child(become, request: dict, fds: list[int]) -> None:
    """Run ``become`` in the forked child, then end the child with its exit code."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _take_over(request, fds)
        become(request)
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 0
    except BaseException:  # noqa: BLE001 - reported on the new process's stderr, then the fork ends
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _take_over(request: dict, fds: list[int]) -> None:
    """Become the process that asked: its stdin, stdout and stderr, folder, environment, and new seeds."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    # A process started with `python -m` in a folder imports from that folder first; the zygote's first entry
    # is its own script's folder. Folders on the asker's PYTHONPATH come next, as in a new process.
    sys.path[0] = request["cwd"]
    for folder in reversed(request["env"].get("PYTHONPATH", "").split(os.pathsep)):
        if folder and folder not in sys.path:
            sys.path.insert(1, folder)
    os.environ.clear()
    os.environ.update(request["env"])
    # A fresh process draws new seeds; a fork would repeat the zygote's.
    random.seed()
    import numpy

    numpy.random.seed(int.from_bytes(os.urandom(4), "little"))


def _become_kernel(request: dict) -> None:
    os.setsid()  # a process group of its own: the kernel and whatever it starts
    threading.Thread(target=_end_with, args=(request["stand_in"],), daemon=True).start()
    sys.argv = [sys.executable, *request["args"]]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def _become_spark_daemon(request: dict) -> None:
    """PySpark's worker daemon, asked for by includes/setup/spark_daemon.py in the process Spark started (which
    stands in for it): it listens, prints its port on Spark's pipe and forks Spark's Python workers. Spark ends
    it by closing its stdin or through the stand-in; it puts itself in a process group of its own."""
    from pyspark import daemon

    from includes.setup.spark_daemon import preload

    preload()  # what the zygote has not imported: PyArrow, MLflow
    daemon.manager()


def _end_with(stand_in: int) -> None:
    """End the kernel, and its process group, when the process jupyter_client started for it is gone."""
    while alive(stand_in):
        time.sleep(POLL_S)
    os.killpg(0, signal.SIGKILL)


# --- the stand-in jupyter_client starts ---------------------------------------------------------------------


def launch(args: list[str]) -> int:
    """Ask the zygote for a kernel started with ``args`` (ipykernel's), then stand in for it until it ends."""
    pid = request_fork(
        {"role": "kernel", "args": args, "cwd": os.getcwd(), "env": dict(os.environ), "stand_in": os.getpid()}
    )
    parent = os.getppid()
    signal.signal(signal.SIGINT, lambda *_: pass_on(pid, signal.SIGINT))  # jupyter_client's interrupt
    signal.signal(signal.SIGTERM, lambda *_: pass_on(pid, signal.SIGTERM, group=True))
    while alive(pid):
        if os.getppid() != parent:  # the notebook's runner is gone
            pass_on(pid, signal.SIGKILL, group=True)
            return 1
        time.sleep(POLL_S)
    return 0


# --- starting and stopping a zygote (tests/notebooks/lanes.py) ----------------------------------------------


class Zygote:
    """A zygote process and the kernel spec that asks it for kernels; ``environment()`` is what a notebook's
    runner needs to use them."""

    def __init__(self, environment: dict[str, str], preloaded=PRELOADED):
        self._folder = tempfile.TemporaryDirectory(prefix="kernel-zygote-")
        folder = Path(self._folder.name)
        self.socket_path = str(folder / "zygote.sock")
        spec = folder / "kernels" / KERNEL_NAME
        spec.mkdir(parents=True)
        # The script by its path: the stand-in starts in the notebook's folder, where `tests` is not importable.
        argv = [sys.executable, THIS_FILE, "launch", "-f", "{connection_file}"]
        spec.joinpath("kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "Python 3 (forked)", "language": "python"})
        )
        command = [sys.executable, THIS_FILE, "serve", self.socket_path]
        if preloaded != PRELOADED:
            command += list(preloaded)
        self.log = folder / "zygote.log"  # its imports' messages, and why it stopped if it did
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, env=environment, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self._jupyter_path = str(folder)

    def ready(self, timeout: float = 180.0) -> str | None:
        """Wait until it serves (its imports done): None when it does, else why not, in a sentence."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if os.path.exists(self.socket_path):
                return None
            time.sleep(POLL_S)
        if self.process.poll() is None:
            return f"the kernel zygote was not ready after {timeout:.0f} s"
        try:
            said = self.log.read_text()[-2000:]
        except OSError:  # stopped and cleaned up meanwhile (the run is ending)
            said = ""
        return f"the kernel zygote stopped (exit {self.process.returncode}): {said}"

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        jupyter_path = os.pathsep.join(filter(None, [self._jupyter_path, base.get("JUPYTER_PATH")]))
        return {**base, SOCKET_ENV: self.socket_path, "JUPYTER_PATH": jupyter_path}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._folder.cleanup()


def kernel_name_for(notebook_source: str, environment=os.environ) -> str:
    """The kernel a notebook's runner asks for: a forked one while a zygote serves, unless the notebook picks
    Keras' backend itself."""
    if environment.get(SOCKET_ENV) and "KERAS_BACKEND" not in notebook_source:
        return KERNEL_NAME
    return "python3"


def main(argv: list[str]) -> int:
    command, *rest = argv
    if command == "serve":
        serve(rest[0], tuple(rest[1:]) or PRELOADED)
        return 0
    if command == "launch":
        return launch(rest)
    raise SystemExit(f"unknown command {command!r}: serve SOCKET [MODULE...] or launch -f CONNECTION_FILE")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
