"""The test lanes' shared Spark driver (tests/notebooks/shared_spark.py): the notebooks of a lane take turns in
one driver JVM, each with a SparkSession of its own (the lane stops the one a notebook leaves) whose Python
workers see the notebook's own variables; a JVM that died is replaced before the next notebook."""

from __future__ import annotations

import os
import signal

import nbformat
import pytest

from includes import settings
from includes.setup.spark import spark_config
from tests.notebooks.lanes import Lanes, NotebookJob

PARENT_OF = "lambda pid: int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])"


def spark_notebook(folder, name: str, jvm_names):
    """Starts Spark as a lesson does, checks it got its own session and that its Python workers' daemon is, like
    the kernel, a fork of the lane's zygote, and notes which JVM it ran in."""
    cells = [
        f"import os\nos.environ['COURSE_LESSON_MARK'] = {name!r}\n"
        f"from includes import setup_course\ncourse = setup_course({name!r})\nspark = course.spark",
        f"assert spark.sparkContext.appName.endswith({name!r}), spark.sparkContext.appName\n"
        "mark = spark.sparkContext.parallelize([0], 1).map(lambda _: os.environ.get('COURSE_LESSON_MARK')).first()\n"
        f"assert mark == {name!r}, f'the workers see {{mark!r}}'\n"
        f"parent_of = {PARENT_OF}\n"
        "daemons_parent = spark.sparkContext.parallelize([0], 1).map(lambda _: parent_of(os.getppid())).first()\n"
        "assert daemons_parent == os.getppid(), f'the daemon comes from {daemons_parent}, not the zygote'\n"
        "runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()\n"
        f"with open({str(jvm_names)!r}, 'a') as names:\n    names.write(runtime.getName() + '\\n')",
    ]
    path = folder / f"{name}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells]), path)
    return NotebookJob(path, "twice")


def test_a_lanes_notebooks_take_turns_in_its_driver_each_with_a_session_of_its_own(tmp_path):
    jvm_names = tmp_path / "jvms.txt"
    jobs = [spark_notebook(tmp_path, "first", jvm_names), spark_notebook(tmp_path, "second", jvm_names)]
    environment = dict(os.environ, **{settings.SPARK_PRELOAD_ENV: "1"})
    lanes = Lanes(jobs, 1, environment, forked_kernels=True, shared_spark=True).start()
    try:
        results = [lanes.result(job) for job in jobs]
    finally:
        lanes.stop()
    for result in results:
        assert result.passed, (result.crash, result.failure)
    jvms = jvm_names.read_text().split()
    assert len(jvms) == 4 and len(set(jvms)) == 1, f"both notebooks, both runs, in the lane's one JVM: {jvms}"
    assert lanes.spark_driver == "shared per lane" and lanes.kernels == "forked"


def test_a_driver_that_died_is_replaced_before_the_next_notebook():
    lanes = Lanes([], 1, dict(os.environ), shared_spark=True)  # not started: only its driver handling is used
    try:
        first = lanes._spark_variables(0)
        dead = lanes._spark_drivers[0]
        os.killpg(dead._process.pid, signal.SIGKILL)  # the host and its JVM, as a crash would end them
        dead._process.wait()
        assert not dead.stop_context() and dead.problem == "its host ended"
        second = lanes._spark_variables(0)
    finally:
        lanes.stop()
    assert second and second["PYSPARK_GATEWAY_PORT"] != first["PYSPARK_GATEWAY_PORT"], "a new JVM for the next one"
    assert lanes.spark_driver == "shared per lane, restarted (its host ended)"


def test_a_kernel_connected_to_a_driver_it_did_not_start_passes_the_course_variables_to_the_workers(tmp_path):
    variable = f"spark.executorEnv.{settings.HOME_ENV}"
    elsewhere = spark_config("x", tmp_path, quiet=True, driver_elsewhere=True)
    assert elsewhere[variable] == os.environ[settings.HOME_ENV]
    assert variable not in spark_config("x", tmp_path, quiet=True), "a JVM the kernel started inherits them"


@pytest.mark.parametrize(("value", "shared"), [("", True), ("shared", True), ("own", False)])
def test_the_setting_that_turns_the_shared_driver_off(monkeypatch, value, shared):
    monkeypatch.setenv(settings.TEST_SPARK_ENV, value)
    monkeypatch.delenv(settings.SPARK_MASTER_ENV, raising=False)
    assert settings.shared_test_spark() is shared
    monkeypatch.setenv(settings.SPARK_MASTER_ENV, "spark://127.0.0.1:7077")
    assert settings.shared_test_spark() is False, "a cluster's tests start Spark per notebook"
    monkeypatch.setenv(settings.TEST_SPARK_ENV, "both")
    with pytest.raises(ValueError, match="COURSE_TEST_SPARK"):
        settings.shared_test_spark()
