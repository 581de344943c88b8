"""Notebooks run side by side in lanes, in the background, while pytest goes on with other tests.

Each notebook costs a fixed amount before its first lesson line runs: a kernel, ``import tensorflow``, often a
SparkSession. Running the notebooks one after another, and then every one of them again, paid that cost twice
per notebook and left one of the machine's two cores idle most of the time. Here:

* every notebook starts once, in a kernel of its own, and runs twice from the top in that kernel (see
  ``execute.py``): the second run is a learner's second "Run all", in the same course folder;
* ``COURSE_TEST_LANES`` lanes (2 by default) take notebooks in course order, so a notebook always runs next to
  another one, a demo usually next to its lab's solution, sharing the course folder, the MLflow store, Spark's
  ports and temporary folders;
* a student lab runs to its first blank in its solution's kernel, right after the solution's two runs, with a
  clean namespace in its own folder (see ``execute.py``): a kernel and its imports saved per lab;
* the lanes start when pytest has collected the tests and work through the notebooks while the unit tests run;
  each notebook's test waits for its own result.

Every run gets the environment pytest had after collection, never one a unit test changed for a moment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from includes.labs.generator import SOLUTIONS_FOLDER, solution_of, student_lab_of
from tests.notebooks.kernel_zygote import Zygote
from tests.notebooks.shared_spark import SharedSpark

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_LIMIT_S = 1200  # a small-data notebook runs twice in about two minutes; this only catches a hang
# The math libraries' own thread counts: TensorFlow's within-op pool, OpenMP (PyTorch, oneDNN), OpenBLAS (NumPy).
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def with_a_share_of_the_cores(environment: dict[str, str], lanes: int) -> dict[str, str]:
    """Each lane's math libraries use its share of the cores, instead of one thread per core each.

    Every library sizes its pool by the machine's cores; with two lanes and the unit tests on two cores, that is
    three or more busy threads per core, spinning and waiting on each other. Measured on this course's 2-core
    machine (2026-11-30): three Keras trainings at once took 50 s with the default pools, 36 s with one thread each
    for their operations, and a quarter less CPU. A variable already set is kept."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    share = str(max(1, cores // lanes))
    return {**{name: share for name in THREAD_VARIABLES}, **environment}


@dataclass(frozen=True)
class NotebookJob:
    """A notebook and how to run it: ``twice`` (demos, solutions) or ``to-first-blank`` (student labs)."""

    path: Path
    mode: str

    @property
    def name(self) -> str:
        """The notebook's path from the repository's root (or in full, for one outside it)."""
        return self.path.relative_to(ROOT).as_posix() if self.path.is_relative_to(ROOT) else self.path.as_posix()

    def __str__(self) -> str:  # pytest shows it in test ids
        return self.path.stem

    @property
    def solution(self) -> NotebookJob:
        """For a student lab: its solution's job."""
        return NotebookJob(solution_of(self.path), "twice")

    @property
    def student_lab(self) -> NotebookJob | None:
        """For a lab's solution: the student lab made from it (None for any other notebook)."""
        if self.mode != "twice" or self.path.parent.name != SOLUTIONS_FOLDER:
            return None
        return NotebookJob(student_lab_of(self.path), "to-first-blank")


@dataclass
class NotebookResult:
    job: NotebookJob
    lane: int
    started: float
    finished: float
    runs: list[float] = field(default_factory=list)
    cells: list[list[list[float]]] = field(default_factory=list)  # per run: [cell index, seconds] of each cell
    failure: dict | None = None
    crash: str | None = None  # the runner itself failed (a hang, a dead kernel): its own words

    @property
    def wall_s(self) -> float:
        return self.finished - self.started

    @property
    def passed(self) -> bool:
        """Ran as its mode expects: both runs to the end, or (a student lab) up to the cell that stops it."""
        return not self.crash and (self.job.mode != "twice" or not self.failure)

    @property
    def setup_cell_s(self) -> float | None:
        """The first code cell's time in the first run: ``import``s and ``setup_course``."""
        return self.cells[0][0][1] if self.cells and self.cells[0] else None

    @property
    def fixed_s(self) -> float | None:
        """What the notebook costs before its first lesson line: a process, a kernel, its imports and setup
        (everything in its lane but the runs, plus the setup cell)."""
        if self.setup_cell_s is None:
            return None
        return self.wall_s - sum(self.runs) + self.setup_cell_s


