"""The folders the course writes to, in one place.

Locally everything lives under ``COURSE_HOME`` (default: ``.course/`` in the
repository, ignored by git). On Databricks it lives in the learner's own folder
of a Unity Catalog volume (``COURSE_VOLUME``) or, without one, of DBFS, so that
the Spark workers can read it too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from .. import settings
from .environment import CourseSetupError, on_databricks

# Where a Databricks node mounts DBFS and Unity Catalog volumes in its own filesystem (FUSE), so that Python's
# open() and os work on them. Spark names the same places dbfs:/<path> and dbfs:/Volumes/<catalog>/<schema>/
# <volume>/<path> (the scheme is optional there). Source: Databricks, "Work with files on Databricks"
# (https://docs.databricks.com/aws/en/files/) and "What are Unity Catalog volumes?"
# (https://docs.databricks.com/en/volumes.html). Module constants, so that the tests can move the mounts into a
# temporary folder.
DBFS_MOUNT = "/dbfs"
VOLUMES_MOUNT = "/Volumes"


def slugify(name: str) -> str:
    """'01.2 Keras' -> '01.2-keras': safe as a folder and experiment name."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", name.strip().lower()).strip("-")
    return slug or "notebook"


def course_home(user: str) -> Path:
    """The root of everything the course writes for ``user`` (see ``identity.learner()``).

    On Databricks each learner has a folder of their own under a Spark-visible root: ``dl-course/<you>`` in the
    volume ``COURSE_VOLUME`` names, else ``/dbfs/tmp/dl-course/<you>``. A laptop has one learner.
    """
    override = settings.home_override()
    if override is not None:
        return override
    if on_databricks():
        volume = volume_root()
        if volume is not None:
            return volume / "dl-course" / slugify(user)
        return settings.DATABRICKS_HOME_ROOT / slugify(user)
    return settings.LOCAL_HOME


def volume_root() -> Path | None:
    """``/Volumes/<catalog>/<schema>/<volume>`` for the volume ``COURSE_VOLUME`` names, or None without one."""
    volume = settings.course_volume()
    return Path(VOLUMES_MOUNT, *volume) if volume is not None else None


def make_home(home: Path) -> Path:
    """Create the course home; when it cannot be, say in one sentence what the learner should ask for.

    A volume is never created here (that takes ``CREATE VOLUME`` on the schema, an instructor's job): its
    folder must already be there, which it is only when the volume exists and the learner may read it.
    """
    volume = volume_root() if on_databricks() and settings.home_override() is None else None
    if volume is not None and not volume.is_dir():
        name = ".".join(settings.course_volume())
        raise CourseSetupError(
            f"{settings.VOLUME_ENV} names the volume {name}, but {volume} is not there for "
            f"you: ask your instructor to create it and to grant you READ VOLUME and "
            f"WRITE VOLUME on it (with USE CATALOG and USE SCHEMA)."
        )
    try:
        home.mkdir(parents=True, exist_ok=True)
    except PermissionError:
        ask = (
            f"WRITE VOLUME on {'.'.join(settings.course_volume())}"
            if volume is not None
            else f"a folder you may write, named by {settings.HOME_ENV}"
        )
        raise CourseSetupError(f"The course may not create its folder {home}: ask for {ask}.") from None
    return home


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
_SPARK_VOLUMES = "/Volumes"  # how dbfs: URIs name the volumes, wherever VOLUMES_MOUNT is
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
            return "dbfs:" + (local[len(DBFS_MOUNT) :] or "/")
        if _under(local, VOLUMES_MOUNT):
            return "dbfs:" + _SPARK_VOLUMES + local[len(VOLUMES_MOUNT) :]
    return Path(local).as_uri()


def file_uri(path) -> str:
    """``path`` as a ``file:`` URI, for libraries that open files themselves on every node (Petastorm's reader).

    Such libraries read through the local filesystem, not through Spark: on Databricks that is the FUSE
    mount, so ``dbfs:/x`` and ``/dbfs/x`` both become ``file:///dbfs/x`` and volumes stay ``file:///Volumes/...``.
    """
    text = str(path)
    if text.startswith("dbfs:"):
        rest = "/" + text[len("dbfs:") :].lstrip("/")
        text = VOLUMES_MOUNT + rest[len(_SPARK_VOLUMES) :] if _under(rest, _SPARK_VOLUMES) else DBFS_MOUNT + rest
    elif _has_scheme(text):
        if text.startswith("file:"):
            return text
        raise ValueError(f"{text} is not on a filesystem this machine mounts; file_uri needs a local path")
    return Path(os.path.abspath(os.path.expanduser(text))).as_uri()


