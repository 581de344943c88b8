"""The folders the course writes to, in one place.

Locally everything lives under ``COURSE_HOME`` (default: ``.course/`` in the
repository, ignored by git). On Databricks it lives in the user's own DBFS
folder so that the Spark workers can read it too.
"""
from __future__ import annotations

import os
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


def home_is_shared() -> bool:
    """Whether several learners write into one course home, so that each needs a folder of their own in it.

    On Databricks the default home is already the learner's own (one folder per user), but a ``COURSE_HOME``
    set on a cluster is shared by everyone on it. Locally, ``COURSE_USER`` marks a shared home (a class on one
    JupyterHub, each learner with their own ``COURSE_USER``): a single learner on a laptop sets neither, and
    keeps the short layout (``work/<notebook>``, experiments ``dl-course/<notebook>``), which is what the
    Makefile, TensorBoard and the lessons' text show.
    """
    if on_databricks():
        return settings.home_override() is not None
    return settings.user_override() is not None


def work_root(home: Path, user: str | None = None) -> Path:
    """The parent of the learner's working folders: ``work/`` alone, ``work/<user>/`` in a shared home.

    Without a user it is the parent of everyone's (what TensorBoard reads).
    """
    if user is not None and home_is_shared():
        return home / "work" / slugify(user)
    return home / "work"


def notebook_work_dir(home: Path, notebook: str, clean: bool = True, user: str | None = None) -> Path:
    """A folder of the notebook's own (and, in a shared home, the learner's own), emptied at each run.

    Emptying it makes every notebook safe to run again from the top: files a
    previous run left (checkpoints, Parquet, logs) never leak into this one,
    and another learner's run of the same notebook never touches it.
    """
    folder = work_root(home, user) / slugify(notebook)
    if clean and folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def learners_own_folders(home: Path, user: str) -> list[Path]:
    """What ``reset_course`` may delete for ``user``: the whole home when it is theirs alone, else only their
    working folders (the shared MLflow store, Keras' and Spark's caches stay for the others)."""
    if home_is_shared():
        return [work_root(home, user)]
    return [home]


# --- paths handed to Spark, Petastorm and Horovod: always with a scheme -------------------------------
DBFS_MOUNT = "/dbfs"        # DBFS as the driver's and executors' local filesystem sees it (FUSE)
VOLUMES_MOUNT = "/Volumes"  # Unity Catalog volumes, likewise
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def _has_scheme(path) -> bool:
    return isinstance(path, str) and bool(_SCHEME.match(path))


def _under(path: str, mount: str) -> bool:
    return path == mount or path.startswith(mount + "/")


def spark_uri(path) -> str:
    """``path`` as the URI Spark should be given, with an explicit scheme.

    Spark resolves a path without a scheme against the cluster's default filesystem, not the local disk:
    on Databricks ``/dbfs/tmp/x`` would become ``dbfs:/dbfs/tmp/x``, on YARN an HDFS path. So:

    - locally: ``file:///absolute/path`` (every executor of a cluster on this machine sees the same disk);
    - on Databricks: ``/dbfs/x`` -> ``dbfs:/x`` and ``/Volumes/c/s/v/x`` -> ``dbfs:/Volumes/c/s/v/x`` (the
      forms Databricks documents for Spark); any other path is on the driver's own disk and becomes a
      ``file:`` URI, which executors can read only on a single-node cluster.

    A string that already has a scheme (``dbfs:/...``, ``s3://...``, ``file:...``) is returned unchanged.
    """
    if _has_scheme(path):
        return path
    local = os.path.abspath(os.path.expanduser(str(path)))
    if on_databricks():
        if _under(local, DBFS_MOUNT):
            return "dbfs:" + (local[len(DBFS_MOUNT):] or "/")
        if _under(local, VOLUMES_MOUNT):
            return "dbfs:" + local
    return Path(local).as_uri()


def file_uri(path) -> str:
    """``path`` as a ``file:`` URI, for libraries that open files themselves on every node (Petastorm's reader).

    Such libraries read through the local filesystem, not through Spark: on Databricks that is the FUSE
    mount, so ``dbfs:/x`` and ``/dbfs/x`` both become ``file:///dbfs/x`` and volumes stay ``file:///Volumes/...``.
    """
    text = str(path)
    if text.startswith("dbfs:"):
        rest = "/" + text[len("dbfs:"):].lstrip("/")
        text = rest if _under(rest, VOLUMES_MOUNT) else DBFS_MOUNT + rest
    elif _has_scheme(text):
        if text.startswith("file:"):
            return text
        raise ValueError(f"{text} is not on a filesystem this machine mounts; file_uri needs a local path")
    return Path(os.path.abspath(os.path.expanduser(text))).as_uri()