def _run_in_process(
    job: NotebookJob,
    lane: int,
    environment: dict[str, str],
    running: dict[int, subprocess.Popen],
    student_lab: NotebookJob | None = None,
) -> tuple[NotebookResult, NotebookResult | None]:
    """The job's result and, when a student lab runs after it in the same kernel, the lab's (None when the
    runner stopped before the lab could run)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="notebook-run-") as scratch:
        result_file, lab_file = Path(scratch) / "result.json", Path(scratch) / "lab.json"
        command = [sys.executable, "-m", "tests.notebooks.execute", job.mode, str(job.path), str(result_file)]
        if student_lab is not None:
            command += [str(student_lab.path), str(lab_file)]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a hang is stopped with everything it started
        )
        running[lane] = process
        try:
            _, err = process.communicate(timeout=NOTEBOOK_LIMIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _, err = process.communicate()
            err = f"still running after {NOTEBOOK_LIMIT_S} s, stopped (a hang?)\n{err}"
        finally:
            running.pop(lane, None)
            _stop_what_is_left(process)
        finished = time.monotonic()
        if process.returncode != 0 or not result_file.exists():
            return NotebookResult(job, lane, started, finished, crash=f"exit {process.returncode}\n{err[-4000:]}"), None
        data = json.loads(result_file.read_text())
        lab = json.loads(lab_file.read_text()) if student_lab is not None and lab_file.exists() else None
    if lab is None:
        return NotebookResult(job, lane, started, finished, data["runs"], data["cells"], data["failure"]), None
    # The lab's share of the process: from the namespace reset to its first blank.
    lab_started = finished - lab["seconds"]
    return (
        NotebookResult(job, lane, started, lab_started, data["runs"], data["cells"], data["failure"]),
        NotebookResult(student_lab, lane, lab_started, finished, lab["runs"], lab["cells"], lab["failure"]),
    )


def _stop_what_is_left(process: subprocess.Popen) -> None:
    """Anything the notebook started and left running (a JVM, a model server) goes with its process group."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Lanes:
    """Runs ``jobs`` in order in ``count`` lanes; ``result(job)`` waits for one of them."""

    def __init__(
        self,
        jobs: list[NotebookJob],
        count: int,
        environment: dict[str, str],
        forked_kernels: bool = False,
        shared_spark: bool = False,
    ):
        self.jobs = list(dict.fromkeys(jobs))
        self.count = max(1, count)
        self._environment = with_a_share_of_the_cores(environment, self.count)
        self._futures: dict[NotebookJob, Future] = {job: Future() for job in self.jobs}
        self._next = 0
        self._lock = threading.Lock()
        self._stopping = False
        self._running: dict[int, subprocess.Popen] = {}
        self._threads = [threading.Thread(target=self._lane, args=(n,), daemon=True) for n in range(self.count)]
        self.started = time.monotonic()
        # Kernels forked from one process that has imported the libraries once (kernel_zygote.py); it starts
        # now, its imports overlap the first notebooks' start, and the lanes ask for it at their first job.
        self._zygote = Zygote(self._environment) if forked_kernels else None
        self._zygote_checked = False
        self._zygote_lock = threading.Lock()  # not self._lock: stop() must not wait for the zygote's imports
        self.kernels = "fresh"  # what the notebooks ran in, for the timing report: "forked" or "fresh (why)"
        # One Spark driver JVM per lane, which its notebooks take turns in (shared_spark.py).
        self._shared_spark = shared_spark
        self._spark_drivers: dict[int, SharedSpark] = {}
        self.spark_driver = "shared per lane" if shared_spark else "one per notebook"  # for the timing report

    def start(self) -> Lanes:
        for thread in self._threads:
            thread.start()
        return self

    def _follows_its_solution(self, job: NotebookJob) -> bool:
        """A student lab whose solution this run also runs: it goes in the solution's kernel (``_take``)."""
        return job.mode == "to-first-blank" and job.solution in self._futures

    def _take(self) -> tuple[NotebookJob, NotebookJob | None] | None:
        """The next job to start, and the student lab to run after it in its kernel (if any)."""
        with self._lock:
            while not self._stopping and self._next < len(self.jobs):
                job = self.jobs[self._next]
                self._next += 1
                if self._follows_its_solution(job) or not self._futures[job].set_running_or_notify_cancel():
                    continue
                lab = job.student_lab
                if lab in self._futures and self._futures[lab].set_running_or_notify_cancel():
                    return job, lab
                return job, None
            return None

    def _use_the_zygote_if_ready(self) -> None:
        """Once, in the first lane to start a job: hand the runs the zygote's kernels, or (if it could not start)
        go on with fresh kernels and say why in the timing report."""
        with self._zygote_lock:
            if self._zygote_checked or self._zygote is None:
                return
            self._zygote_checked = True
            problem = self._zygote.ready()
            if problem is None:
                self._environment = self._zygote.environment(self._environment)
                self.kernels = "forked"
            else:
                self._zygote.stop()
                self.kernels = f"fresh ({problem})"

    def _spark_variables(self, lane: int) -> dict[str, str]:
        """The variables that connect a kernel to the lane's shared Spark driver ({} when there is none): its
        first job waits for the JVM to start; a JVM that failed is replaced, and the report says why."""
        if not self._shared_spark or self._stopping:
            return {}
        driver = self._spark_drivers.get(lane)
        if driver is None or driver.problem:
            if driver is not None:
                self.spark_driver = f"shared per lane, restarted ({driver.problem})"
            driver = self._spark_drivers[lane] = SharedSpark(self._environment)
        return driver.variables()

    def _leave_spark_clean(self, lane: int) -> None:
        """Stop the SparkContext the lane's last notebook left, so the next one starts its own."""
        driver = self._spark_drivers.get(lane)
        if driver is not None:
            driver.stop_context()

    def _lane(self, lane: int) -> None:
        if self._shared_spark:
            self._spark_drivers[lane] = SharedSpark(self._environment)  # starts beside the zygote's imports
        self._use_the_zygote_if_ready()
        while (taken := self._take()) is not None:
            job, lab = taken
            futures = [self._futures[job]] + ([self._futures[lab]] if lab else [])
            try:
                environment = self._environment | self._spark_variables(lane)
                result, lab_result = _run_in_process(job, lane, environment, self._running, lab)
                self._leave_spark_clean(lane)
                futures[0].set_result(result)
                if lab:
                    futures[1].set_result(lab_result or self._lab_alone(lab, lane, result))
            except BaseException as error:  # noqa: BLE001 - the waiting test reports it
                for future in futures:
                    if not future.done():
                        future.set_exception(error)

    def _lab_alone(self, lab: NotebookJob, lane: int, solution: NotebookResult) -> NotebookResult:
        """A student lab whose solution's runner stopped before the lab's turn gets a kernel of its own (unless
        the whole run is stopping)."""
        if self._stopping:
            return NotebookResult(lab, lane, solution.finished, solution.finished, crash="not run: the run stopped")
        return _run_in_process(lab, lane, self._environment, self._running)[0]

    def result(self, job: NotebookJob) -> NotebookResult:
        return self._futures[job].result()

    def finished_results(self) -> list[NotebookResult]:
        return [
            future.result()
            for future in self._futures.values()
            if future.done() and not future.cancelled() and not future.exception()
        ]

    def stop(self) -> None:
        """Pytest is ending (at the end, or early after ``-x`` or Ctrl-C): no new notebook starts, and the
        ones still running are stopped with every process they started."""
        with self._lock:
            self._stopping = True
            for future in self._futures.values():
                future.cancel()  # only those not started yet
        for process in list(self._running.values()):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._zygote is not None:
            self._zygote.stop()
        for driver in list(self._spark_drivers.values()):
            driver.stop()


def describe_failure(result: NotebookResult) -> str:
    """What went wrong with a notebook, in the words a reader of the test report needs."""
    if result.crash:
        return f"{result.job.name}: the notebook's runner stopped ({result.crash})"
    failure = result.failure or {}
    which = "its first run" if failure.get("run") == 1 else "its second run from the top, in the same kernel"
    return f"{result.job.name} failed in {which}, cell {failure.get('cell')}:\n{failure.get('text', '')}"
