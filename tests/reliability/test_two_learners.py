"""Two learners in one course folder (a class on one JupyterHub: one COURSE_HOME, a COURSE_USER each).

A tiny notebook does what the course's notebooks do with shared things: setup_course, a file in its working
folder, a tracked run with a logged model, a registered model with an alias, and a search posted to the class
leaderboard. It runs as ada and as ben at the same time, then as ada once more. Then ada resets the course.

What must hold: working folders, experiments and registered models are each learner's own (ada's second run
adds a version to her model and never touches ben's); the MLflow store and the leaderboard are shared (ben
sees ada's search and ada sees ben's); ada's reset removes exactly her part and leaves ben's intact.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "99.1 Two learners"
CELLS = [
    f"""from includes import setup_course

course = setup_course("{NOTEBOOK}")
mlflow = course.mlflow""",
    """import mlflow.pyfunc


class Constant(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return [1.0] * len(model_input)


(course.work_dir / "checkpoint.txt").write_text(course.user)
with mlflow.start_run(run_name="tiny model"):
    info = mlflow.pyfunc.log_model(name="model", python_model=Constant(), pip_requirements=["mlflow"])
MODEL_NAME = course.model_name("tiny")
version = mlflow.register_model(info.model_uri, MODEL_NAME)
mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, "champion", version.version)
print(MODEL_NAME, version.version)""",
    """from includes.lessons.hyperopt import helpers as tuning

score = {"ada": 0.5, "ben": 0.6}[course.user]
with mlflow.start_run(run_name=f"{course.user}'s search"):
    tuning.log_search_summary([{"status": "ok", "loss": score, "config": {"width": 8}}], "tiny")
print(tuning.leaderboard(one_per_person=True).to_string())""",
]
RUN_LIMIT_S = 300  # each run takes about 20 s alone; this only catches a hang


@pytest.fixture(scope="module")
def notebook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("notebook") / "two_learners.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in CELLS]), path)
    return path


def run_as(user: str, notebook: Path, home: Path, out_dir: Path) -> tuple[str, int, str, str]:
    env = {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"}
    env.update(
        COURSE_HOME=str(home),
        COURSE_USER=user,
        COURSE_SMALL_DATA="1",
        COURSE_TEST_RUN="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    out = out_dir / user
    out.mkdir(parents=True, exist_ok=True)
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            f"--ExecutePreprocessor.timeout={RUN_LIMIT_S}",
            "--ExecutePreprocessor.kernel_name=python3",
            "--output-dir",
            str(out),
            str(notebook),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S + 60,
    )
    outputs = (
        "".join(
            output.get("text", "")
            for cell in nbformat.read(out / notebook.name, 4).cells
            for output in cell.get("outputs", [])
        )
        if process.returncode == 0
        else ""
    )
    return user, process.returncode, process.stderr[-3000:], outputs


def test_two_learners_share_the_store_and_the_leaderboard_and_nothing_else(notebook, tmp_path, monkeypatch):
    import mlflow

    from includes import settings
    from includes.setup import tracking
    from includes.setup.reset import reset_course

    home = tmp_path / "class"
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:  # two learners at once, on a fresh course folder
        first = list(pool.map(lambda user: run_as(user, notebook, home, tmp_path / "first"), ["ada", "ben"]))
    again = run_as("ada", notebook, home, tmp_path / "again")  # the same learner, a second time
    failures = [f"{user} failed (exit {code}):\n{err}" for user, code, err, _ in [*first, again] if code]
    assert not failures, "\n\n".join(failures)
    print(f"three runs in {time.perf_counter() - started:.0f} s")

    # Their own: working folders, experiments, registered models.
    for user in ("ada", "ben"):
        assert (home / "work" / user / "99.1-two-learners" / "checkpoint.txt").read_text() == user
    uri = tracking.local_tracking_uri(home)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiments = {user: client.get_experiment_by_name(f"dl-course/{user}/{NOTEBOOK}") for user in ("ada", "ben")}
    runs = {user: client.search_runs([experiments[user].experiment_id]) for user in experiments}
    assert sorted(run.info.run_name for run in runs["ada"]) == [
        "ada's search",
        "ada's search",
        "tiny model",
        "tiny model",
    ]
    assert sorted(run.info.run_name for run in runs["ben"]) == ["ben's search", "tiny model"]
    models = {user: client.get_registered_model(f"dl-course-{user}-tiny") for user in ("ada", "ben")}
    assert {user: model.tags[tracking.LEARNER_TAG] for user, model in models.items()} == {"ada": "ada", "ben": "ben"}
    assert len(client.search_model_versions("name = 'dl-course-ada-tiny'")) == 2
    assert len(client.search_model_versions("name = 'dl-course-ben-tiny'")) == 1
    champion = client.get_model_version_by_alias("dl-course-ada-tiny", "champion")
    assert (
        str(champion.version) == "2"
        and client.get_run(champion.run_id).info.experiment_id == experiments["ada"].experiment_id
    ), "ada's champion is the model of her own latest run"
    assert str(client.get_model_version_by_alias("dl-course-ben-tiny", "champion").version) == "1"

    # Shared: one store (above) and one leaderboard, which each learner sees whole.
    board = client.get_experiment_by_name("dl-course/leaderboard")
    entries = client.search_runs([board.experiment_id])
    assert sorted(run.data.tags[tracking.LEARNER_TAG] for run in entries) == ["ada", "ada", "ben"]
    ada_sees = again[3]
    assert "ada" in ada_sees and "ben" in ada_sees, f"ada's leaderboard should show both learners:\n{ada_sees}"

    # Ada starts over: exactly her part goes.
    monkeypatch.setenv(settings.HOME_ENV, str(home))
    monkeypatch.setenv(settings.USER_ENV, "ada")
    removed = reset_course()
    assert f"experiment dl-course/ada/{NOTEBOOK}" in removed and "registered model dl-course-ada-tiny" in removed
    assert "2 leaderboard entries" in removed and f"folder {home / 'work' / 'ada'}" in removed
    assert not (home / "work" / "ada").exists()
    assert (home / "work" / "ben" / "99.1-two-learners" / "checkpoint.txt").read_text() == "ben"
    assert client.get_experiment_by_name(f"dl-course/ada/{NOTEBOOK}") is None
    assert len(client.search_runs([experiments["ben"].experiment_id])) == 2
    assert [model.name for model in client.search_registered_models()] == ["dl-course-ben-tiny"]
    assert [run.data.tags[tracking.LEARNER_TAG] for run in client.search_runs([board.experiment_id])] == ["ben"]
    assert (home / "mlflow" / "mlflow.db").exists(), "the class's store stays"
