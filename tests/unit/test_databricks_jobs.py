"""scripts/databricks_jobs.py: the job that runs every notebook on a workspace, checked against the SDK's own types."""

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from databricks.sdk.service import compute, jobs

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = "/Workspace/Users/ada@example.com/dl-course"


def load_script():
    spec = importlib.util.spec_from_file_location("databricks_jobs", ROOT / "scripts" / "databricks_jobs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["databricks_jobs"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return load_script()


def repo_notebook(notebook_path: str) -> Path:
    return ROOT / (notebook_path.removeprefix(WORKSPACE + "/") + ".ipynb")


@pytest.mark.parametrize("runtime", ["15.4", "17.3"])
def test_the_job_round_trips_through_the_sdks_types(script, runtime):
    settings = script.build_job(WORKSPACE, runtime=runtime)
    as_json = json.loads(json.dumps(settings.as_dict()))
    again = jobs.JobSettings.from_dict(as_json)
    assert again.as_dict() == settings.as_dict()  # nothing the SDK does not know, nothing lost
    assert jobs.JobSettings.from_dict(again.as_dict()) == again
    assert all(isinstance(task, jobs.Task) for task in again.tasks)
    assert isinstance(again.job_clusters[0].new_cluster, compute.ClusterSpec)


def test_tasks_are_every_notebook_in_course_order(script):
    settings = script.build_job(WORKSPACE, runtime="15.4")
    keys = [task.task_key for task in settings.tasks]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,100}", key) for key in keys)
    for earlier, task in zip(settings.tasks, settings.tasks[1:]):
        assert [dependency.task_key for dependency in task.depends_on] == [earlier.task_key]
        assert task.run_if == jobs.RunIf.ALL_DONE  # one failing notebook does not hide the rest
    assert settings.tasks[0].depends_on is None
    paths = [repo_notebook(task.notebook_task.notebook_path) for task in settings.tasks]
    assert all(path.exists() for path in paths), [path for path in paths if not path.exists()]
    assert all(path.parent.name == "solutions" or "L_" not in path.name for path in paths), "no student lab"
    names = [path.stem for path in paths]
    assert names[:2] == ["00.1_introduction", "00.1L_introduction_lab"]
    in_order = ["01.0_fundamentals", "01.0L_fundamentals_lab", "01.1_linear_regression", "01.2_keras"]
    assert [names.index(name) for name in in_order] == sorted(names.index(name) for name in in_order)
    assert names.index("02.1_mlflow") < names.index("02.1L_mlflow_lab") < names.index("03.1_hyperopt")
    assert names[-1].startswith("A.")
    every = {
        path.stem
        for path in (ROOT / "notebooks").rglob("*.ipynb")
        if path.parent.name == "solutions" or not re.match(r"\d+\.\d+L_", path.name)
    }
    assert set(names) == every


def test_runtimes_without_horovod_leave_its_notebooks_out(script):
    with_horovod = [task.task_key for task in script.build_job(WORKSPACE, runtime="15.4").tasks]
    without = script.build_job(WORKSPACE, runtime="17.3")
    assert {"04_2_horovod", "04_2L_horovod_petastorm_lab"} <= set(with_horovod)
    assert [key for key in with_horovod if key not in {"04_2_horovod", "04_2L_horovod_petastorm_lab"}] == [
        task.task_key for task in without.tasks
    ]
    assert without.tasks[0].libraries[0].requirements == f"{WORKSPACE}/requirements/databricks-17.3.txt"


def test_the_cluster_is_a_single_dedicated_node_with_the_install_step_as_a_library(script):
    settings = script.build_job(
        WORKSPACE, runtime="15.4", small_data=False, uc_schema="main.dl_course", volume="main.dl_course.files"
    )
    cluster = settings.job_clusters[0].new_cluster
    assert cluster.num_workers == 0 and cluster.spark_conf["spark.databricks.cluster.profile"] == "singleNode"
    assert cluster.data_security_mode == compute.DataSecurityMode.SINGLE_USER
    assert cluster.spark_version == "15.4.x-cpu-ml-scala2.12"
    assert cluster.spark_env_vars == {
        "COURSE_SMALL_DATA": "0",
        "COURSE_UC_SCHEMA": "main.dl_course",
        "COURSE_VOLUME": "main.dl_course.files",
    }
    for task in settings.tasks:
        assert task.job_cluster_key == settings.job_clusters[0].job_cluster_key
        requirements = task.libraries[0].requirements
        assert (ROOT / requirements.removeprefix(WORKSPACE + "/")).exists()


def test_an_existing_cluster_replaces_the_job_cluster(script):
    settings = script.build_job("/Users/ada@example.com/dl-course", runtime="17.3", cluster_id="0101-abc")
    assert settings.job_clusters is None
    assert {task.existing_cluster_id for task in settings.tasks} == {"0101-abc"}
    assert {task.job_cluster_key for task in settings.tasks} == {None}
    assert settings.tasks[0].libraries[0].requirements.startswith("/Workspace/Users/ada@example.com/")


def test_dry_run_prints_the_job_and_contacts_nobody(script, capsys, monkeypatch):
    monkeypatch.setattr(script, "submit", lambda *args: pytest.fail("a dry run must not submit"))
    assert script.main(["--workspace-path", WORKSPACE, "--dry-run"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == script.build_job(WORKSPACE).as_dict()


def test_submit_creates_then_starts_the_job(script, monkeypatch):
    from types import SimpleNamespace as Thing

    calls = []

    class FakeClient:
        config = Thing(host="https://example.cloud.databricks.com/")
        jobs = Thing(
            create=lambda **kwargs: calls.append(("create", kwargs)) or Thing(job_id=7),
            run_now=lambda job_id: calls.append(("run_now", job_id)) or Thing(run_id=11),
        )

    import databricks.sdk

    monkeypatch.setattr(databricks.sdk, "WorkspaceClient", lambda *args, **kwargs: FakeClient())
    settings = script.build_job(WORKSPACE)
    assert script.submit(settings) == "https://example.cloud.databricks.com/jobs/7/runs/11"
    (verb, created), started = calls
    assert verb == "create" and created["tasks"] == settings.tasks and started == ("run_now", 7)
