"""Every setting the course reads from the environment, in one place.

This module imports nothing of the course, so every wing (setup, data, labs,
lessons), the test suite, the scripts and the Makefile can ask it. Each
function reads the environment *when it is called*, so a test (or a notebook
cell) can change a variable and the next call sees it.

========================  ======================================================
``COURSE_HOME``           Where the course writes: working folders, the MLflow
                          store, Keras' and Spark's scratch space (default
                          ``.course/`` in the repository; on Databricks the
                          learner's own folder in ``COURSE_VOLUME`` or on DBFS,
                          see ``includes.setup.paths``).
``COURSE_USER``           Who is taking the course (default: the workspace user on
                          Databricks, the operating-system user elsewhere); the
                          learner's folders, experiments and models carry it.
``COURSE_UC_SCHEMA``      ``<catalog>.<schema>`` where learners may create models,
                          used when the workspace registers models in Unity
                          Catalog (the registry URI starts with ``databricks-uc``).
``COURSE_VOLUME``         ``<catalog>.<schema>.<volume>``: on Databricks, the Unity
                          Catalog volume the course stores its data and work in
                          (``/Volumes/<catalog>/<schema>/<volume>/dl-course/<you>``);
                          unset, each learner gets a DBFS folder. Ignored locally.
``COURSE_SMALL_DATA``     ``1``/``true``/``yes``/``on``: the quick, small-data
                          version of every notebook (the test suite's default).
``COURSE_TEST_RUN``       Set by the test suite: quieter Spark (no UI, no console
                          progress bars), no model downloads.
``COURSE_DATA_MIRROR``    Optional read-only folder laid out like the mirror
                          (``housing/housing.tgz``, ``fashion-mnist/...``), looked
                          at first. A relative path is resolved against the
                          current directory, then against the repository.
``COURSE_DATA_CACHE``     Writable folder for downloads, same layout as the
                          mirror (default ``~/.cache/dl-course/data``).
``COURSE_SPARK_MASTER``   Optional URL of an existing Spark cluster's master
                          (``spark://host:port``; ``make cluster`` starts one):
                          ``course.spark`` connects to it instead of starting
                          ``local[2]``. Ignored on Databricks (the notebook's
                          cluster is used).
``COURSE_SPARK_PRELOAD``  ``1``/``0``: Spark's Python workers are forked from a
                          daemon that has imported TensorFlow, Keras and MLflow
                          once (default: on Linux; local Spark and
                          ``COURSE_SPARK_MASTER`` clusters only, see
                          ``includes.setup.spark_daemon``).
``COURSE_TEST_LANES``     How many notebooks the test suite runs at once (default
                          2, one per core of the smallest machine it runs on).
``COURSE_TEST_KERNELS``   ``forked`` (default on Linux): the test suite forks each
                          notebook's kernel, and the Python worker daemon of each
                          SparkSession it starts, from one process per lane that
                          has imported TensorFlow and Keras once; ``fresh``: every
                          kernel and daemon starts from nothing
                          (tests/notebooks/kernel_zygote.py).
``COURSE_TEST_SPARK``     ``shared`` (default): each test lane starts one Spark
                          driver JVM and its notebooks take turns in it, each
                          with its own SparkSession; ``own``: every notebook
                          starts its own (tests/notebooks/shared_spark.py).
``KERAS_HOME``            Keras' own cache (default ``~/.keras``; the course sets
                          it to ``<COURSE_HOME>/keras``); files Keras would
                          download are copied there.
========================  ======================================================

``print_setting("home")`` prints one value, so the Makefile asks Python instead of restating a path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

HOME_ENV = "COURSE_HOME"
USER_ENV = "COURSE_USER"
UC_SCHEMA_ENV = "COURSE_UC_SCHEMA"
VOLUME_ENV = "COURSE_VOLUME"
SMALL_ENV = "COURSE_SMALL_DATA"
TEST_RUN_ENV = "COURSE_TEST_RUN"
MIRROR_ENV = "COURSE_DATA_MIRROR"
CACHE_ENV = "COURSE_DATA_CACHE"
KERAS_HOME_ENV = "KERAS_HOME"
SPARK_MASTER_ENV = "COURSE_SPARK_MASTER"
RUNTIME_PARITY_ENV = "COURSE_RUNTIME_PARITY"
TEST_LANES_ENV = "COURSE_TEST_LANES"
SPARK_PRELOAD_ENV = "COURSE_SPARK_PRELOAD"
TEST_KERNELS_ENV = "COURSE_TEST_KERNELS"
TEST_SPARK_ENV = "COURSE_TEST_SPARK"

# Defaults when a variable is unset.
LOCAL_HOME = REPO_ROOT / ".course"  # a learner's course folder on a laptop
TEST_HOME = REPO_ROOT / ".course-test"  # the test suite's own course folder
DATABRICKS_HOME_ROOT = Path("/dbfs/tmp/dl-course")  # one folder per learner below it, Spark-visible
DEFAULT_CACHE = Path("~/.cache/dl-course/data")
DEFAULT_KERAS_HOME = Path("~/.keras")
DEFAULT_TEST_LANES = 2

_TRUE_WORDS = {"1", "true", "yes", "on"}


def truthy(value: str | None) -> bool:
    """The one reading of a yes/no variable: ``1``, ``true``, ``yes`` or ``on`` (any case) mean yes."""
    return (value or "").strip().lower() in _TRUE_WORDS


def _value(name: str) -> str:
    return os.environ.get(name, "").strip()


def small_data() -> bool:
    """True when the quick, small-data version of the course is requested."""
    return truthy(os.environ.get(SMALL_ENV))


def resolve_small(small: bool | None) -> bool:
    """Turn a loader's ``small`` argument into a decision: an explicit True/False wins, None asks the flag."""
    return small_data() if small is None else bool(small)


