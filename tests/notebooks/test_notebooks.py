"""Every demo and lab solution runs from the top, then once more from the top in the same kernel, next to
another notebook (see lanes.py): what a learner does, and what two learners' notebooks open at once do."""

import pytest

from includes.labs import is_student_lab
from tests.notebooks.lanes import ROOT, NotebookJob, describe_failure

NOTEBOOKS = sorted(
    (
        path
        for path in (ROOT / "notebooks").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and not is_student_lab(path)
    ),
    # Course order within a module, a demo just before its lab's solution, so the two share a pair of lanes.
    key=lambda path: (path.relative_to(ROOT / "notebooks").parts[0], path.name),
)
JOBS = [NotebookJob(path, "twice") for path in NOTEBOOKS]


@pytest.mark.parametrize("job", JOBS, ids=str)
def test_notebook_runs_and_runs_again_from_the_top(job, notebook_lanes):
    result = notebook_lanes.result(job)
    assert not (result.crash or result.failure), describe_failure(result)
    assert len(result.runs) == 2
