"""Rules every committed notebook follows, checked without running it."""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").rglob("*.ipynb"))
NOTEBOOKS = [path for path in NOTEBOOKS if ".ipynb_checkpoints" not in path.parts]
DOWNLOADS = re.compile(r"urlopen|urlretrieve|requests\.get|get_file\(|!\s*(wget|curl|pip)|%pip")


def code_cells(path):
    return [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    dirty = [index for index, cell in enumerate(code_cells(path)) if cell.get("outputs") or cell.get("execution_count")]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_starts_with_the_setup_call(path):
    first = source(code_cells(path)[0])
    assert "setup_course(" in first, f"{path.name}: the first code cell should call setup_course(...)"


def _identity_key(text: str) -> str:
    """'04.3 TorchDistributor' and '04.3_torch_distributor' both -> '04.3torchdistributor'."""
    return re.sub(r"[^a-z0-9.]", "", text.lower())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_name_matches_the_file_name(path):
    """The name a notebook gives setup_course() is its identity (working folder, MLflow experiment):
    it must be its file name, so nothing else has to restate it."""
    found = re.search(r"setup_course\(\s*[\"']([^\"']+)[\"']", source(code_cells(path)[0]))
    assert found, f'{path.name}: the first code cell should call setup_course("<number> <title>")'
    assert _identity_key(found.group(1)) == _identity_key(path.stem), (
        f"{path.name}: setup_course({found.group(1)!r}) should name the notebook as its file does "
        f"(for example {path.stem.replace('_', ' ', 1).replace('_', ' ')!r})"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_downloads_nothing_itself(path):
    offenders = [source(cell) for cell in code_cells(path) if DOWNLOADS.search(source(cell))]
    assert not offenders, f"{path.name}: fetch data through the data layer (includes.data), not in the notebook"


# About a screen. Measured in ruff's layout, which puts each argument of a call that does not fit one line on a
# line of its own: the 40 hand-wrapped lines this limit was before formatting are up to 53 now (04.3's DDP function).
MAX_CELL_LINES = 55


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_stay_short(path):
    long_cells = [
        index for index, cell in enumerate(code_cells(path)) if len(source(cell).splitlines()) > MAX_CELL_LINES
    ]
    assert not long_cells, f"{path.name}: code cells {long_cells} are over {MAX_CELL_LINES} lines; split them"


ROOT = Path(__file__).resolve().parents[2]
RUNS_PIP = re.compile(r"""run_line_magic\(\s*["']pip|%pip\s|["']-m["'],\s*["']pip|\bpip\.main\(""")
INSTALL_STEP = "includes/setup/environment.py"  # install_runtime_packages(): Databricks only, once, then a restart


def test_only_the_setup_installs_packages():
    """Notebooks never install anything (above); the course's code installs packages in exactly one place:
    the Databricks install step, which %pip-installs requirements/databricks-<runtime>.txt."""
    places = {}
    for path in sorted([*(ROOT / "includes").rglob("*.py"), *(ROOT / "scripts").rglob("*.py")]):
        hits = RUNS_PIP.findall(path.read_text())
        if hits:
            places[path.relative_to(ROOT).as_posix()] = len(hits)
    assert places == {INSTALL_STEP: 1}, f"package installation outside the setup's install step: {places}"


# "$100,000 ... $250,000" in one paragraph is read as LaTeX between two dollar signs: the text between them
# renders as garbled maths in JupyterLab (seen in 01.1). Amounts of money are written "\$100,000".
UNESCAPED_MONEY = re.compile(r"(?<!\\)\$(?=\d{1,3}(?:,\d{3})+|\d+k\b)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_amounts_of_money_are_not_read_as_maths(path):
    markdown = [
        "".join(cell["source"]) for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "markdown"
    ]
    found = [
        match.group(0) + text[match.end() : match.end() + 8]
        for text in markdown
        for match in UNESCAPED_MONEY.finditer(text)
    ]
    assert not found, f"escape the dollar sign of {found} as \\$ so it is not read as the start of maths"
