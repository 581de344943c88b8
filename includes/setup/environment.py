"""Where the course runs and whether that place is ready for it.

Everything here is cheap to import: no TensorFlow, no Spark. The setup call in
``includes.setup.course`` uses it before anything heavy is loaded.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from importlib import metadata
from pathlib import Path

from .. import settings
from ..settings import REPO_ROOT

PINS_FILE = REPO_ROOT / "requirements" / "course.in"
REQUIRED_PYTHON = (3, 11)

# Packages whose versions matter most; the rest follow from the lock file.
CHECKED_PACKAGES = (
    "tensorflow-cpu",
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "pyarrow",
    "pyspark",
    "mlflow",
    "petastorm",
    "hyperopt",
)


class CourseSetupError(RuntimeError):
    """The machine is not ready for the course; the message says what to do."""


def on_databricks() -> bool:
    """True inside a Databricks notebook or job (the runtime sets this variable)."""
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def runtime_rules_apply() -> bool:
    """On a Databricks runtime, or imitating one (`make test-runtime`): the runtime brings its own Python and
    libraries, and what is missing there is the runtime's doing, not a local setup to repair."""
    return on_databricks() or settings.runtime_parity()


def check_python(version_info=sys.version_info) -> None:
    """Stop with one sentence if the kernel is not the Python the course needs.

    A Databricks runtime brings its own Python (3.11 on 15.4 LTS, 3.12 on 17.3 LTS): the course adapts to it
    there (requirements/databricks-<runtime>.txt) instead of refusing it.
    """
    if runtime_rules_apply():
        return
    if tuple(version_info[:2]) != REQUIRED_PYTHON:
        found = ".".join(str(part) for part in version_info[:3])
        needed = ".".join(str(part) for part in REQUIRED_PYTHON)
        raise CourseSetupError(
            f"This kernel runs Python {found}, but the course needs Python {needed}: "
            f"run `make course` from the repository (it builds .venv with Python {needed}) "
            f"and choose that environment's kernel."
        )


def pinned_versions(pins_file: Path = PINS_FILE) -> dict[str, str]:
    """The exact versions in requirements/course.in, by lower-case package name."""
    pins: dict[str, str] = {}
    if not pins_file.exists():
        return pins
    for line in pins_file.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def version_mismatches(pins: dict[str, str] | None = None, packages=CHECKED_PACKAGES) -> list[str]:
    """Installed packages whose version differs from the course's pin."""
    pins = pinned_versions() if pins is None else pins
    problems = []
    for name in packages:
        wanted = pins.get(name)
        if wanted is None:
            continue
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # e.g. tensorflow vs tensorflow-cpu: only one of them is installed
        if found != wanted:
            problems.append(f"{name} {found} (course: {wanted})")
    return problems


def check_packages() -> None:
    """Warn in one sentence when key packages differ from the course's pins."""
    if runtime_rules_apply():
        return  # the ML runtime (or make test-runtime's imitation of it) brings its own versions; see the README
    problems = version_mismatches()
    if problems:
        warnings.warn(
            "Some packages differ from the versions this course was tested with ("
            + ", ".join(problems)
            + "): run `make setup` to rebuild the course environment.",
            stacklevel=3,
        )


# --- Databricks: the install step -----------------------------------------------------------------------
# An ML runtime brings most of the course's packages; requirements/databricks-<runtime>.txt pins what it
# lacks or has at a version the course cannot use (MLflow 3 on 15.4; Hyperopt on 17.3 and later). The first
# setup_course() in a notebook's Python installs them with %pip, the Databricks way (notebook-scoped), and
# restarts Python once; the stamp it leaves makes every later call skip the step.
REQUIREMENTS_DIR = REPO_ROOT / "requirements"


