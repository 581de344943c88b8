"""Test-suite configuration: the small-data flag, a test-only course folder, the lanes that run the
notebooks side by side (tests/notebooks/lanes.py), and a table of how long each notebook took."""

from __future__ import annotations

import datetime
import json
import os
import time

import pytest

from includes import settings
from tests.notebooks.lanes import Lanes, NotebookJob, with_a_share_of_the_cores

# Every notebook runs in its quick form, in a course folder of its own, with
# Spark's UI and console progress bars off. `COURSE_SMALL_DATA=0 make test`
# runs the full course instead.
os.environ.setdefault(settings.SMALL_ENV, "1")
os.environ.setdefault(settings.TEST_RUN_ENV, "1")
os.environ.setdefault(settings.HOME_ENV, str(settings.TEST_HOME))
# The unit tests run beside the lanes, so their math libraries take a lane's share of the cores too.
for _name, _threads in with_a_share_of_the_cores({}, settings.notebook_lanes()).items():
    os.environ.setdefault(_name, _threads)

TIMING_REPORT = settings.REPO_ROOT / "build" / "notebook-times.md"  # and notebook-times.json beside it
TEST_RUN_RECORD = settings.REPO_ROOT / "build" / "test-run.json"  # the last whole run: scripts/bench_report.py
SLOW_NOTEBOOK_SECONDS = 60
LANES = pytest.StashKey[Lanes]()

_started = time.monotonic()


def pytest_ignore_collect(collection_path, config):
    """Notebooks are run by tests/notebooks and tests/labs, never collected as files (nor checkpoints)."""
    if collection_path.suffix == ".ipynb" or ".ipynb_checkpoints" in collection_path.parts:
        return True
    return None


def pytest_collection_finish(session):
    """Start the lanes as soon as the notebooks to run are known: they work while the unit tests run."""
    jobs = [
        value
        for item in session.items
        for value in getattr(getattr(item, "callspec", None), "params", {}).values()
        if isinstance(value, NotebookJob)
    ]
    if jobs and not session.config.option.collectonly:
        lanes = Lanes(
            jobs,
            settings.notebook_lanes(),
            dict(os.environ),
            forked_kernels=settings.forked_test_kernels(),
            shared_spark=settings.shared_test_spark(),
        )
        session.config.stash[LANES] = lanes.start()


def pytest_sessionfinish(session):
    lanes = session.config.stash.get(LANES, None)
    if lanes is not None:
        lanes.stop()


@pytest.fixture(scope="session")
def notebook_lanes(request) -> Lanes:
    return request.config.stash[LANES]


@pytest.fixture(scope="session")
def lanes_result_of(request):
    """``lanes_result_of(path)``: a demo's result from this session's lanes, waiting for it if it is still to
    run; None when the lanes do not run that notebook (a test run on its own then runs what it needs itself)."""
    lanes = request.config.stash.get(LANES, None)

    def result_of(path):
        job = NotebookJob(path.resolve(), "twice")
        return lanes.result(job) if lanes is not None and job in lanes.jobs else None

    return result_of


def finished_in_order(lanes: Lanes):
    return sorted(lanes.finished_results(), key=lambda result: result.job.name)


def timing_table(lanes: Lanes) -> str:
    """One row per notebook: its runs, its fixed cost, and the whole time in its lane."""
    rows = [
        "| notebook | first run s | second run s | fixed cost s | in its lane s | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    results = finished_in_order(lanes)
    for result in results:
        runs = [f"{seconds:.1f}" for seconds in result.runs] + [""] * (2 - len(result.runs))
        if result.job.mode == "to-first-blank":
            runs[0] += " (to first blank)"
        mark = "FAILED" if not result.passed else ("over a minute" if result.wall_s > SLOW_NOTEBOOK_SECONDS else "")
        fixed = f"{result.fixed_s:.1f}" if result.fixed_s is not None else ""
        rows.append(f"| {result.job.name} | {runs[0]} | {runs[1]} | {fixed} | {result.wall_s:.1f} | {mark} |")
    busy = sum(result.wall_s for result in results)
    fixed = [result.fixed_s for result in results if result.fixed_s is not None]
    median_fixed = sorted(fixed)[len(fixed) // 2] if fixed else 0.0
    elapsed = max((result.finished for result in results), default=lanes.started) - lanes.started
    rows.append(
        f"| **all notebooks, {lanes.count} lanes** | | | median {median_fixed:.1f} | {busy:.1f} "
        f"| {elapsed:.0f} s from first to last |"
    )
    return "\n".join(rows)


def slowest_cells(lanes: Lanes, count: int = 10) -> str:
    """The cells that took longest in a first run: where a notebook's time goes."""
    cells = [
        (seconds, result.job.path.stem, index)
        for result in lanes.finished_results()
        for index, seconds in (result.cells[0] if result.cells else [])
    ]
    lines = [f"{seconds:6.1f} s  {name} cell {index}" for seconds, name, index in sorted(cells, reverse=True)[:count]]
    return "slowest cells (first runs):\n" + "\n".join(lines)


def timing_records(lanes: Lanes) -> list[dict]:
    return [
        {
            "notebook": result.job.name,
            "mode": result.job.mode,
            "runs_s": [round(seconds, 1) for seconds in result.runs],
            "fixed_s": None if result.fixed_s is None else round(result.fixed_s, 1),
            "in_lane_s": round(result.wall_s, 1),
            "passed": result.passed,
            # Each run's [cell index, seconds], for where a notebook's time goes.
            "cells_s": [[[index, round(seconds, 1)] for index, seconds in run] for run in result.cells],
        }
        for result in finished_in_order(lanes)
    ]


def pytest_terminal_summary(terminalreporter, exitstatus):
    config = terminalreporter.config
    whole_run = config.args_source == pytest.Config.ArgsSource.TESTPATHS  # no arguments: the README's `make test`
    if whole_run and not config.option.collectonly:
        TEST_RUN_RECORD.parent.mkdir(exist_ok=True)
        TEST_RUN_RECORD.write_text(
            json.dumps(
                {
                    "date": datetime.date.today().isoformat(),
                    "seconds": round(time.monotonic() - _started),
                    "passed": exitstatus == 0,
                    "tests": terminalreporter._numcollected,
                    "lanes": settings.notebook_lanes(),
                    settings.SMALL_ENV: os.environ.get(settings.SMALL_ENV),
                }
            )
            + "\n"
        )
    lanes = config.stash.get(LANES, None)
    if lanes is None or not lanes.finished_results():
        return
    table = timing_table(lanes)
    flag = os.environ.get(settings.SMALL_ENV)
    terminalreporter.section(f"notebook times ({settings.SMALL_ENV}={flag})")
    terminalreporter.write_line(f"kernels: {lanes.kernels}; Spark driver: {lanes.spark_driver}")
    terminalreporter.write_line(table)
    terminalreporter.write_line(slowest_cells(lanes))
    terminalreporter.write_line(f"whole test run: {time.monotonic() - _started:.0f} s")
    report = TIMING_REPORT
    if settings.runtime_parity():  # a runtime parity run keeps its own table beside the ordinary one
        report = TIMING_REPORT.with_name(f"notebook-times-runtime-{settings.runtime_parity()}.md")
    report.parent.mkdir(exist_ok=True)
    setup = f"{settings.SMALL_ENV}={flag}, kernels {lanes.kernels}, Spark driver {lanes.spark_driver}"
    report.write_text(f"{setup}\n\n{table}\n")
    report.with_suffix(".json").write_text(json.dumps(timing_records(lanes), indent=1) + "\n")
