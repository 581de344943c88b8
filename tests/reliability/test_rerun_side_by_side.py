"""Every notebook runs a second time, in the same course folder, next to another notebook.

The notebook pass (nbval, earlier in the same pytest run) is each notebook's first run.
Here every demo and solution runs again, in pairs at the same time, with the same
COURSE_HOME. So one pass shows both things a learner relies on:

* running a notebook again from the top needs no cleaning by hand (its work folder,
  MLflow runs, registered models, checkpoints and Parquet files from the first run
  are still there), and
* two notebooks open at once do not collide (Spark ports and temp folders, the
  shared SQLite MLflow store, the per-notebook work folders).

Pairs are neighbours in course order, so notebooks that share a resource (Spark,
MLflow, Horovod) run next to each other and the collisions that matter can happen.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from includes.labs import is_student_lab

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(
    (
        path
        for path in (ROOT / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and not is_student_lab(path)
    ),
    key=lambda path: path.relative_to(ROOT).as_posix(),
)


def pairs_of(paths: list[Path]) -> list[tuple[Path, ...]]:
    """Neighbours within a module (a demo next to its lab solution), so notebooks that share a
    resource (the MLflow registry, SparkTrials, Horovod on Spark) run together; a module's odd
    one out is paired with another module's odd one out."""
    modules: dict[str, list[Path]] = {}
    for path in sorted(paths, key=lambda path: path.name):
        modules.setdefault(path.relative_to(ROOT / "notebooks").parts[0], []).append(path)
    pairs, spare = [], []
    for members in modules.values():
        pairs += [tuple(members[i : i + 2]) for i in range(0, len(members) - 1, 2)]
        spare += members[len(members) - len(members) % 2 :]
    return pairs + [tuple(spare[i : i + 2]) for i in range(0, len(spare), 2)]


SECOND_RUN_LIMIT_S = 600  # a notebook's small-data run takes about a minute; this only catches hangs


def run_again(path: Path, out_dir: Path) -> tuple[Path, int, str, float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=900",
            "--ExecutePreprocessor.kernel_name=python3",
            "--output-dir",
            str(out_dir),
            str(path),
        ],
        cwd=path.parent,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # its own process group: a hang is stopped with everything it started
    try:
        _, err = process.communicate(timeout=SECOND_RUN_LIMIT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate()
        err = f"still running after {SECOND_RUN_LIMIT_S} s, stopped (a hang?)\n{err}"
    return path, process.returncode, err[-3000:], time.perf_counter() - started


PAIRS = pairs_of(NOTEBOOKS)


@pytest.mark.parametrize("pair", PAIRS, ids=[" + ".join(p.stem for p in pair) for pair in PAIRS])
def test_second_run_in_the_same_folder_next_to_another_notebook(pair, tmp_path):
    with ThreadPoolExecutor(max_workers=len(pair)) as pool:
        results = list(pool.map(lambda path: run_again(path, tmp_path), pair))
    failures = [
        f"{path.relative_to(ROOT)} failed on its second run (exit {code}):\n{err}"
        for path, code, err, _ in results
        if code != 0
    ]
    assert not failures, "\n\n".join(failures)


def test_pairs_cover_every_notebook_once():
    covered = [path for pair in PAIRS for path in pair]
    assert sorted(covered) == sorted(NOTEBOOKS) and len(covered) == len(set(covered))