def runtime_version(value: str | None = None) -> tuple[int, int] | None:
    """(major, minor) of the Databricks runtime: ``"15.4"`` or ``"17.3.x-cpu-ml-scala2.13"`` -> (15, 4)."""
    value = os.environ.get("DATABRICKS_RUNTIME_VERSION", "") if value is None else value
    match = re.match(r"\s*(\d+)\.(\d+)", value)
    return (int(match.group(1)), int(match.group(2))) if match else None


def runtime_requirements(version: tuple[int, int] | None = None, folder: Path = REQUIREMENTS_DIR) -> Path | None:
    """The course's requirements file for this runtime: the newest ``databricks-<x.y>.txt`` not newer than it
    (16.4 uses 15.4's, 18.0 uses 17.3's), or the oldest one for an older runtime."""
    version = runtime_version() if version is None else version
    files = {runtime_version(path.stem.removeprefix("databricks-")): path for path in folder.glob("databricks-*.txt")}
    files.pop(None, None)
    if version is None or not files:
        return None
    fitting = [known for known in files if known <= version]
    return files[max(fitting)] if fitting else files[min(files)]


def install_stamp(requirements: Path) -> Path:
    """A file in this Python environment's site-packages that says the step ran with these requirements."""
    import hashlib
    import sysconfig

    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    return Path(sysconfig.get_paths()["purelib"]) / f"dl_course_{requirements.stem}_{digest}.installed"


def runtime_packages_missing(requirements: Path) -> list[str]:
    """The pinned packages that are absent or at another version in this environment."""
    pins = pinned_versions(requirements)
    return version_mismatches(pins, packages=tuple(pins)) + [name for name in pins if _installed_version(name) is None]


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def install_runtime_packages(requirements: Path | None = None, ipython=None, dbutils=None) -> bool:
    """On Databricks, install what the runtime lacks once, then restart Python (the notebook's cell then
    runs again); False when there was nothing to do.

    Nothing happens off Databricks, when the stamp of an earlier install is there, or when the packages are
    already present at their pinned versions (a job cluster that installed the same file as a library).
    """
    if not on_databricks():
        return False
    requirements = requirements or runtime_requirements()
    if requirements is None or install_stamp(requirements).exists() or not runtime_packages_missing(requirements):
        return False
    if ipython is None:
        from IPython import get_ipython

        ipython = get_ipython()
    if ipython is None:
        raise CourseSetupError(
            f"This runtime lacks some of the course's packages and this is not a notebook: install "
            f"{requirements.relative_to(REPO_ROOT)} as a cluster or job library first."
        )
    # The course's one package installation (tests/unit/test_notebooks_static.py allows it here only).
    ipython.run_line_magic("pip", f"install --quiet --disable-pip-version-check -r '{requirements}'")
    install_stamp(requirements).write_text("installed by includes.setup.environment.install_runtime_packages\n")
    print(
        f"The course installed the packages this runtime lacks ({requirements.relative_to(REPO_ROOT)}) and "
        "restarted Python once: run this cell again."
    )
    dbutils = dbutils or ipython.user_ns.get("dbutils")
    dbutils.library.restartPython()
    raise CourseSetupError("Python restarted after the course's install step: run this cell again.")


# --- Databricks: HorovodRunner's np -------------------------------------------------------------------
def cluster_workers(spark) -> int:
    """How many worker machines the cluster has: 0 on a single-node cluster (everything runs on the driver)."""
    conf = spark.sparkContext.getConf()
    if conf.get("spark.databricks.cluster.profile", "") == "singleNode" or spark.sparkContext.master.startswith(
        "local"
    ):
        return 0
    # The block managers Spark knows of: one per executor, plus the driver's own.
    return max(spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1, 0)


def horovod_runner_np(processes: int, workers: int) -> int:
    """HorovodRunner's ``np`` for ``processes`` training processes.

    A positive np starts that many Spark tasks on the workers; a single-node cluster has none, and there
    HorovodRunner needs a negative np, which starts the processes on the driver itself.
    """
    if processes < 1:
        raise ValueError(f"Horovod needs at least one process, not {processes}.")
    return processes if workers > 0 else -processes
