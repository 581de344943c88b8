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
