"""Setup helpers: Python check, pins, folders, Spark and MLflow settings."""

import sys
from pathlib import Path

import pytest

from includes import settings
from includes.setup import environment, paths, tracking
from includes.setup.environment import CourseSetupError
from includes.setup.spark import local_spark_config


def test_wrong_python_gets_one_sentence_with_the_fix():
    with pytest.raises(
        CourseSetupError, match=r"runs Python 3\.12\.1, but the course needs Python 3\.11: run `make course`"
    ):
        environment.check_python((3, 12, 1, "final", 0))
    environment.check_python(sys.version_info)  # the test suite itself runs on the right one


def test_pins_are_read_from_course_in_and_match_the_installed_packages():
    pins = environment.pinned_versions()
    assert pins["keras"] and pins["numpy"] == "1.26.4"
    assert environment.version_mismatches() == []


def test_a_mismatch_names_the_package_and_both_versions():
    assert environment.version_mismatches({"numpy": "0.0.1"}, packages=("numpy",)) == [
        f"numpy {__import__('numpy').__version__} (course: 0.0.1)"
    ]


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_small_data_flag(monkeypatch, value, expected):
    monkeypatch.setenv(settings.SMALL_ENV, value)
    assert settings.small_data() is expected


@pytest.mark.parametrize("value", ["1", "TRUE", " yes ", "On"])
def test_one_reading_of_yes_for_every_flag(monkeypatch, value):
    monkeypatch.setenv(settings.SMALL_ENV, value)
    monkeypatch.setenv(settings.TEST_RUN_ENV, value)
    assert settings.small_data() and settings.is_test_run() and settings.resolve_small(None)


def test_work_dir_is_emptied_on_each_run(tmp_path):
    first = paths.notebook_work_dir(tmp_path, "01.2 Keras")
    (first / "old.keras").write_text("x")
    again = paths.notebook_work_dir(tmp_path, "01.2 Keras")
    assert again == first == tmp_path / "work" / "01.2-keras"
    assert list(again.iterdir()) == []


def test_course_home_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_HOME", str(tmp_path))
    assert paths.course_home("anyone") == tmp_path
    monkeypatch.delenv("COURSE_HOME")
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    assert paths.course_home("Ada@example.com") == Path("/dbfs/tmp/dl-course/ada-example.com")


def test_local_spark_is_quiet_under_tests_and_bound_to_loopback(tmp_path):
    quiet = local_spark_config("x", tmp_path, quiet=True)
    assert quiet["spark.master"] == "local[2]"
    assert quiet["spark.ui.enabled"] == "false" and quiet["spark.ui.showConsoleProgress"] == "false"
    assert quiet["spark.driver.bindAddress"] == "127.0.0.1"
    assert local_spark_config("x", tmp_path, quiet=False)["spark.ui.enabled"] == "true"


def test_tracking_uses_a_sqlite_store_in_the_course_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = tracking.configure_tracking(tmp_path)
    assert uri == f"sqlite:///{tmp_path}/mlflow/mlflow.db"
    assert tracking.experiment_name("01.2 Keras") == "dl-course/01.2 Keras"