def is_test_run() -> bool:
    return truthy(os.environ.get(TEST_RUN_ENV))


def notebook_lanes() -> int:
    """How many notebooks the test suite runs side by side (``COURSE_TEST_LANES``, at least 1)."""
    value = _value(TEST_LANES_ENV)
    if not value:
        return DEFAULT_TEST_LANES
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{TEST_LANES_ENV}={value!r}: give a whole number of notebooks to run at once, e.g. 2.")
    return int(value)


def forked_test_kernels() -> bool:
    """Whether the test suite forks notebook kernels from a process with the libraries imported
    (``COURSE_TEST_KERNELS``: ``forked``, the default, or ``fresh``); only on Linux."""
    value = _value(TEST_KERNELS_ENV).lower() or "forked"
    if value not in {"forked", "fresh"}:
        raise ValueError(f"{TEST_KERNELS_ENV}={value!r}: say `forked` or `fresh`.")
    return value == "forked" and sys.platform == "linux"


def shared_test_spark() -> bool:
    """Whether the test suite's notebooks take turns in one Spark driver JVM per lane (``COURSE_TEST_SPARK``:
    ``shared``, the default, or ``own``); never against a cluster (``COURSE_SPARK_MASTER``)."""
    value = _value(TEST_SPARK_ENV).lower() or "shared"
    if value not in {"shared", "own"}:
        raise ValueError(f"{TEST_SPARK_ENV}={value!r}: say `shared` or `own`.")
    return value == "shared" and spark_master() is None


def spark_master() -> str | None:
    """The master URL of the Spark cluster named by ``COURSE_SPARK_MASTER``, or None (local Spark)."""
    return _value(SPARK_MASTER_ENV) or None


def spark_preload() -> bool:
    """Whether Spark's Python workers are forked from a daemon with TensorFlow, Keras and MLflow imported
    (``COURSE_SPARK_PRELOAD``; unset: on Linux only, as forking after TensorFlow's import is untried on macOS)."""
    value = _value(SPARK_PRELOAD_ENV)
    return truthy(value) if value else sys.platform == "linux"


