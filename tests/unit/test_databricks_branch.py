"""What the setup does differently on a Databricks runtime (detected by DATABRICKS_RUNTIME_VERSION).

The runtime itself is not available here; these tests pin down the choices the helpers make there.
"""

import os
import re
import warnings
from pathlib import Path

import pytest

from includes import settings
from includes.setup import environment, paths, tracking


@pytest.fixture
def on_databricks(monkeypatch):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    monkeypatch.delenv(settings.HOME_ENV, raising=False)


def test_course_folder_is_per_user_on_dbfs(on_databricks):
    assert paths.course_home("Ada.Lovelace@example.com") == Path("/dbfs/tmp/dl-course/ada.lovelace-example.com")


def test_experiments_live_under_the_users_workspace_folder(on_databricks):
    assert tracking.experiment_name("01.2 Keras", "ada@example.com") == "/Users/ada@example.com/dl-course/01.2 Keras"


def test_tracking_uses_the_workspace(on_databricks, monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "unset by this test")  # so the test's value is undone after it
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert tracking.configure_tracking(tmp_path) == "databricks"
    assert not (tmp_path / "mlflow").exists(), "no local store on Databricks"


def test_runtime_packages_are_not_compared_with_the_local_pins(on_databricks, monkeypatch):
    monkeypatch.setattr(environment, "version_mismatches", lambda: ["tensorflow 2.16.1 (course: 2.18.1)"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        environment.check_packages()


@pytest.fixture
def no_workspace(on_databricks, monkeypatch, tmp_path):
    """What setup_course would ask the workspace, answered here: the user, and no install or MLflow call."""
    from includes.setup import identity

    for variable in (
        "MLFLOW_TRACKING_URI",
        "KERAS_HOME",
        settings.USER_ENV,
        settings.UC_SCHEMA_ENV,
        settings.VOLUME_ENV,
    ):
        monkeypatch.setenv(variable, "restored after the test")
        monkeypatch.delenv(variable)
    monkeypatch.setattr(settings, "DATABRICKS_HOME_ROOT", tmp_path / "dbfs" / "tmp" / "dl-course")
    monkeypatch.setattr(identity, "workspace_user", lambda: "Ada.Lovelace@example.com")
    installs, experiments, reserved = [], [], []
    monkeypatch.setattr(environment, "install_runtime_packages", lambda: installs.append(1))
    monkeypatch.setattr(
        tracking,
        "use_experiment",
        lambda notebook, home, user: experiments.append(tracking.experiment_name(notebook, user)) or "42",
    )
    monkeypatch.setattr(tracking, "reserve_model", lambda name, user: reserved.append((name, user)) or name)
    return {"installs": installs, "experiments": experiments, "reserved": reserved}


def test_setup_course_names_everything_after_the_workspace_user(no_workspace, monkeypatch, tmp_path):
    """setup_course itself, down the Databricks branch: the install step runs first, the learner is resolved,
    and the folder, working folder, experiment, model names (both registries) and the leaderboard follow."""
    import os

    from includes.setup import course as course_module

    course = course_module.setup_course("02.1 MLflow", quiet=True)
    own_home = tmp_path / "dbfs" / "tmp" / "dl-course" / "ada.lovelace-example.com"
    assert no_workspace["installs"] == [1]
    assert course.on_databricks and course.user == "Ada.Lovelace@example.com"
    assert course.home == own_home and course.work_dir == own_home / "work" / "02.1-mlflow"
    assert course.work_dir.is_dir()
    assert os.environ["MLFLOW_TRACKING_URI"] == "databricks"
    assert os.environ["KERAS_HOME"] == str(own_home / "keras")

    assert course.experiment_id == "42"
    assert no_workspace["experiments"] == ["/Users/Ada.Lovelace@example.com/dl-course/02.1 MLflow"]
    assert course.experiment_name() == "/Users/Ada.Lovelace@example.com/dl-course/02.1 MLflow"
    assert course.experiment_name("04.2 Horovod") == "/Users/Ada.Lovelace@example.com/dl-course/04.2 Horovod"

    monkeypatch.setattr(tracking, "registry_is_unity_catalog", lambda: False)
    assert course.model_name("house-price") == "dl-course-ada.lovelace-example.com-house-price"
    monkeypatch.setattr(tracking, "registry_is_unity_catalog", lambda: True)
    with pytest.raises(environment.CourseSetupError, match="COURSE_UC_SCHEMA=<catalog>.<schema>"):
        course.model_name("house-price")
    monkeypatch.setenv(settings.UC_SCHEMA_ENV, "main.dl_course")
    assert course.model_name("lab-house-price") == "main.dl_course.dl_course_ada_lovelace_example_com_lab_house_price"
    assert [user for _, user in no_workspace["reserved"]] == ["Ada.Lovelace@example.com"] * 2
    assert tracking.leaderboard_experiment_name() == "/Shared/dl-course/leaderboard"

    from includes.setup import identity

    monkeypatch.setattr(identity, "workspace_user", lambda: "grace@example.com")
    other = course_module.setup_course("02.1 MLflow", quiet=True)
    assert other.home != course.home and course.work_dir.is_dir(), "a second learner empties only their own folder"
    assert other.model_name("house-price") == "main.dl_course.dl_course_grace_example_com_house_price"


def test_setup_course_keeps_everything_in_the_configured_volume(no_workspace, monkeypatch, tmp_path):
    """With COURSE_VOLUME set, setup_course makes the learner's home in the volume (through its FUSE mount, here
    a temporary folder), and every URI handed to Spark names the volume as Spark does: dbfs:/Volumes/..."""
    from includes.setup import course as course_module

    monkeypatch.setattr(paths, "VOLUMES_MOUNT", str(tmp_path / "Volumes"))
    monkeypatch.setattr(paths, "DBFS_MOUNT", str(tmp_path / "dbfs"))
    monkeypatch.setenv(settings.VOLUME_ENV, "main.dl_course.files")
    with pytest.raises(environment.CourseSetupError, match="main.dl_course.files, but .* is not there for you"):
        course_module.setup_course("06.2 Distributed inference", quiet=True)  # the volume is not created yet

    (tmp_path / "Volumes" / "main" / "dl_course" / "files").mkdir(parents=True)
    course = course_module.setup_course("06.2 Distributed inference", quiet=True)
    own_home = tmp_path / "Volumes" / "main" / "dl_course" / "files" / "dl-course" / "ada.lovelace-example.com"
    assert course.home == own_home and course.work_dir == own_home / "work" / "06.2-distributed-inference"
    assert course.work_dir.is_dir() and os.environ["KERAS_HOME"] == str(own_home / "keras")
    spark_home = "dbfs:/Volumes/main/dl_course/files/dl-course/ada.lovelace-example.com"
    assert (
        course.spark_uri(course.work_dir / "model.keras") == f"{spark_home}/work/06.2-distributed-inference/model.keras"
    )
    assert course.spark_uri(course.work_dir, petastorm=True) == course.work_dir.as_uri()
    assert not (tmp_path / "dbfs").exists(), "nothing goes to DBFS when a volume is configured"

    cache = tmp_path / "driver-cache"
    (cache / "images_small" / "validation" / "cats").mkdir(parents=True)
    (cache / "images_small" / "validation" / "cats" / "cats.0.jpg").write_bytes(b"jpeg")
    monkeypatch.setenv(settings.CACHE_ENV, str(cache))
    staged_uri = course.stage_for_spark(cache / "images_small" / "validation")
    assert staged_uri == f"{spark_home}/data/images_small/validation"
    assert (own_home / "data" / "images_small" / "validation" / "cats" / "cats.0.jpg").read_bytes() == b"jpeg"


def test_a_shared_course_home_on_a_cluster_gets_a_folder_per_learner(no_workspace, monkeypatch, tmp_path):
    from includes.setup import course as course_module

    monkeypatch.setenv(settings.HOME_ENV, str(tmp_path / "class"))
    course = course_module.setup_course("01.2 Keras", quiet=True)
    assert course.home == tmp_path / "class"
    assert course.work_dir == tmp_path / "class" / "work" / "ada.lovelace-example.com" / "01.2-keras"


def test_experiments_get_their_workspace_folder_first(on_databricks, monkeypatch):
    import mlflow

    calls = []
    monkeypatch.setattr(mlflow, "get_experiment_by_name", lambda name: None)
    monkeypatch.setattr(tracking, "make_workspace_folder", lambda path: calls.append(("mkdirs", path)))
    monkeypatch.setattr(
        mlflow, "create_experiment", lambda name, artifact_location=None: calls.append(("create", name)) or "7"
    )
    assert tracking.get_or_create_experiment("/Users/ada@example.com/dl-course/01.2 Keras") == "7"
    assert calls == [
        ("mkdirs", "/Users/ada@example.com/dl-course"),
        ("create", "/Users/ada@example.com/dl-course/01.2 Keras"),
    ]


def test_model_names_are_valid_in_both_registries(on_databricks, monkeypatch):
    monkeypatch.setenv(settings.UC_SCHEMA_ENV, "Main.Class_2026")
    uc = tracking.model_name("house-price", "Jean-Luc O'Neil@example.com", unity_catalog=True)
    catalog, schema, name = uc.split(".")
    assert (catalog, schema) == ("Main", "Class_2026")
    assert re.fullmatch(r"[a-z0-9_]+", name) and name == "dl_course_jean_luc_o_neil_example_com_house_price"
    assert (
        tracking.model_name("house-price", "ada@example.com", unity_catalog=False)
        == "dl-course-ada-example.com-house-price"
    )
    assert tracking.model_name_prefix("ada@example.com", unity_catalog=False) == "dl-course-ada-example.com-"
    monkeypatch.setenv(settings.UC_SCHEMA_ENV, "only_a_catalog")
    with pytest.raises(ValueError, match="<catalog>.<schema>"):
        tracking.model_name("house-price", "ada@example.com", unity_catalog=True)


class FakeWorkspaceMlflow:
    """The calls reset_course makes, on a workspace holding two learners' experiments, models and entries."""

    def __init__(self):
        from types import SimpleNamespace as Thing

        self.Thing = Thing
        self.experiments = {
            "1": "/Users/ada@example.com/dl-course/02.1 MLflow",
            "2": "/Users/ada.b@example.com/dl-course/02.1 MLflow",
            "3": "/Users/adaXb@example.com/dl-course/02.1 MLflow",
            "9": "/Shared/dl-course/leaderboard",
        }
        self.models = {
            "dl-course-ada-example.com-house-price": "ada@example.com",
            "dl-course-ada-example.com-lab-house-price": "ada@example.com",
            "dl-course-ada-example.com-b-house-price": "ada-example.com-b",  # someone else's
            "dl-course-grace-example.com-house-price": "grace@example.com",
        }
        self.runs = {"r1": "ada@example.com", "r2": "grace@example.com"}

    def search_experiments(self, filter_string):
        pattern = re.fullmatch(r"name LIKE '(.*)'", filter_string).group(1)
        regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
        return [self.Thing(experiment_id=k, name=v) for k, v in self.experiments.items() if re.fullmatch(regex, v)]

    def rename_experiment(self, experiment_id, name):
        self.experiments[experiment_id] = name

    def delete_experiment(self, experiment_id):
        del self.experiments[experiment_id]

    def search_registered_models(self, filter_string=None, page_token=None):
        prefix = re.fullmatch(r"name LIKE '(.*)%'", filter_string).group(1)
        return [self.Thing(name=name) for name in self.models if name.startswith(prefix)]

    def get_registered_model(self, name):
        return self.Thing(name=name, tags={tracking.LEARNER_TAG: self.models[name]})

    def delete_registered_model(self, name):
        del self.models[name]

    def get_experiment_by_name(self, name):
        found = [k for k, v in self.experiments.items() if v == name]
        return self.Thing(experiment_id=found[0]) if found else None

    def search_runs(self, experiment_ids, filter_string):
        user = re.search(r"= '(.*)'", filter_string).group(1)
        return [self.Thing(info=self.Thing(run_id=run)) for run, who in self.runs.items() if who == user]

    def delete_run(self, run_id):
        del self.runs[run_id]


def test_reset_on_databricks_removes_exactly_the_learners_own(on_databricks, monkeypatch, tmp_path, capsys):
    import mlflow

    from includes.setup import reset

    workspace = FakeWorkspaceMlflow()
    monkeypatch.setattr(mlflow, "MlflowClient", lambda *args, **kwargs: workspace)
    monkeypatch.setattr(reset, "registry_is_unity_catalog", lambda: False)
    monkeypatch.setattr(settings, "DATABRICKS_HOME_ROOT", tmp_path)
    (tmp_path / "ada-example.com" / "work").mkdir(parents=True)
    (tmp_path / "grace-example.com" / "work").mkdir(parents=True)

    removed = reset.reset_course("ada@example.com")
    assert sorted(workspace.experiments.values()) == [
        "/Shared/dl-course/leaderboard",
        "/Users/ada.b@example.com/dl-course/02.1 MLflow",
        "/Users/adaXb@example.com/dl-course/02.1 MLflow",
    ]
    assert sorted(workspace.models) == [
        "dl-course-ada-example.com-b-house-price",
        "dl-course-grace-example.com-house-price",
    ]
    assert workspace.runs == {"r2": "grace@example.com"}
    assert not (tmp_path / "ada-example.com").exists() and (tmp_path / "grace-example.com").is_dir()
    assert "experiment /Users/ada@example.com/dl-course/02.1 MLflow" in removed
    assert "1 leaderboard entry" in removed


def test_install_step_runs_pip_once_then_restarts(on_databricks, monkeypatch, tmp_path, capsys):
    from types import SimpleNamespace as Thing

    requirements = tmp_path / "databricks-15.4.txt"
    requirements.write_text("surely-not-installed-package==1.0\n")
    monkeypatch.setattr(environment, "install_stamp", lambda path: tmp_path / "installed.stamp")
    monkeypatch.setattr(environment, "REPO_ROOT", tmp_path)
    magics, restarts = [], []
    dbutils = Thing(library=Thing(restartPython=lambda: restarts.append(1)))
    ipython = Thing(run_line_magic=lambda name, line: magics.append((name, line)), user_ns={"dbutils": dbutils})

    with pytest.raises(environment.CourseSetupError, match="run this cell again"):
        environment.install_runtime_packages(requirements, ipython=ipython)
    assert magics == [("pip", f"install --quiet --disable-pip-version-check -r '{requirements}'")]
    assert restarts == [1]
    told = capsys.readouterr().out
    assert "installed the packages this runtime lacks (databricks-15.4.txt)" in told and told.count(". ") == 0

    assert environment.install_runtime_packages(requirements, ipython=ipython) is False  # the stamp: skipped
    assert len(magics) == 1 and len(restarts) == 1


def test_install_step_skips_what_is_already_there_and_runs_only_on_databricks(monkeypatch, tmp_path):
    from importlib import metadata

    requirements = tmp_path / "databricks-17.3.txt"
    requirements.write_text(f"pytest=={metadata.version('pytest')}\n")  # present at its pinned version
    monkeypatch.setattr(environment, "install_stamp", lambda path: tmp_path / "installed.stamp")
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert environment.install_runtime_packages(requirements, ipython=object()) is False
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    assert environment.install_runtime_packages(requirements, ipython=object()) is False


@pytest.mark.parametrize(
    "runtime, expected",
    [
        ("15.4", "15.4"),
        ("16.4", "15.4"),
        ("17.3", "17.3"),
        ("18.0", "17.3"),
        ("14.3", "15.4"),
        ("17.3.x-cpu-ml-scala2.13", "17.3"),
    ],
)
def test_each_runtime_gets_its_requirements_file(runtime, expected):
    path = environment.runtime_requirements(environment.runtime_version(runtime))
    assert path.name == f"databricks-{expected}.txt" and path.exists()


def test_the_requirements_files_pin_what_each_runtime_lacks():
    pins_15 = environment.pinned_versions(environment.runtime_requirements((15, 4)))
    pins_17 = environment.pinned_versions(environment.runtime_requirements((17, 3)))
    local = environment.pinned_versions()
    assert pins_15["mlflow"].startswith("3.") and "hyperopt" not in pins_15 and "horovod" not in pins_15
    assert {"mlflow", "hyperopt", "optuna"} <= set(pins_17) and "horovod" not in pins_17
    for name, version in {**pins_15, **pins_17}.items():
        assert local[name] == version, f"{name}: the Databricks pin should be the version the course tests"


def test_the_runtimes_python_is_not_refused(on_databricks):
    environment.check_python((3, 12, 3))  # 17.3 LTS runs Python 3.12


def test_without_horovod_on_17_3_the_notebook_says_so_and_points_to_04_3(on_databricks, monkeypatch):
    import importlib.util

    from includes.lessons.distributed.helpers import require_horovod

    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "horovod" else real_find_spec(name, *a)
    )
    with pytest.raises(environment.CourseSetupError) as stopped:
        require_horovod()
    assert "04.3" in str(stopped.value) and str(stopped.value).count(". ") == 0


class FakeSpark:
    def __init__(self, master="spark://driver:7077", profile="", executors=3):
        from types import SimpleNamespace as Thing

        status = Thing(size=lambda: executors)
        self.sparkContext = Thing(
            master=master,
            getConf=lambda: Thing(
                get=lambda key, default="": profile if key == "spark.databricks.cluster.profile" else default
            ),
            _jsc=Thing(sc=lambda: Thing(getExecutorMemoryStatus=lambda: status)),
        )


@pytest.mark.parametrize(
    "spark, processes, np",
    [
        (FakeSpark(profile="singleNode", master="local[*, 4]", executors=1), 2, -2),  # a single-node class cluster
        (FakeSpark(master="local[4]", executors=1), 2, -2),
        (FakeSpark(executors=3), 2, 2),  # the driver and two workers
        (FakeSpark(executors=1), 4, -4),  # a standard cluster whose workers are all gone
    ],
)
def test_horovod_runner_np_is_negative_without_workers(spark, processes, np):
    assert environment.horovod_runner_np(processes, environment.cluster_workers(spark)) == np


def test_horovod_runner_needs_a_process():
    with pytest.raises(ValueError):
        environment.horovod_runner_np(0, 2)


def test_course_user_overrides_the_detected_learner(monkeypatch):
    from includes.setup import identity

    monkeypatch.setenv(settings.USER_ENV, "learner-07")
    assert identity.learner() == "learner-07"
    monkeypatch.delenv(settings.USER_ENV)
    assert identity.learner()  # the operating-system user locally