# --- the data cache, copied once to where every executor can read it -----------------------------------------
def stage_for_spark(path, home: Path) -> str:
    """The Spark URI of a file or folder of the course's data (``includes.data``), readable by every executor.

    The data layer caches its files on the driver's own disk (``~/.cache/dl-course/data``), which the executors
    of a multi-node Databricks cluster do not see. There the file or folder is copied once into
    ``<home>/data/<its place in the cache>`` (a volume or DBFS, which every node mounts) and that copy's URI
    is returned. Locally, and for data already on DBFS or a volume, nothing is copied: the path's own URI.
    """
    local = Path(os.path.abspath(os.path.expanduser(str(path))))
    if not on_databricks() or _under(str(local), DBFS_MOUNT) or _under(str(local), VOLUMES_MOUNT):
        return spark_uri(local)
    destination = staged_place(local, home)
    try:
        return spark_uri(stage_once(local, destination))
    except OSError as error:
        raise CourseSetupError(
            f"The course could not copy {local} to {destination} for Spark's executors "
            f"({error.strerror or error}): check that you may write to {home}."
        ) from None


def staged_place(path: Path, home: Path) -> Path:
    """``<home>/data/<path relative to the data cache or mirror>``: the same layout as the cache, so the small
    and the full variant of a dataset never share a folder. A path outside both keeps only its name."""
    for root in (settings.cache_dir(), settings.mirror_dir()):
        if root is None:
            continue
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(os.path.expanduser(root)))
        except ValueError:
            continue
        if relative.parts:
            return home / "data" / relative
    return home / "data" / Path(path).name


def staged_marker(destination: Path) -> Path:
    """The file that says a copy is complete: beside it, written after the last file (so beside a file too)."""
    return destination.parent / f".{destination.name}.staged.json"


def _sizes(source: Path) -> dict[str, int]:
    """``{relative path: size}`` of every file in ``source`` (``{"": size}`` for a file); links are followed,
    as the small variants of the datasets are links into the full ones."""
    if source.is_file():
        return {"": source.stat().st_size}
    sizes = {}
    for folder, _, names in os.walk(source, followlinks=True):
        for name in names:
            file = Path(folder, name)
            sizes[file.relative_to(source).as_posix()] = file.stat().st_size
    if not sizes:
        raise FileNotFoundError(f"{source} holds no files to stage")
    return dict(sorted(sizes.items()))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else -1
    except OSError:
        return -1


def stage_once(source: Path, destination: Path) -> Path:
    """Make ``destination`` a copy of the file or folder ``source``, unless it already is; return it.

    A copy is complete when its marker (written last) lists the same files with the same sizes as ``source``
    and each is there with its size: then nothing is copied. Otherwise the marker is removed first, every file
    that is missing or of another size is copied, files ``source`` no longer has are removed, and the marker
    is written again. So an interrupted copy (no marker) is finished by the next call, never used half-done.
    """
    source, destination = Path(source), Path(destination)
    sizes = _sizes(source)
    marker = staged_marker(destination)
    try:
        complete = json.loads(marker.read_text(encoding="utf-8")) == sizes
    except (OSError, ValueError):
        complete = False
    if complete and all(_size(destination / relative) == size for relative, size in sizes.items()):
        return destination

    marker.unlink(missing_ok=True)
    copied = 0
    for relative, size in sizes.items():
        target = destination / relative
        if _size(target) == size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, target)  # contents only: FUSE mounts refuse some metadata calls
        copied += size
    if destination.is_dir():
        for folder, _, names in os.walk(destination):
            for name in names:
                file = Path(folder, name)
                if file.relative_to(destination).as_posix() not in sizes:
                    file.unlink()
    marker.write_text(json.dumps(sizes), encoding="utf-8")
    print(
        f"copied {source.name} ({len(sizes)} file(s), {copied / 1e6:.1f} MB) to {destination}, once: Spark's "
        f"executors read it there"
    )
    return destination
