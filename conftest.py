"""Test-suite configuration: the small-data flag, a test-only course folder,
which notebooks nbval runs, and a table of how long each notebook took."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

from includes import settings
from includes.labs import is_student_lab

ROOT = Path(__file__).resolve().parent

# Every notebook runs in its quick form, in a course folder of its own, with
# Spark's UI and console progress bars off. `COURSE_SMALL_DATA=0 make test`
# runs the full course instead.
os.environ.setdefault(settings.SMALL_ENV, "1")
os.environ.setdefault(settings.TEST_RUN_ENV, "1")
os.environ.setdefault(settings.HOME_ENV, str(settings.TEST_HOME))

TIMING_REPORT = ROOT / "build" / "notebook-times.md"
SLOW_NOTEBOOK_SECONDS = 60

_seconds: dict[str, float] = defaultdict(float)
_failed: set[str] = set()
_started = time.monotonic()


def pytest_ignore_collect(collection_path, config):
    """nbval runs demos and solutions; student labs are run by tests/labs."""
    path = Path(collection_path)
    if path.suffix == ".ipynb":
        if ".ipynb_checkpoints" in path.parts:
            return True
        if is_student_lab(path):
            return True
    return None


def _timed_name(report) -> str | None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        return path
    if path.startswith("tests/labs/") and "[" in report.nodeid:
        return report.nodeid.split("[", 1)[1].rstrip("]") + " (to first blank)"
    return None


def pytest_runtest_logreport(report):
    name = _timed_name(report)
    if name:
        _seconds[name] += report.duration
        if report.failed:
            _failed.add(name)


def timing_table() -> str:
    rows = ["| notebook | seconds | |", "|---|---:|---|"]
    for name, seconds in sorted(_seconds.items()):
        mark = "FAILED" if name in _failed else ("over a minute" if seconds > SLOW_NOTEBOOK_SECONDS else "")
        rows.append(f"| {name} | {seconds:.1f} | {mark} |")
    rows.append(f"| **all notebooks** | {sum(_seconds.values()):.1f} | |")
    return "\n".join(rows)


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    table = timing_table()
    flag = os.environ.get(settings.SMALL_ENV)
    terminalreporter.section(f"notebook times ({settings.SMALL_ENV}={flag})")
    terminalreporter.write_line(table)
    terminalreporter.write_line(f"whole test run: {time.monotonic() - _started:.0f} s")
    TIMING_REPORT.parent.mkdir(exist_ok=True)
    TIMING_REPORT.write_text(f"{settings.SMALL_ENV}={flag}\n\n{table}\n")
