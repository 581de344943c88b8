"""The runtime parity run's view of notebooks that cannot run on a runtime by design (`make test-runtime`).

scripts/runtime_env.sh runs ``pytest -p tests.runtime.plugin tests/notebooks tests/labs tests/runtime`` with
``COURSE_RUNTIME_PARITY=<runtime>`` in a virtual environment that has that Databricks runtime's versions. A
notebook listed below for that runtime is not run by tests/notebooks (its first cells would stop it, failing the
run) nor by tests/labs; tests/runtime/test_expected_stops.py runs it instead and passes only when it stops with
exactly its one sentence. Without the variable (an ordinary `make test`) nothing changes.
"""

from __future__ import annotations

import os
from pathlib import Path

from includes import settings

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_ENV = settings.RUNTIME_PARITY_ENV

# What includes/lessons/distributed/helpers.py require_horovod() says where the runtime has no Horovod
# (tests/unit/test_runtime_parity.py keeps these sentences identical to the helpers').
NO_HOROVOD = (
    "This Databricks runtime has no Horovod (Databricks removed it after 15.4 LTS ML): attach the "
    "notebook to a 15.4 LTS ML cluster, or see 04.3 for TorchDistributor, its replacement."
)

# What require_petastorm() says where the runtime's PyArrow (16 or later) has no pyarrow.filesystem.
NO_PETASTORM = (
    "Petastorm cannot run on this Databricks runtime (it imports pyarrow.filesystem, which the "
    "runtime's PyArrow no longer has): attach the notebook to a 15.4 LTS ML cluster, or load data "
    "with Mosaic Streaming, which Databricks recommends on newer runtimes."
)

# Runtime -> {notebook (path from the repository root): the one sentence it stops with}.
EXPECTED_STOPS: dict[str, dict[str, str]] = {
    "15.4": {},
    "17.3": {
        "notebooks/04_distributed/04.1_petastorm.ipynb": NO_PETASTORM,
        "notebooks/04_distributed/04.2_horovod.ipynb": NO_HOROVOD,
        "notebooks/04_distributed/solutions/04.2L_horovod_petastorm_lab.ipynb": NO_HOROVOD,
        "notebooks/04_distributed/04.2L_horovod_petastorm_lab.ipynb": NO_HOROVOD,
    },
}


def current_runtime(environ=None) -> str | None:
    """The runtime the run imitates (``COURSE_RUNTIME_PARITY``), or None in an ordinary test run."""
    value = (os.environ if environ is None else environ).get(RUNTIME_ENV, "").strip()
    return value or None


def expected_stops(runtime: str | None = None, table=None) -> dict[str, str]:
    """The notebooks that stop by design on ``runtime``, with their sentence; {} outside a parity run.

    A runtime missing from the table is refused: its stops must be written down, even if there are none.
    """
    runtime = current_runtime() if runtime is None else runtime
    table = EXPECTED_STOPS if table is None else table
    if runtime is None:
        return {}
    if runtime not in table:
        raise ValueError(
            f"{RUNTIME_ENV}={runtime}: no list of expected stops for this runtime in tests/runtime/plugin.py "
            f"(known: {', '.join(sorted(table))}); add one, empty if every notebook runs."
        )
    return table[runtime]


def relative(path, root: Path = ROOT) -> str:
    """A path as the table writes it: from the repository root, with forward slashes."""
    path = Path(path).resolve()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def is_expected_stop(path, stops: dict[str, str], root: Path = ROOT) -> bool:
    return relative(path, root) in stops


def same_sentence(found: str, expected: str) -> bool:
    """The stop's message is the expected sentence (line breaks and repeated spaces aside)."""
    return " ".join(found.split()) == " ".join(expected.split())


# --- pytest hooks (active only with -p tests.runtime.plugin) -------------------------------------------
def _notebook_of(item) -> Path | None:
    """The notebook a test runs (its ``NotebookJob`` parameter's path), or None for any other test."""
    for value in getattr(getattr(item, "callspec", None), "params", {}).values():
        path = getattr(value, "path", None)
        if isinstance(path, Path) and path.suffix == ".ipynb":
            return path
    return None


def pytest_collection_modifyitems(config, items):
    """tests/notebooks and tests/labs do not run a notebook that stops by design on this runtime."""
    stops = expected_stops()
    if not stops:
        return
    kept, dropped = [], []
    for item in items:
        notebook = _notebook_of(item)
        (dropped if notebook is not None and is_expected_stop(notebook, stops) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    runtime = current_runtime()
    if runtime:
        stops = expected_stops(runtime)
        return f"runtime parity: Databricks Runtime {runtime} ML; {len(stops)} notebook(s) expected to stop"
    return None
