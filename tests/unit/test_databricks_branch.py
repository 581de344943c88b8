"""What the setup does differently on a Databricks runtime (detected by DATABRICKS_RUNTIME_VERSION).

The runtime itself is not available here; these tests pin down the choices the helpers make there.
"""
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


def test_setup_course_names_everything_after_the_workspace_user(on_databricks, monkeypatch, tmp_path):
    """setup_course itself, down the Databricks branch: the learner is resolved first, and the folder,
    the working folder and the experiment are that learner's; reset_course finds the same folder."""
    from includes.setup import course as course_module
    from includes.setup import identity
    from includes.setup.reset import reset_course

    for variable in ("MLFLOW_TRACKING_URI", "KERAS_HOME", settings.USER_ENV):
        monkeypatch.setenv(variable, "restored after the test")
        monkeypatch.delenv(variable)
    monkeypatch.setattr(settings, "DATABRICKS_HOME_ROOT", tmp_path / "dbfs" / "tmp" / "dl-course")
    monkeypatch.setattr(identity, "workspace_user", lambda: "Ada.Lovelace@example.com")

    course = course_module.setup_course("01.2 Keras", quiet=True)
    own_home = tmp_path / "dbfs" / "tmp" / "dl-course" / "ada.lovelace-example.com"
    assert course.on_databricks and course.user == "Ada.Lovelace@example.com"
    assert course.home == own_home and course.work_dir == own_home / "work" / "01.2-keras"
    assert course.work_dir.is_dir()
    assert tracking.experiment_name(course.notebook, course.user) == \
        "/Users/Ada.Lovelace@example.com/dl-course/01.2 Keras"
    assert __import__("os").environ["MLFLOW_TRACKING_URI"] == "databricks"
    assert __import__("os").environ["KERAS_HOME"] == str(own_home / "keras")

    monkeypatch.setattr(identity, "workspace_user", lambda: "grace@example.com")
    other = course_module.setup_course("01.2 Keras", quiet=True)
    assert other.home != course.home and course.work_dir.is_dir(), "a second learner empties only their own folder"


def test_course_user_overrides_the_detected_learner(monkeypatch):
    from includes.setup import identity

    monkeypatch.setenv(settings.USER_ENV, "learner-07")
    assert identity.learner() == "learner-07"
    monkeypatch.delenv(settings.USER_ENV)
    assert identity.learner()  # the operating-system user locally
