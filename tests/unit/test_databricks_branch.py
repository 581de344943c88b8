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
