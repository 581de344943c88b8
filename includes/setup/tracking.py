"""MLflow tracking: a real SQLite store locally, the workspace's MLflow on Databricks."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .. import settings
from .environment import CourseSetupError, on_databricks
from .paths import home_is_shared, slugify


def local_store(home: Path) -> Path:
    """The folder of the local MLflow store: its SQLite database and its artifacts."""
    return home / "mlflow"


def local_tracking_uri(home: Path) -> str:
    return "sqlite:///" + str(local_store(home) / "mlflow.db")


def local_artifact_root(home: Path) -> str:
    """Where runs' artifacts go (each notebook's experiment has a subfolder)."""
    return (local_store(home) / "artifacts").as_uri()


def configure_tracking(home: Path) -> str:
    """Point MLflow at the course's store through the environment.

    Setting the variable (not just calling ``mlflow.set_tracking_uri``) matters:
    Spark's Python workers inherit the environment, so code running inside
    Spark tasks (Hyperopt trials, Horovod workers) logs to the same store.
    """
    if on_databricks():
        os.environ.setdefault("MLFLOW_TRACKING_URI", "databricks")
    else:
        local_store(home).mkdir(parents=True, exist_ok=True)
        os.environ["MLFLOW_TRACKING_URI"] = local_tracking_uri(home)
    return os.environ["MLFLOW_TRACKING_URI"]


COURSE_FOLDER = "dl-course"
LEADERBOARD = "leaderboard"
LEARNER_TAG = "dl_course.learner"  # on registered models and leaderboard entries: whose they are
SHARED_LEADERBOARD = f"/Shared/{COURSE_FOLDER}/{LEADERBOARD}"  # on Databricks, every learner's


def _namespaced(user: str | None) -> bool:
    """Whether names must carry the learner: on Databricks (one workspace, one registry for the class) and in
    a shared local home; never for the single learner on a laptop (see ``paths.home_is_shared``)."""
    return user is not None and (on_databricks() or home_is_shared())


def experiment_folder(user: str | None = None) -> str:
    """The folder of the learner's experiments, ending with a slash: ``/Users/<user>/dl-course/`` on
    Databricks, ``dl-course/<user>/`` in a shared local store, ``dl-course/`` for the single learner."""
    if on_databricks():
        return f"/Users/{user}/{COURSE_FOLDER}/"
    if _namespaced(user):
        return f"{COURSE_FOLDER}/{slugify(user)}/"
    return f"{COURSE_FOLDER}/"


def experiment_name(notebook: str, user: str | None = None) -> str:
    """One experiment per notebook and learner (see ``experiment_folder``)."""
    return experiment_folder(user) + notebook


def leaderboard_experiment_name() -> str:
    """The class's one shared experiment that every learner's searches are posted to."""
    return SHARED_LEADERBOARD if on_databricks() else f"{COURSE_FOLDER}/{LEADERBOARD}"


def leaderboard_artifact_location() -> str | None:
    """Where the local store keeps the leaderboard's artifacts (it has none, but MLflow asks); None elsewhere."""
    uri = os.environ.get("MLFLOW_TRACKING_URI", "")
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts" / LEADERBOARD).as_uri()


def local_artifact_dir(home: Path, notebook: str, user: str | None = None) -> str:
    """Where a notebook's runs keep their artifacts in the local store (per learner when the store is shared)."""
    folder = f"{slugify(user)}/{slugify(notebook)}" if _namespaced(user) else slugify(notebook)
    return f"{local_artifact_root(home)}/{folder}"


def make_workspace_folder(path: str) -> None:
    """Create a workspace folder and its parents (Databricks refuses an experiment whose folder is missing).

    databricks-sdk ships with every Databricks runtime and authenticates itself inside a notebook.
    """
    from databricks.sdk import WorkspaceClient

    WorkspaceClient().workspace.mkdirs(path)


