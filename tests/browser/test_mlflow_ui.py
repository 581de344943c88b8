"""The MLflow UI, started as `make mlflow-ui` starts it, lists what 02.1 wrote: its experiment and its model.

In the whole test suite 02.1 runs in the notebook lanes, and this test waits for it (the browser tests run while
the lanes work); run alone, this test first runs 02.1 itself, up to the cell that registers its model (the part
the UI needs).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sqlite3

import nbformat
import pytest
from browser_support import ROOT, VENV_BIN, free_port, make_recipe, screenshot
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from includes import settings
from includes.setup import identity, tracking

NOTEBOOK = ROOT / "notebooks" / "02_mlflow" / "02.1_mlflow.ipynb"


def exactly(name: str) -> re.Pattern:
    return re.compile("^" + re.escape(name).replace("/", "\\/") + "$")  # "\/": Playwright passes it on as is


# The names 02.1 gives its experiment and model, from the course's own naming rules for this learner (they carry
# the learner's name where a class shares the store): "dl-course/02.1 MLflow" and "dl-course-house-price" on a
# laptop. Exact, because 02.1L registers "dl-course-lab-house-price" beside it.
EXPERIMENT = exactly(tracking.experiment_name("02.1 MLflow", identity.learner()))
MODEL = exactly(tracking.model_name("house-price", identity.learner()))


def setting(name: str) -> str:
    """One of the Makefile's `$(SETTING) <name>` values, from the same function the Makefile calls."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert settings.print_setting(name) == 0, f"no setting {name!r}"
    return out.getvalue().strip()


def names_in_store(tracking_uri: str) -> tuple[list[str], list[str]]:
    """Experiment and registered model names in the course's SQLite store (none if there is no store yet)."""
    database = tracking_uri.removeprefix("sqlite:///")
    if not os.path.exists(database):
        return [], []
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as store:
        try:
            experiments = [
                row[0] for row in store.execute("SELECT name FROM experiments WHERE lifecycle_stage = 'active'")
            ]
            models = [row[0] for row in store.execute("SELECT name FROM registered_models")]
        except sqlite3.OperationalError:  # a store MLflow has not created its tables in yet
            return [], []
    return experiments, models


def has_02_1(tracking_uri: str) -> bool:
    experiments, models = names_in_store(tracking_uri)
    return any(EXPERIMENT.match(name) for name in experiments) and any(MODEL.match(name) for name in models)


def run_02_1_until_model_is_registered() -> None:
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    last = next(
        number
        for number, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and "register_model(" in cell.source
    )
    notebook.cells = notebook.cells[: last + 1]
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()


@pytest.fixture
def store_with_02_1(monkeypatch, lanes_result_of):
    """The test run's MLflow store, holding what 02.1 writes; its tracking URI and artifact root."""
    monkeypatch.setenv(settings.HOME_ENV, os.environ.get(settings.HOME_ENV) or str(settings.TEST_HOME))
    monkeypatch.setenv(settings.SMALL_ENV, "1")
    monkeypatch.setenv(settings.TEST_RUN_ENV, "1")
    tracking_uri, artifact_root = setting("tracking-uri"), setting("artifact-root")
    lanes_result_of(NOTEBOOK)  # 02.1 in this session's lanes: its runs are over (its own test reports how)
    if not has_02_1(tracking_uri):
        run_02_1_until_model_is_registered()
        assert has_02_1(tracking_uri), f"02.1 ran but its experiment or model is not in {tracking_uri}"
    return tracking_uri, artifact_root


def mlflow_ui_command(port: int, tracking_uri: str, artifact_root: str) -> list[str]:
    """`make mlflow-ui`'s arguments, with this test's port and the test run's store."""
    recipe = make_recipe("mlflow-ui")
    arguments = re.search(r"bin/mlflow ui (.*)", recipe)
    assert arguments, f"no `.../mlflow ui ...` in the Makefile's mlflow-ui target:\n{recipe}"
    values = {"tracking-uri": tracking_uri, "artifact-root": artifact_root}
    line = re.sub(r"\$\$\(\$\(SETTING\) ([\w-]+)\)", lambda match: values[match.group(1)], arguments.group(1))
    line = line.replace("$(MLFLOW_PORT)", str(port))
    assert "$(" not in line, f"a Makefile variable this test does not know in: {line}"
    return [str(VENV_BIN / "mlflow"), "ui", *shlex.split(line)]


def close_announcement(page) -> None:
    """MLflow may greet a new browser with a modal announcement (of its new model registry UI) over the list,
    on whichever page comes first, a moment after the page itself.

    (Its assistant's side panel may open too, beside the list; it hides nothing the test looks at.)
    """
    announcement = page.get_by_role("dialog")
    try:
        announcement.first.wait_for(state="visible", timeout=3000)
    except PlaywrightTimeoutError:
        return
    if announcement.count() and announcement.first.is_visible():
        announcement.first.get_by_role("button", name="Close").click()
        announcement.first.wait_for(state="hidden")
        page.locator(".du-bois-light-modal-mask").first.wait_for(state="hidden")  # the grey veil fades out last


def test_mlflow_ui_lists_02_1_experiment_and_model(store_with_02_1, start_server, page, tmp_path):
    tracking_uri, artifact_root = store_with_02_1
    port = free_port()
    command = mlflow_ui_command(port, tracking_uri, artifact_root)
    os.makedirs(tracking_uri.removeprefix("sqlite:///").rsplit("/", 1)[0], exist_ok=True)  # as the Makefile does
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }  # as the Makefile's recipe sets it
    server = start_server(command, ROOT, env, tmp_path / "mlflow-ui.log")
    base = f"http://127.0.0.1:{port}"
    server.wait_until_answering(f"{base}/health", timeout=120)

    page.goto(f"{base}/#/experiments")
    experiment = page.get_by_role("link", name=EXPERIMENT)
    experiment.wait_for()
    close_announcement(page)
    screenshot(page, "mlflow-ui-experiments")

    experiment.click()
    # Its runs: 02.1's trainings, the packaged model last. Followed by address, not clicked: on a new browser
    # MLflow lays onboarding popovers over the experiment's overview.
    runs = page.get_by_role("link", name="Training runs").get_attribute("href")
    page.goto(f"{base}/{runs}")
    page.get_by_text("packaged model").first.wait_for()
    screenshot(page, "mlflow-ui-02.1-runs")

    page.goto(f"{base}/#/models")
    model = page.get_by_role("link", name=MODEL)
    model.wait_for()
    close_announcement(page)
    row = page.get_by_role("row").filter(has=model)
    assert "champion" in row.inner_text(), "02.1 gives its registered model the alias @champion"
    screenshot(page, "mlflow-ui-models")
