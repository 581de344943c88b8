"""The lanes that run the notebooks (tests/notebooks/lanes.py), on tiny notebooks: two at a time, each run twice
in one kernel, a failure in the second run told apart from one in the first, a student lab stopped at its
blank (in its solution's kernel, or its own when that kernel died), and what the test report says."""

from __future__ import annotations

import os
import time
from concurrent.futures import CancelledError

import nbformat
import pytest

from tests.notebooks.lanes import Lanes, NotebookJob, describe_failure, with_a_share_of_the_cores


def write_notebook(folder, name: str, *cells: str):
    path = folder / f"{name}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in cells]), path)
    return path


@pytest.fixture(scope="module", params=["fresh", "forked"])
def finished(request, tmp_path_factory):
    """Every lane behaviour below, with fresh kernels and with kernels forked from the zygote (kernel_zygote.py)."""
    forked = request.param == "forked"
    folder = tmp_path_factory.mktemp(f"lanes-{request.param}")
    jobs = {
        "fine": NotebookJob(write_notebook(folder, "fine", "import time\ntime.sleep(1)", "x = 1"), "twice"),
        # A notebook that works once but not twice in one kernel: state left by its first run breaks it.
        "once only": NotebookJob(
            write_notebook(folder, "once_only", "assert 'ran' not in globals(), 'ran before'\nran = True"), "twice"
        ),
        "broken": NotebookJob(write_notebook(folder, "broken", "x = 1", "1 / 0"), "twice"),
        "lab": NotebookJob(
            write_notebook(folder, "lab", "y = 2", "raise NameError('fill_in: not filled in yet')", "z = 3"),
            "to-first-blank",
        ),
    }
    (folder / "solutions").mkdir()
    # A lab after its solution: the lab's first cell proves it runs in the solution's kernel, with none of the
    # solution's names and in the lab's own folder.
    solution_cell = "import os\nos.environ['SOLUTION_KERNEL'] = str(os.getpid())\nmade_by_solution = 1"
    lab_cell = (
        "import os\nassert 'made_by_solution' not in globals(), 'the solution left its names'\n"
        f"assert os.getcwd() == {str(folder)!r}, os.getcwd()\n"
        "assert os.environ.get('SOLUTION_KERNEL') == str(os.getpid()), 'a kernel of its own'"
    )
    jobs["paired lab"] = NotebookJob(
        write_notebook(folder, "paired", lab_cell, "raise NameError('fill_in')"), "to-first-blank"
    )
    jobs["paired solution"] = NotebookJob(write_notebook(folder / "solutions", "paired", solution_cell), "twice")
    # A solution whose kernel dies: its lab still runs, in a kernel of its own.
    jobs["orphan lab"] = NotebookJob(
        write_notebook(folder, "orphan", "x = 1", "raise NameError('fill_in')"), "to-first-blank"
    )
    jobs["dying solution"] = NotebookJob(
        write_notebook(folder / "solutions", "orphan", "import os\nos._exit(1)"), "twice"
    )
    lanes = Lanes(list(jobs.values()), 2, dict(os.environ), forked_kernels=forked).start()
    results = {name: lanes.result(job) for name, job in jobs.items()}
    assert lanes.kernels == request.param, lanes.kernels
    return jobs, results, lanes


def test_a_good_notebook_runs_twice_in_one_kernel(finished):
    _, results, _ = finished
    fine = results["fine"]
    assert not fine.failure and not fine.crash
    assert len(fine.runs) == 2 and all(seconds >= 1 for seconds in fine.runs)
    assert fine.setup_cell_s >= 1 and fine.fixed_s >= fine.setup_cell_s


def test_state_left_by_the_first_run_fails_the_second_and_the_report_says_which_run(finished):
    _, results, _ = finished
    once = results["once only"]
    assert once.failure["run"] == 2 and once.failure["ename"] == "AssertionError"
    assert "second run from the top, in the same kernel" in describe_failure(once)
    broken = results["broken"]
    assert broken.failure["run"] == 1 and broken.failure["cell"] == 1 and broken.failure["ename"] == "ZeroDivisionError"
    assert "failed in its first run, cell 1" in describe_failure(broken)


def test_a_student_lab_stops_at_the_cell_that_stops_it(finished):
    _, results, _ = finished
    lab = results["lab"]
    assert lab.failure["cell"] == 1 and lab.failure["ename"] == "NameError" and len(lab.runs) == 1


def test_a_student_lab_runs_to_its_blank_in_its_solutions_kernel_with_a_clean_namespace(finished):
    _, results, _ = finished
    solution, lab = results["paired solution"], results["paired lab"]
    assert solution.passed and len(solution.runs) == 2
    assert lab.failure["cell"] == 1 and lab.failure["ename"] == "NameError", lab.failure
    assert lab.lane == solution.lane and lab.started >= solution.finished


def test_a_student_lab_whose_solutions_kernel_died_runs_in_a_kernel_of_its_own(finished):
    _, results, _ = finished
    assert results["dying solution"].crash and not results["dying solution"].passed
    orphan = results["orphan lab"]
    assert not orphan.crash and orphan.failure["cell"] == 1 and orphan.failure["ename"] == "NameError"


def test_two_lanes_run_notebooks_side_by_side(finished):
    _, results, lanes = finished
    assert {result.lane for result in results.values()} == {0, 1}
    first, second = sorted(results.values(), key=lambda result: result.started)[:2]
    assert second.started < first.finished, "the first two notebooks should have run at the same time"
    assert len(lanes.finished_results()) == len(results)


@pytest.mark.parametrize("forked", [False, True], ids=["fresh", "forked"])
def test_stopping_cancels_what_has_not_started(tmp_path, forked):
    slow = NotebookJob(write_notebook(tmp_path, "slow", "import time\ntime.sleep(60)"), "twice")
    waiting = NotebookJob(write_notebook(tmp_path, "waiting", "x = 1"), "twice")
    lanes = Lanes([slow, waiting], 1, dict(os.environ), forked_kernels=forked).start()
    while not lanes._futures[slow].running():  # (a zygote first imports TensorFlow)
        time.sleep(0.2)
    time.sleep(2)
    started = time.monotonic()
    lanes.stop()
    assert lanes.result(slow).crash, "the running notebook is stopped, and its result says so"
    assert time.monotonic() - started < 30
    with pytest.raises(CancelledError):
        lanes.result(waiting)


def test_each_lanes_math_libraries_get_its_share_of_the_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    shared = with_a_share_of_the_cores({"PATH": "/bin"}, 2)
    assert shared["TF_NUM_INTRAOP_THREADS"] == shared["OPENBLAS_NUM_THREADS"] == shared["OMP_NUM_THREADS"] == "2"
    assert with_a_share_of_the_cores({}, 8)["OMP_NUM_THREADS"] == "1", "never fewer than one"
    assert with_a_share_of_the_cores({"OMP_NUM_THREADS": "3"}, 2)["OMP_NUM_THREADS"] == "3", "a setting of yours wins"
