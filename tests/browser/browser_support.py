"""What the real-browser tests share: the system Chromium, servers started as the Makefile starts them.

Each test starts the server it needs (JupyterLab, the MLflow UI, a static server for the site) on a free port
of 127.0.0.1, the way the Makefile starts it, and stops it, with every process it started, when the test ends.
Screenshots go to build/screenshots/ for a person to look at.

Where Chromium or Playwright is missing, each test skips with one sentence (scripts/install_browser.sh
installs Chromium where the machine allows it); under CI (CI=true) a missing browser fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from includes.settings import truthy

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
# The Python environment the tests run in also holds jupyter and mlflow, as `make course` uses them.
VENV_BIN = Path(sys.executable).parent

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")  # Debian's `chromium` package; see scripts/install_browser.sh
# This machine's network may be closed: without these, Chromium waits on its own background connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}


def in_ci() -> bool:
    return truthy(os.environ.get("CI"))


def chromium_path() -> Path | None:
    if SYSTEM_CHROMIUM.exists():
        return SYSTEM_CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def missing(sentence: str):
    if in_ci():
        pytest.fail(f"{sentence} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(sentence)


def require_chromium() -> Path:
    """The Chromium to drive; without it (or without Playwright) the test skips, or fails under CI."""
    path = chromium_path()
    if path is None:
        missing("Chromium is not installed (/usr/bin/chromium): run scripts/install_browser.sh to test in a browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright for Python is not installed in this environment, so nothing can drive Chromium")
    return path


def screenshot(page, name: str) -> Path:
    """Save what the page shows now as build/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


class Server:
    """A server process started in a session of its own, so that stopping it stops all it started."""

    def __init__(self, command: list[str], cwd: Path, env: dict, log: Path):
        self.command, self.log = command, log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_until_answering(self, url: str, timeout: float = 60.0) -> None:
        started = time.monotonic()
        deadline = started + timeout
        while not answers(url):
            if self.process.poll() is not None:
                pytest.fail(
                    f"{self.command[0]} stopped before answering ({self.process.returncode}):\n"
                    f"{self.log.read_text()[-2000:]}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"nothing answered on {url} within {timeout:.0f} s:\n{self.log.read_text()[-2000:]}", pytrace=False
                )
            time.sleep(0.3)
        print(f"{Path(self.command[0]).name} answered on {url} after {time.monotonic() - started:.1f} s")

    def stop(self) -> None:
        """Ask politely (SIGTERM), then insist (SIGKILL), for the server and every process below it."""
        import psutil

        try:
            family = [psutil.Process(self.process.pid)] + psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        for process in family:
            try:
                process.send_signal(signal.SIGTERM)
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(family, timeout=15)
        for process in alive:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=5)
        self.process.wait(timeout=5)
        self._log_file.close()


def make_recipe(target: str) -> str:
    """The shell commands of one Makefile target, continuation lines joined, so a test starts a server
    with the very arguments `make <target>` uses."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(number for number, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line[1:])
    return re.sub(r"\\\n\s*", " ", "\n".join(recipe))
