"""Run every notebook of the course on a Databricks workspace, as one job, in one command.

    python scripts/databricks_jobs.py --workspace-path /Workspace/Users/you@example.com/dl-course --dry-run
    python scripts/databricks_jobs.py --workspace-path /Workspace/Users/you@example.com/dl-course --runtime 17.3

The job has one task per notebook (every demo and every lab solution; student labs stop at their first
blank), in course order, each task starting when the one before it is done (whatever its outcome, so one
failing notebook does not hide the others' results). They run on one single-node job cluster of the chosen
runtime, or on an existing cluster (``--cluster-id``). Each task installs the runtime's
``requirements/databricks-<runtime>.txt`` as a library, so the notebooks' own install step finds the
packages there and does not restart Python. On a runtime without Horovod (after 15.4 LTS), the notebooks
that need it (04.2, 04.2L) are left out.

``--workspace-path`` is the repository's Git folder in the workspace (README, On Databricks). The job is
created, then started; the script prints its address and returns (the run goes on in the workspace).
Authentication is the databricks-sdk's: ``DATABRICKS_HOST`` and ``DATABRICKS_TOKEN``, or a profile in
``~/.databrickscfg`` (``--profile``). ``--dry-run`` prints the job's JSON and talks to nobody.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from databricks.sdk.service import compute, jobs

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from includes import settings as course_settings  # noqa: E402
from includes.labs import is_student_lab  # noqa: E402
from includes.setup.environment import runtime_requirements, runtime_version  # noqa: E402

# The ML runtimes the course documents (README, runtime matrix); another one with --spark-version.
SPARK_VERSIONS = {"15.4": "15.4.x-cpu-ml-scala2.12", "17.3": "17.3.x-cpu-ml-scala2.13"}
LAST_RUNTIME_WITH_HOROVOD = (15, 4)
CLUSTER_KEY = "course"
TASK_TIMEOUT_S = 3600  # a notebook on full data takes minutes; this only stops a hang


def course_notebooks(root: Path = REPO_ROOT) -> list[Path]:
    """Every demo and lab solution, in course order: module by module, by number, a demo before its lab."""

    def order(path: Path):
        number = path.stem.split("_", 1)[0]  # "01.2", "01.2L", "A.1"
        return (path.relative_to(root / "notebooks").parts[0], number.rstrip("L"), number.endswith("L"))

    found = [
        path
        for path in (root / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and not is_student_lab(path)
    ]
    return sorted(found, key=order)


def needs_horovod(path: Path) -> bool:
    return "require_horovod(" in path.read_text()


def task_key(path: Path) -> str:
    """A job task's name: letters, digits, "_" and "-" only ("01.2L_keras_lab" -> "01_2L_keras_lab")."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", path.stem)[:100]


def workspace_file(workspace_path: str, relative: str) -> str:
    """A repository file's path as a workspace file, which job libraries need (``/Workspace/...``)."""
    path = f"{workspace_path.rstrip('/')}/{relative}"
    return path if path.startswith("/Workspace/") else "/Workspace" + path


def job_cluster(
    spark_version: str, node_type: str, small_data: bool, uc_schema: str | None, volume: str | None = None
) -> jobs.JobCluster:
    """One single-node cluster in dedicated (single user) access mode: what the course needs (README)."""
    env = {course_settings.SMALL_ENV: "1" if small_data else "0"}
    if uc_schema:
        env[course_settings.UC_SCHEMA_ENV] = uc_schema
    if volume:
        env[course_settings.VOLUME_ENV] = volume
    return jobs.JobCluster(
        job_cluster_key=CLUSTER_KEY,
        new_cluster=compute.ClusterSpec(
            spark_version=spark_version,
            node_type_id=node_type,
            num_workers=0,
            spark_conf={"spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*, 4]"},
            custom_tags={"ResourceClass": "SingleNode"},
            data_security_mode=compute.DataSecurityMode.SINGLE_USER,
            spark_env_vars=env,
        ),
    )


