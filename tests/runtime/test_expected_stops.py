"""In a runtime parity run, every notebook that cannot run on that runtime stops with exactly its one sentence.

The list is tests/runtime/plugin.py's EXPECTED_STOPS; outside `make test-runtime` there is nothing to run.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.runtime.plugin import ROOT, current_runtime, expected_stops, same_sentence

STOPS = sorted(expected_stops().items())


@pytest.mark.skipif(not STOPS, reason="no notebook stops by design here (only `make test-runtime` lists some)")
@pytest.mark.parametrize(("notebook", "sentence"), STOPS, ids=[name.removeprefix("notebooks/") for name, _ in STOPS])
def test_notebook_stops_with_its_one_sentence(notebook, sentence):
    path = ROOT / notebook
    assert path.exists(), f"{notebook} is listed as an expected stop but does not exist"
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    assert failure.value.ename == "CourseSetupError", (
        f"{notebook} on runtime {current_runtime()} failed with {failure.value.ename}, not its one sentence: "
        f"{failure.value.evalue}"
    )
    assert same_sentence(failure.value.evalue, sentence), f"{notebook} said: {failure.value.evalue}"


def test_notebooks_that_stop_by_design_exist():
    for runtime in ("15.4", "17.3"):
        for notebook in expected_stops(runtime):
            assert (ROOT / notebook).exists(), f"{runtime}: {notebook} is listed but does not exist"
