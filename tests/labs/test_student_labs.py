"""Every student lab, run as a learner would, stops at its first blank with the clear message."""

import json

import nbformat
import pytest

from includes.labs.generator import lab_pairs
from tests.notebooks.lanes import NotebookJob, describe_failure

LABS = [lab for _, lab in lab_pairs()]
JOBS = [NotebookJob(lab, "to-first-blank") for lab in LABS]


def first_blank_cell(notebook) -> int:
    return next(
        index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code" and "fill_in(" in cell.source
    )


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.path.name)
def test_lab_stops_at_its_first_blank_with_a_clear_message(job, notebook_lanes):
    result = notebook_lanes.result(job)
    lab = job.path
    assert not result.crash, describe_failure(result)
    failure = result.failure
    assert failure, f"{lab.name} ran to its end: its blanks do not stop it"
    assert failure["ename"] == "LabBlankError", f"{lab.name} failed before its first blank: {failure['text']}"
    assert "not filled in yet" in failure["evalue"] and "Replace `fill_in(...)`" in failure["evalue"]
    # A blank inside a function stops the notebook where the function is first called, a little later.
    notebook = nbformat.read(lab, as_version=4)
    assert failure["cell"] >= first_blank_cell(notebook), f"{lab.name} failed before its first blank"
    assert json.loads(lab.read_text())["metadata"]["course"]["generated_from"].startswith("solutions/")
