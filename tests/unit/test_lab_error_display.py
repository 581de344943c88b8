"""In a real kernel, a blank or a failed check reads as its sentence; the cell still fails; other errors keep
their traceback."""

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from includes.labs.display import show_lab_errors_plainly


def run_cells(*sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True)
    client.execute()
    return notebook.cells


def error_of(cell):
    return next(output for output in cell.outputs if output.output_type == "error")


SETUP = "from includes.labs.display import show_lab_errors_plainly\nassert show_lab_errors_plainly()"


def test_blanks_failed_checks_and_other_errors_in_a_kernel():
    setup, blank, failed, other = run_cells(
        SETUP,
        "from includes import fill_in\nmodel = fill_in('Build the model')",
        "from includes.labs import LabChecks\n"
        "with LabChecks('Step 1: the model') as check:\n"
        "    check(False, ok='fine', problem='The model should end in one unit.', hint='One price per row.')",
        "int('seven')",
    )
    assert not any(output.output_type == "error" for output in setup.outputs)

    blank_error = error_of(blank)
    assert blank_error.ename == "LabBlankError"
    assert len(blank_error.traceback) == 1 and "not filled in yet: Build the model" in blank_error.traceback[0]
    assert "includes/labs" not in "".join(blank_error.traceback)

    printed = "".join(output.get("text", "") for output in failed.outputs if output.output_type == "stream")
    assert "✘ The model should end in one unit." in printed and "Hint: One price per row." in printed
    failed_error = error_of(failed)
    assert failed_error.ename == "LabCheckFailed" and len(failed_error.traceback) == 1
    assert "read the ✘ lines above" in failed_error.traceback[0]

    other_error = error_of(other)
    assert other_error.ename == "ValueError" and len(other_error.traceback) > 1  # the learner's own code


def test_the_cell_still_stops_run_all():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(SETUP),
            nbformat.v4.new_code_cell("from includes import fill_in\nfill_in('Write the loss')"),
            nbformat.v4.new_code_cell("reached = True"),
        ]
    )
    with pytest.raises(CellExecutionError) as stopped:
        NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    assert stopped.value.ename == "LabBlankError" and "Write the loss" in stopped.value.evalue
    assert not notebook.cells[2].get("outputs")


def test_outside_ipython_nothing_is_registered():
    assert show_lab_errors_plainly() is False  # pytest is not an IPython kernel: nothing to register, no error
