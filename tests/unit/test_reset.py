"""Resetting the course removes what notebooks wrote, and running again starts clean."""

import mlflow

from includes.setup import paths, tracking
from includes.setup.reset import reset_course


def test_reset_removes_work_folders_and_the_tracking_store(monkeypatch, tmp_path):
    home = tmp_path / "course"
    monkeypatch.setenv("COURSE_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    tracking.configure_tracking(home)
    experiment = tracking.use_experiment("99.3 Reset", home)
    with mlflow.start_run(experiment_id=experiment):
        mlflow.log_metric("rmse", 1.0)
    (paths.notebook_work_dir(home, "99.3 Reset") / "model.keras").write_text("x")

    removed = reset_course()
    assert removed == [f"folder {home}"] and not home.exists()
    assert not (home / "mlflow" / "mlflow.db").exists()
    assert reset_course() == []  # a second reset has nothing left to do


def test_a_shared_local_course_folder_names_everything_after_the_learner(monkeypatch, tmp_path):
    """COURSE_USER marks a course folder several learners share (a JupyterHub); without it, the short names."""
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    monkeypatch.delenv("COURSE_USER", raising=False)
    assert paths.notebook_work_dir(tmp_path, "01.2 Keras", user="ada") == tmp_path / "work" / "01.2-keras"
    assert tracking.experiment_name("01.2 Keras", "ada") == "dl-course/01.2 Keras"
    assert tracking.model_name("house-price", "ada") == "dl-course-house-price"
    assert paths.learners_own_folders(tmp_path, "ada") == [tmp_path]

    monkeypatch.setenv("COURSE_USER", "Ada L.")
    assert paths.notebook_work_dir(tmp_path, "01.2 Keras", user="Ada L.") == tmp_path / "work" / "ada-l." / "01.2-keras"
    assert tracking.experiment_name("01.2 Keras", "Ada L.") == "dl-course/ada-l./01.2 Keras"
    assert tracking.model_name("house-price", "Ada L.") == "dl-course-ada-l.-house-price"
    assert tracking.leaderboard_experiment_name() == "dl-course/leaderboard"
    assert paths.learners_own_folders(tmp_path, "Ada L.") == [tmp_path / "work" / "ada-l."]
