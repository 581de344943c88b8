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

from ..settings import REPO_ROOT

PINS_FILE = REPO_ROOT / "requirements" / "course.in"
REQUIRED_PYTHON = (3, 11)

# Packages whose versions matter most; the rest follow from the lock file.
CHECKED_PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "pandas", "pyarrow",
                    "pyspark", "mlflow", "petastorm", "hyperopt")


class CourseSetupError(RuntimeError):
    """The machine is not ready for the course; the message says what to do."""


def on_databricks() -> bool:
    """True inside a Databricks notebook or job (the runtime sets this variable)."""
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def check_python(version_info=sys.version_info) -> None:
    """Stop with one sentence if the kernel is not the Python the course needs."""
    if tuple(version_info[:2]) != REQUIRED_PYTHON:
        found = ".".join(str(part) for part in version_info[:3])
        needed = ".".join(str(part) for part in REQUIRED_PYTHON)
        raise CourseSetupError(
            f"This kernel runs Python {found}, but the course needs Python {needed}: "
            f"run `make course` from the repository (it builds .venv with Python {needed}) "
            f"and choose that environment's kernel.")


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


def version_mismatches(pins: dict[str, str] | None = None,
                       packages=CHECKED_PACKAGES) -> list[str]:
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
    if on_databricks():
        return  # the ML runtime brings its own versions; see the README
    problems = version_mismatches()
    if problems:
        warnings.warn(
            "Some packages differ from the versions this course was tested with ("
            + ", ".join(problems) + "): run `make setup` to rebuild the course environment.",
            stacklevel=3)