def get_or_create_experiment(name: str, artifact_location: str | None = None) -> str:
    """The id of the experiment called ``name``, created (with its workspace folder on Databricks) if missing."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    if on_databricks():
        make_workspace_folder(name.rsplit("/", 1)[0])
    try:
        return mlflow.create_experiment(name, artifact_location=artifact_location)
    except mlflow.exceptions.MlflowException:
        # Another kernel created it a moment ago (two notebooks started together); if not, this raises.
        found = mlflow.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def open_local_store(home: Path) -> None:
    """Create (or upgrade) the local store's tables, one process at a time.

    Two kernels that open a new store at the same moment (two notebooks started together, or two learners
    on a shared course folder) would otherwise both run MLflow's table migrations, and one of them fails
    ("table ... already exists"). A lock file next to the database makes the second wait for the first; for
    an existing store this costs one query.
    """
    import fcntl

    import mlflow

    local_store(home).mkdir(parents=True, exist_ok=True)
    with open(local_store(home) / ".opening.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        mlflow.MlflowClient(tracking_uri=local_tracking_uri(home)).search_experiments(max_results=1)


def use_experiment(notebook: str, home: Path, user: str | None = None) -> str:
    """Create (first run) or reuse (every later run) the notebook's experiment, and select it."""
    import mlflow

    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    if not on_databricks():
        open_local_store(home)
    artifact_location = None if on_databricks() else local_artifact_dir(home, notebook, user)
    experiment_id = get_or_create_experiment(experiment_name(notebook, user), artifact_location)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


# --- registered model names ------------------------------------------------------------------------------
def registry_is_unity_catalog() -> bool:
    """True when models are registered in Unity Catalog (MLflow 3 on Databricks, unless the cluster says
    otherwise), where a model's name has three parts: ``catalog.schema.model``."""
    import mlflow

    return (mlflow.get_registry_uri() or "").startswith("databricks-uc")


def uc_identifier(text: str) -> str:
    """Text as one Unity Catalog name part: lower case letters, digits and underscores only (no quoting needed)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "model"


def model_name(base: str, user: str | None = None, unity_catalog: bool | None = None) -> str:
    """The registry name of one of the course's models (``base``, e.g. ``"house-price"``) for ``user``.

    - laptop, one learner: ``dl-course-house-price``;
    - Databricks workspace registry, or a shared local store: ``dl-course-<user>-house-price``;
    - Unity Catalog: ``<catalog>.<schema>.dl_course_<user>_house_price``, in the schema ``COURSE_UC_SCHEMA`` names.
    """
    if unity_catalog is None:
        unity_catalog = on_databricks() and registry_is_unity_catalog()
    if unity_catalog:
        where = settings.uc_schema()
        if where is None:
            raise CourseSetupError(
                f"This workspace registers models in Unity Catalog, so the course needs a schema for them: ask "
                f"your instructor to set {settings.UC_SCHEMA_ENV}=<catalog>.<schema> on the cluster "
                "(README, On Databricks)."
            )
        return ".".join([*where, uc_identifier(f"{COURSE_FOLDER}_{user}_{base}")])
    if _namespaced(user):
        return f"{COURSE_FOLDER}-{slugify(user)}-{slugify(base)}"
    return f"{COURSE_FOLDER}-{slugify(base)}"


def model_name_prefix(user: str | None = None, unity_catalog: bool | None = None) -> str:
    """What every one of the learner's model names starts with (``model_name`` of an empty base)."""
    marker = "base0marker"
    return model_name(marker, user, unity_catalog).split(marker)[0]


def registered_models(client, prefix: str, unity_catalog: bool = False) -> list:
    """Every registered model whose name starts with ``prefix``, read page by page.

    Unity Catalog's registry takes no filter, so there the names are compared here.
    """
    like = None if unity_catalog else "name LIKE '" + prefix.replace("'", "''") + "%'"
    found, token = [], None
    while True:
        page = (
            client.search_registered_models(filter_string=like, page_token=token)
            if like
            else client.search_registered_models(page_token=token)
        )
        found += [model for model in page if model.name.startswith(prefix)]
        token = getattr(page, "token", None)
        if not token:
            return found


def reserve_model(name: str, user: str) -> str:
    """Create the registered model ``name`` (if missing), tagged with its learner, and return the name.

    The tag is what ``reset_course`` goes by, so it deletes exactly the learner's own models, even when
    another learner's name happens to start the same way.
    """
    import mlflow

    client = mlflow.MlflowClient()
    try:
        existing = client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:  # not registered yet
        existing = None
    if existing is None:
        try:
            client.create_registered_model(name, tags={LEARNER_TAG: user})
        except mlflow.exceptions.MlflowException:
            pass  # the learner's other notebook created it a moment ago
    elif LEARNER_TAG not in (existing.tags or {}):
        client.set_registered_model_tag(name, LEARNER_TAG, user)  # made before names were tagged
    return name


def model_requirements(packages=("tensorflow-cpu", "tensorflow", "keras", "numpy", "pandas")) -> list[str]:
    """Pinned pip requirements for a logged Keras model, read from the installed packages.

    Naming them saves MLflow from discovering them itself, which means loading
    the model in a separate Python process each time a model is logged.
    """
    from importlib import metadata

    found = []
    for name in packages:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return found
