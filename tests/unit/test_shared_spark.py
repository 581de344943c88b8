"""The test lanes' shared Spark driver (tests/notebooks/shared_spark.py): the notebooks of a lane take turns in
one driver JVM, each with a SparkSession of its own whose Python workers see the notebook's own variables; the
context a notebook leaves is stopped before the next one starts; a JVM that dies is replaced."""

from __future__ import annotations

import os

import nbformat
import pytest

from includes import settings
from includes.setup.spark import spark_config
from tests.notebooks.lanes import Lanes, NotebookJob


def spark_notebook(folder, name: str, jvm_names):
    """Starts Spark as a lesson does, checks it got its own session, and notes which JVM it ran in."""
    cells = [
        f"import os\nos.environ['COURSE_LESSON_MARK'] = {name!r}\n"
        f"from includes import setup_course\ncourse = setup_course({name!r})\nspark = course.spark",
        f"assert spark.sparkContext.appName.endswith({name!r}), spark.sparkContext.appName\n"
        "mark = spark.sparkContext.parallelize([0], 1).map(lambda _: os.environ.get('COURSE_LESSON_MARK')).first()\n"
        f"assert mark == {name!r}, f'the workers see {{mark!r}}'\n"
        "runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()\n"
        f"with open({str(jvm_names)!r}, 'a') as names:\n    names.write(runtime.getName() + '\\n')",
    ]
    path = folder / f"{name}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells]), path)
    return NotebookJob(path, "twice")


def jvm_ending_notebook(folder):
    """Ends the lane's JVM, as a crash would."""
    code = (
        "from pyspark.java_gateway import launch_gateway\n"
        "try:\n    launch_gateway().jvm.java.lang.System.exit(1)\n"
        "except Exception:\n    pass  # the connection goes with the JVM; the second run finds none"
    )
    path = folder / "ends_the_jvm.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
    return NotebookJob(path, "twice")


def test_a_lanes_notebooks_share_its_driver_with_sessions_of_their_own_and_a_dead_jvm_is_replaced(tmp_path):
    jvm_names = tmp_path / "jvms.txt"
    jobs = [
        spark_notebook(tmp_path, "first", jvm_names),
        spark_notebook(tmp_path, "second", jvm_names),
        jvm_ending_notebook(tmp_path),
        spark_notebook(tmp_path, "third", jvm_names),
    ]
    # Workers without the preloading daemon: this test is about the driver, and TensorFlow's import is slow.
    environment = dict(os.environ, **{settings.SPARK_PRELOAD_ENV: "0"})
    lanes = Lanes(jobs, 1, environment, shared_spark=True).start()
    try:
        results = [lanes.result(job) for job in jobs]
    finally:
        lanes.stop()
    for result in results:
        assert result.passed, (result.crash, result.failure)
    first, second, third = [line.split("@")[0] for line in jvm_names.read_text().split()[::2]]
    assert first == second, "the lane's first two notebooks ran in one JVM"
    assert third != first, "after its JVM ended, the lane started another"
    assert lanes.spark_driver.startswith("shared per lane, restarted"), lanes.spark_driver


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
