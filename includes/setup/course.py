"""The one setup call at the top of every notebook.

    from includes import setup_course
    course = setup_course("01.2 Keras")

It checks the Python version, quiets TensorFlow and Spark, fixes the random
seeds, gives the notebook an empty working folder, points MLflow at the
course's store, and knows whether the small-data flag is on. Spark and MLflow
start only when a notebook first asks for them (``course.spark``,
``course.mlflow``), so notebooks that do not need them do not pay for them.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .. import settings
from ..labs.display import show_lab_errors_plainly
from . import environment, identity, paths, tracking

DEFAULT_SEED = 42


@dataclass
class Course:
    """What a notebook needs to know about where and how it runs."""

    notebook: str
    user: str
    home: Path
    work_dir: Path
    small: bool
    seed: int = DEFAULT_SEED
    on_databricks: bool = False
    _spark: object = field(default=None, repr=False)
    _experiment_id: str | None = field(default=None, repr=False)

    # --- the small-data flag, without `if SMALL:` in the lessons -------------
    def epochs(self, full: int, small: int = 2) -> int:
        """How many epochs to train: the lesson's number, or a couple when small."""
        return small if self.small else full

    def pick(self, full, small):
        """Choose between the full-course value and the small-data value."""
        return small if self.small else full

    # --- services started on first use ------------------------------------
    @property
    def spark(self):
        """The SparkSession (started on first use, then kept for the kernel)."""
        if self._spark is None:
            from .spark import start_spark

            self._spark = start_spark(f"dl-course {self.notebook}", self.home)
        return self._spark

    def spark_uri(self, path, petastorm: bool = False) -> str:
        """``path`` with an explicit scheme, as Spark (or, with ``petastorm=True``, Petastorm's reader) needs it.

        Locally ``file:///...``; on Databricks ``dbfs:/...`` for Spark and ``file:///dbfs/...`` for Petastorm
        (see ``paths.spark_uri``). A path without a scheme would resolve against the cluster's default
        filesystem, not against this folder.
        """
        return paths.file_uri(path) if petastorm else paths.spark_uri(path)

    def stage_for_spark(self, path) -> str:
        """The Spark URI of a file or folder from ``includes.data``, one that every executor can read.

        The data cache is on the driver's own disk. On Databricks the data is copied once into this learner's
        course home (a volume or DBFS, mounted on every node) and Spark gets that copy's ``dbfs:/`` URI;
        locally Spark gets the cache's own ``file:`` URI (see ``paths.stage_for_spark``).
        """
        return paths.stage_for_spark(path, self.home)

    @property
    def mlflow(self):
        """The ``mlflow`` module, with this notebook's experiment selected."""
        import mlflow

        if self._experiment_id is None:
            self._experiment_id = tracking.use_experiment(self.notebook, self.home, self.user)
            quiet_loggers()  # importing mlflow resets its logger's level
        return mlflow

    @property
    def experiment_id(self) -> str:
        self.mlflow  # noqa: B018 - selects (and creates) the experiment
        return self._experiment_id

    # --- names the learner shares a workspace with ------------------------------------------------------
    def experiment_name(self, notebook: str | None = None) -> str:
        """The MLflow experiment of this notebook, or of another notebook of the course (by its setup name),
        for this learner: ``dl-course/04.2 Horovod`` on a laptop, ``/Users/<you>/dl-course/04.2 Horovod`` on
        Databricks."""
        return tracking.experiment_name(notebook or self.notebook, self.user)

    def model_name(self, base: str) -> str:
        """The learner's own registry name for one of the course's models, e.g. ``model_name("house-price")``:
        ``dl-course-house-price`` on a laptop, ``dl-course-<you>-house-price`` where a class shares the registry,
        ``<catalog>.<schema>.dl_course_<you>_house_price`` in Unity Catalog. The name is reserved in the
        registry and tagged with you, so ``reset_course()`` removes exactly your models."""
        self.mlflow  # noqa: B018 - the registry is the one this notebook's MLflow uses
        return tracking.reserve_model(tracking.model_name(base, self.user), self.user)

    def horovod_np(self, processes: int) -> int:
        """HorovodRunner's ``np`` for ``processes`` processes on this cluster (negative on a single node)."""
        return environment.horovod_runner_np(processes, environment.cluster_workers(self.spark))

    def describe(self) -> str:
        flag = "ON (quick run)" if self.small else "off (full course)"
        where = "Databricks" if self.on_databricks else "local"
        return (
            f"{self.notebook} | {where} | small data {flag} | seed {self.seed}\n"
            f"working folder: {self.work_dir}\n"
            f"MLflow store:   {os.environ.get('MLFLOW_TRACKING_URI')}"
        )


NOISY_LOGGERS = ("py4j", "pyspark", "mlflow", "absl", "tensorflow", "alembic", "petastorm", "hyperopt")


def quiet_loggers() -> None:
    """Only errors from the libraries' loggers (call again after importing one that resets its level)."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _use_this_environment_for_tools() -> None:
    """Put this kernel's bin folder first on PATH, so tools started from a notebook
    (the MLflow model server, horovodrun, tensorboard) come from the course's environment."""
    bin_dir = os.path.dirname(sys.executable)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def set_variables_read_at_import(home: Path) -> None:
    """Variables TensorFlow, Keras, GitPython and MLflow read once, when first imported: set (unless the
    learner set them) before any of them is. Keras keeps its downloads in the course folder."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ log: errors only
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("KERAS_HOME", str(home / "keras"))


def _quiet_logs() -> None:
    """Keep notebook output about the lesson, not about the libraries' internals."""
    quiet_loggers()
    warnings.filterwarnings("ignore", message=".*np.find_common_type.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="google.protobuf")
    # Petastorm 0.13 still calls pyarrow's legacy APIs; the course pins a pyarrow that has them.
    for category in (FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category, module=r"petastorm(\..*)?")
    # MLflow imports tqdm.auto, which asks for ipywidgets; its plain-text progress bars are fine.
    warnings.filterwarnings("ignore", message="IProgress not found")
    # MLflow suggests type hints on every PythonModel.predict; the course's wrappers use signatures.
    warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method.*")
    # Keras 3 warns on every `fit` with a tf.data.Dataset that its default `shuffle=True` is ignored; the
    # course's pipelines shuffle inside tf.data (after `cache()`), so the warning would only confuse.
    warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")


def setup_course(notebook: str, seed: int = DEFAULT_SEED, clean: bool = True, quiet: bool = False) -> Course:
    """Prepare the kernel for one notebook of the course and return its ``Course``."""
    environment.check_python()
    show_lab_errors_plainly()  # a blank or a failed check reads as its sentence, not as a traceback
    _quiet_logs()
    _use_this_environment_for_tools()
    environment.install_runtime_packages()  # Databricks only, once: what the runtime lacks, then a restart
    user = identity.learner()  # first: every folder and name below is the learner's own
    home = paths.make_home(paths.course_home(user))  # a volume's folder, DBFS or a local folder
    set_variables_read_at_import(home)
    tracking.configure_tracking(home)
    environment.check_packages()

    import keras

    keras.utils.set_random_seed(seed)
    course = Course(
        notebook=notebook,
        user=user,
        home=home,
        work_dir=paths.notebook_work_dir(home, notebook, clean=clean, user=user),
        small=settings.small_data(),
        seed=seed,
        on_databricks=environment.on_databricks(),
    )
    if not quiet:
        print(course.describe())
    return course
