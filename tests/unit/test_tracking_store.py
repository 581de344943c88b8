"""A real MLflow SQLite store: experiments are created once and reused on re-runs."""

import mlflow

from includes.setup import tracking


def test_experiment_is_created_then_reused_with_artifacts_in_the_course_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    tracking.configure_tracking(tmp_path)
    first = tracking.use_experiment("99.9 Test", tmp_path)
    second = tracking.use_experiment("99.9 Test", tmp_path)
    assert first == second
    with mlflow.start_run(experiment_id=first) as run:
        mlflow.log_metric("rmse", 0.5)
        mlflow.log_text("hello", "note.txt")
    assert (tmp_path / "mlflow" / "mlflow.db").exists()
    assert str(tmp_path / "mlflow" / "artifacts") in run.info.artifact_uri
