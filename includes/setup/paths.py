"""The folders the course writes to, in one place.

Locally everything lives under ``COURSE_HOME`` (default: ``.course/`` in the
repository, ignored by git). On Databricks it lives in the user's own DBFS
folder so that the Spark workers can read it too.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from .. import settings
from .environment import on_databricks


def slugify(name: str) -> str:
    """'01.2 Keras' -> '01.2-keras': safe as a folder and experiment name."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", name.strip().lower()).strip("-")
    return slug or "notebook"


def course_home(user: str) -> Path:
    """The root of everything the course writes for ``user`` (see ``identity.learner()``).

    On Databricks each learner has a folder of their own under a Spark-visible root; a laptop has one learner.
    """
    override = settings.home_override()
    if override is not None:
        return override
    if on_databricks():
        return settings.DATABRICKS_HOME_ROOT / slugify(user)
    return settings.LOCAL_HOME


def work_root(home: Path) -> Path:
    """The parent of every notebook's working folder (TensorBoard reads its logs here)."""
    return home / "work"


def notebook_work_dir(home: Path, notebook: str, clean: bool = True) -> Path:
    """A folder of the notebook's own, emptied at the start of each run.

    Emptying it makes every notebook safe to run again from the top: files a
    previous run left (checkpoints, Parquet, logs) never leak into this one.
    """
    folder = work_root(home) / slugify(notebook)
    if clean and folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