def runtime_parity() -> str | None:
    """The Databricks runtime whose package versions this environment imitates (``make test-runtime`` sets
    ``COURSE_RUNTIME_PARITY``), or None: there the course accepts the runtime's Python and versions."""
    return _value(RUNTIME_PARITY_ENV) or None


def home_override() -> Path | None:
    """The folder ``COURSE_HOME`` names, resolved, or None when it is unset."""
    value = _value(HOME_ENV)
    return Path(value).expanduser().resolve() if value else None


def user_override() -> str | None:
    """The learner's name from ``COURSE_USER``, or None when it is unset."""
    return _value(USER_ENV) or None


def uc_schema() -> tuple[str, str] | None:
    """``(catalog, schema)`` from ``COURSE_UC_SCHEMA=catalog.schema``, or None when it is unset.

    A value that is not two non-empty parts separated by one dot is refused with a sentence, since a model
    registered under a wrong schema would fail much later, far from the setting.
    """
    value = _value(UC_SCHEMA_ENV)
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise ValueError(f"{UC_SCHEMA_ENV} should read <catalog>.<schema> (for example main.dl_course), not {value!r}.")
    return parts[0].strip(), parts[1].strip()


def course_volume() -> tuple[str, str, str] | None:
    """``(catalog, schema, volume)`` from ``COURSE_VOLUME=catalog.schema.volume``, or None when it is unset.

    Refused with a sentence unless it is three names separated by dots (no spaces or slashes inside a name,
    as Unity Catalog requires): a wrong value would otherwise show up as a missing folder deep in a notebook.
    """
    value = _value(VOLUME_ENV)
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not all(part and not any(c.isspace() or c == "/" for c in part) for part in parts):
        raise ValueError(
            f"{VOLUME_ENV} should read <catalog>.<schema>.<volume> (for example main.dl_course.files), not {value!r}."
        )
    return parts[0], parts[1], parts[2]


def mirror_dir() -> Path | None:
    """The mirror folder named by ``COURSE_DATA_MIRROR``, or None when unset.

    The folder is returned even if it does not exist: lookups inside it then
    simply find nothing, and the error message still names the variable.
    """
    value = _value(MIRROR_ENV)
    if not value:
        return None
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    # A notebook runs in its own folder; "../shared/mirror" is meant from the
    # repository root, so try there before giving up.
    from_repository = REPO_ROOT / path
    return from_repository.resolve() if from_repository.exists() else path.absolute()


def cache_dir() -> Path:
    """The writable download cache (created on first use by the fetcher)."""
    value = _value(CACHE_ENV)
    return Path(value).expanduser() if value else DEFAULT_CACHE.expanduser()


def keras_home() -> Path:
    """Keras' cache folder: ``$KERAS_HOME`` or ``~/.keras``."""
    value = _value(KERAS_HOME_ENV)
    return Path(value).expanduser() if value else DEFAULT_KERAS_HOME.expanduser()


def print_setting(name: str) -> int:
    """The values the Makefile needs, computed by the same code the notebooks use."""
    if name == "small":
        print(int(small_data()))
        return 0
    if name == "test-home":
        print(TEST_HOME)
        return 0
    from includes.setup import identity, paths, tracking  # the course's own rules for its folders

    home = paths.course_home(identity.learner())
    if name == "home":
        print(home)
    elif name == "tracking-uri":
        print(tracking.local_tracking_uri(home))
    elif name == "artifact-root":
        print(tracking.local_artifact_root(home))
    elif name == "work":
        print(paths.work_root(home))
    else:
        print(f"unknown setting {name!r}: home, tracking-uri, artifact-root, work, test-home or small", file=sys.stderr)
        return 2
    return 0
