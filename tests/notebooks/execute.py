"""Run one notebook as the test suite does, in a kernel of its own, and write what happened as JSON.

    python -m tests.notebooks.execute twice NOTEBOOK RESULT.json
    python -m tests.notebooks.execute to-first-blank NOTEBOOK RESULT.json
    python -m tests.notebooks.execute once NOTEBOOK RESULT.json

``twice``: every cell from the top, then every cell from the top once more in the same kernel, as a learner
who presses "Run all" a second time does. The second run meets everything the first left behind: the work
folder, MLflow runs and registered models, checkpoints, Parquet files, the live SparkSession and Keras state.
``to-first-blank``: a student lab from the top until a cell stops it (the first blank, if all is well).
``once``: every cell from the top, once (to time a notebook, e.g. with the full data).

A separate process per notebook, so a hang is stopped with everything it started (see ``lanes.py``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELL_TIMEOUT_S = 900  # a small-data cell takes seconds; this only catches a hang
TIMED_CELL_TIMEOUT_S = 3600  # `once` times full-data runs too, whose training cells take minutes
ERROR_TEXT_LIMIT = 6000
MODES = ("twice", "to-first-blank", "once")


def _client(notebook, path: Path, timeout: int) -> NotebookClient:
    return NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # The runs are over when the kernel stops: a graceful stop only spends seconds on TensorFlow's and
        # Spark's exit handlers (Spark's JVM ends by itself when its Python parent is gone).
        shutdown_kernel="immediate",
    )


def _run_all_cells(client: NotebookClient, notebook, cell_seconds: list) -> dict | None:
    """Every cell in order, each one's time appended to ``cell_seconds``; the first failure as a dict (None
    when all ran)."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        started = time.perf_counter()
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as error:
            return {"cell": index, "ename": error.ename, "evalue": error.evalue, "text": str(error)[-ERROR_TEXT_LIMIT:]}
        finally:
            cell_seconds.append([index, time.perf_counter() - started])
    return None


def run(mode: str, path: Path) -> dict:
    notebook = nbformat.read(path, as_version=4)
    client = _client(notebook, path, TIMED_CELL_TIMEOUT_S if mode == "once" else CELL_TIMEOUT_S)
    result: dict = {"notebook": str(path), "mode": mode, "runs": [], "cells": [], "failure": None}
    with client.setup_kernel():
        client.wait_for_reply(client.kc.kernel_info())
        for run_number in (1, 2) if mode == "twice" else (1,):
            started = time.perf_counter()
            cell_seconds: list = []
            failure = _run_all_cells(client, notebook, cell_seconds)
            result["cells"].append(cell_seconds)
            result["runs"].append(time.perf_counter() - started)
            if failure:
                result["failure"] = {"run": run_number, **failure}
                break
    return result


def main(argv: list[str]) -> int:
    mode, notebook, result_file = argv
    if mode not in MODES:
        raise SystemExit(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    Path(result_file).write_text(json.dumps(run(mode, Path(notebook).resolve())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