def build_job(
    workspace_path: str,
    runtime: str = "15.4",
    cluster_id: str | None = None,
    node_type: str = "i3.xlarge",
    spark_version: str | None = None,
    small_data: bool = True,
    uc_schema: str | None = None,
    volume: str | None = None,
    root: Path = REPO_ROOT,
) -> jobs.JobSettings:
    """The job's settings, as the SDK's own dataclasses."""
    version = runtime_version(runtime)
    if version is None:
        raise ValueError(f"--runtime should read like 15.4 or 17.3, not {runtime!r}")
    spark_version = spark_version or SPARK_VERSIONS.get(runtime)
    if spark_version is None and cluster_id is None:
        raise ValueError(f"no Spark version known for runtime {runtime}: give --spark-version")
    requirements = runtime_requirements(version, folder=root / "requirements")
    library = compute.Library(requirements=workspace_file(workspace_path, requirements.relative_to(root).as_posix()))
    notebooks = [
        path for path in course_notebooks(root) if version <= LAST_RUNTIME_WITH_HOROVOD or not needs_horovod(path)
    ]
    tasks, previous = [], None
    for path in notebooks:
        relative = path.relative_to(root).with_suffix("").as_posix()  # a Git folder shows notebooks without .ipynb
        tasks.append(
            jobs.Task(
                task_key=task_key(path),
                description=f"{path.relative_to(root).as_posix()}",
                notebook_task=jobs.NotebookTask(
                    notebook_path=f"{workspace_path.rstrip('/')}/{relative}", source=jobs.Source.WORKSPACE
                ),
                depends_on=[jobs.TaskDependency(task_key=previous)] if previous else None,
                run_if=jobs.RunIf.ALL_DONE if previous else None,
                job_cluster_key=None if cluster_id else CLUSTER_KEY,
                existing_cluster_id=cluster_id,
                libraries=[library],
                timeout_seconds=TASK_TIMEOUT_S,
            )
        )
        previous = tasks[-1].task_key
    data = "small data" if small_data else "full data"
    return jobs.JobSettings(
        name=f"dl-course: every notebook ({runtime} ML, {data})",
        tasks=tasks,
        job_clusters=None if cluster_id else [job_cluster(spark_version, node_type, small_data, uc_schema, volume)],
        max_concurrent_runs=1,
        tags={"course": "dl-course"},
    )


def submit(settings: jobs.JobSettings, profile: str | None = None) -> str:
    """Create the job in the workspace and start it; return the run's address."""
    from databricks.sdk import WorkspaceClient

    client = WorkspaceClient(profile=profile) if profile else WorkspaceClient()
    created = client.jobs.create(**{name: value for name, value in vars(settings).items() if value is not None})
    run = client.jobs.run_now(job_id=created.job_id)
    return f"{client.config.host.rstrip('/')}/jobs/{created.job_id}/runs/{run.run_id}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workspace-path",
        required=True,
        help="the repository's Git folder, e.g. /Workspace/Users/you@example.com/dl-course",
    )
    parser.add_argument("--runtime", default="15.4", help="Databricks Runtime ML version: 15.4 (default) or 17.3")
    parser.add_argument("--cluster-id", help="run on this existing cluster instead of a new job cluster")
    parser.add_argument(
        "--node-type",
        default="i3.xlarge",
        help="the job cluster's node type (AWS i3.xlarge; Azure e.g. Standard_D4ds_v5; GCP e.g. n2-highmem-4)",
    )
    parser.add_argument(
        "--spark-version", help="the cluster's runtime key, when --runtime is not one of " + ", ".join(SPARK_VERSIONS)
    )
    parser.add_argument("--full-data", action="store_true", help="the full course (default: the small-data flag)")
    parser.add_argument(
        "--uc-schema",
        help="catalog.schema for models when the workspace registers them in "
        "Unity Catalog (sets COURSE_UC_SCHEMA on the job cluster)",
    )
    parser.add_argument(
        "--volume",
        help="catalog.schema.volume where the course keeps its data and work "
        "(sets COURSE_VOLUME on the job cluster; default: DBFS)",
    )
    parser.add_argument("--profile", help="a profile of ~/.databrickscfg")
    parser.add_argument("--dry-run", action="store_true", help="print the job's JSON; create and run nothing")
    args = parser.parse_args(argv)
    settings = build_job(
        args.workspace_path,
        runtime=args.runtime,
        cluster_id=args.cluster_id,
        node_type=args.node_type,
        spark_version=args.spark_version,
        small_data=not args.full_data,
        uc_schema=args.uc_schema,
        volume=args.volume,
    )
    if args.dry_run:
        print(json.dumps(settings.as_dict(), indent=2))
        return 0
    print(f"{len(settings.tasks)} notebooks, one after another: {submit(settings, args.profile)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
