"""Run one notebook as the test suite does, in a kernel of its own, and write what happened as JSON.

    python -m tests.notebooks.execute twice NOTEBOOK RESULT.json [STUDENT_LAB LAB_RESULT.json]
    python -m tests.notebooks.execute to-first-blank NOTEBOOK RESULT.json
    python -m tests.notebooks.execute once NOTEBOOK RESULT.json

``twice``: every cell from the top, then every cell from the top once more in the same kernel, as a learner
who presses "Run all" a second time does. The second run meets everything the first left behind: the work
folder, MLflow runs and registered models, checkpoints, Parquet files, the live SparkSession and Keras state.
``to-first-blank``: a student lab from the top until a cell stops it (the first blank, if all is well).
``once``: every cell from the top, once (to time a notebook, e.g. with the full data).

``twice`` with a student lab after it: the lab's solution runs twice, then the student lab runs to its first blank
in the same kernel, after ``%reset -f`` (every name the solution made is gone, as in a fresh kernel) and a change
to the lab's own folder. The lab's cells before its first blank are the solution's own, so a second kernel,
``import tensorflow`` and ``setup_course`` again (about 10 s each, 14 labs) would prove nothing more; what the
lab's test checks, that it stops at its first blank with the blank's sentence, is the same.

A separate process per notebook, so a hang is stopped with everything it started (see ``lanes.py``). Its kernel
is forked from the lanes' zygote, which has imported TensorFlow and Keras once (see ``kernel_zygote.py``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

# nbformat imports jsonschema, whose format checks import rfc3987_syntax when it is installed (jupyter-events
# wants it), and that compiles some forty grammars on import: 1.3 s of CPU in each of the 50-odd runners of a
# test run, for IRI formats that no notebook schema uses. A None in sys.modules makes that import fail at once,
# and jsonschema goes on without those checks.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402 - these imports come after the line above
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402

from tests.notebooks.kernel_zygote import kernel_name_for  # noqa: E402

CELL_TIMEOUT_S = 900  # a small-data cell takes seconds; this only catches a hang
TIMED_CELL_TIMEOUT_S = 3600  # `once` times full-data runs too, whose training cells take minutes
ERROR_TEXT_LIMIT = 6000
MODES = ("twice", "to-first-blank", "once")


def _client(notebook, path: Path, timeout: int) -> NotebookClient:
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=kernel_name_for(source),  # forked from the lanes' zygote when one serves
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


def _runs(client: NotebookClient, notebook, path: Path, mode: str) -> dict:
    """The notebook's runs in the client's kernel, as its mode asks."""
    client.nb = notebook  # the client writes each executed cell back into the notebook it holds
    result: dict = {"notebook": str(path), "mode": mode, "runs": [], "cells": [], "failure": None}
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


def _fresh_namespace_in(client: NotebookClient, folder: Path) -> None:
    """Forget every name the kernel's user code made and move to ``folder``, as a new kernel there would be."""
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"%reset -f\n%cd {json.dumps(str(folder))}")])
    client.nb = scratch
    client.execute_cell(scratch.cells[0], 0)


def run(mode: str, path: Path, student_lab: Path | None = None) -> tuple[dict, dict | None]:
    """The notebook's result, and (``twice`` with a student lab) the lab's, run to its first blank after it."""
    notebook = nbformat.read(path, as_version=4)
    client = _client(notebook, path, TIMED_CELL_TIMEOUT_S if mode == "once" else CELL_TIMEOUT_S)
    lab_result = None
    with client.setup_kernel():
        client.wait_for_reply(client.kc.kernel_info())
        result = _runs(client, notebook, path, mode)
        if student_lab is not None:
            started = time.perf_counter()
            _fresh_namespace_in(client, student_lab.parent)
            lab_result = _runs(client, nbformat.read(student_lab, as_version=4), student_lab, "to-first-blank")
            lab_result["seconds"] = time.perf_counter() - started
    return result, lab_result


def main(argv: list[str]) -> int:
    mode, notebook, result_file, *lab = argv
    if mode not in MODES:
        raise SystemExit(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    if lab and (mode != "twice" or len(lab) != 2):
        raise SystemExit("a student lab (and its result file) can only follow a notebook run twice")
    student_lab = Path(lab[0]).resolve() if lab else None
    result, lab_result = run(mode, Path(notebook).resolve(), student_lab)
    Path(result_file).write_text(json.dumps(result))
    if lab:
        Path(lab[1]).write_text(json.dumps(lab_result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
