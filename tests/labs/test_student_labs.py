"""Every student lab, run as a learner would, stops at its first blank with the clear message."""

import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from includes.labs.generator import lab_pairs

LABS = [lab for _, lab in lab_pairs()]


def first_blank_cell(notebook) -> int:
    return next(
        index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code" and "fill_in(" in cell.source
    )


@pytest.mark.parametrize("lab", LABS, ids=[lab.name for lab in LABS])
def test_lab_stops_at_its_first_blank_with_a_clear_message(lab):
    notebook = nbformat.read(lab, as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(lab.parent)}}
    )
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    assert failure.value.ename == "LabBlankError", f"{lab.name} failed before its first blank: {failure.value}"
    assert "not filled in yet" in failure.value.evalue and "Replace `fill_in(...)`" in failure.value.evalue
    stopped_at = next(
        index
        for index, cell in enumerate(notebook.cells)
        if any(output.get("output_type") == "error" for output in cell.get("outputs", []))
    )
    # A blank inside a function stops the notebook where the function is first called, a little later.
    assert stopped_at >= first_blank_cell(notebook), f"{lab.name} failed before its first blank"
    assert json.loads(lab.read_text())["metadata"]["course"]["generated_from"].startswith("solutions/")
