"""Serve an MLflow model over REST on this machine, for as long as a `with` block lasts."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def serve_model(model_uri: str, port: int | None = None, timeout: float = 120.0):
    """Run `mlflow models serve` for ``model_uri`` on 127.0.0.1 and yield its base URL.

    The server uses this kernel's environment (``--env-manager local``) and is
    stopped when the block ends, even if the block fails.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        model_uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--env-manager",
        "local",
        "--workers",
        "1",
    ]
    server = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "TF_CPP_MIN_LOG_LEVEL": "3",
            # the server starts `uvicorn` from this Python's environment, even when that
            # environment's bin directory is not on the PATH (a kernel started directly)
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
        },
    )
    try:
        deadline = time.monotonic() + timeout
        while not _ready(url):
            if server.poll() is not None:
                raise RuntimeError(f"The model server stopped before it was ready: {server.stderr.read()[-500:]}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"The model server did not answer on {url} within {timeout:.0f} s.")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
