"""JupyterLab, started as `make course` starts it, opens the course and runs 01.1 through its menus."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex

import pytest
from browser_support import ROOT, SCREENSHOTS, VENV_BIN, free_port, make_recipe, screenshot

from includes import settings

NOTEBOOK_FOLDER, NOTEBOOK = "01_keras", "01.1_linear_regression.ipynb"
EXPECTED_TEXT = "Baseline to beat"  # printed by 01.1's last cell
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def course_command(port: int) -> tuple[list[str], str]:
    """`make course`'s `jupyter lab` arguments with this test's port, and the folder it starts in."""
    recipe = make_recipe("course")
    folder = re.search(r"cd (\S+) &&", recipe)
    arguments = re.search(r"bin/jupyter lab (.*)", recipe)
    assert folder and arguments, f"no `cd <folder> && .../jupyter lab ...` in the Makefile's course target:\n{recipe}"
    allow_root = "--allow-root" if os.getuid() == 0 else ""
    line = re.sub(r"\$\(if [^\n]*--allow-root,\)", allow_root, arguments.group(1)).replace("$(PORT)", str(port))
    assert "$(" not in line, f"a Makefile variable this test does not know in: {line}"
    return [str(VENV_BIN / "jupyter"), "lab", *shlex.split(line)], folder.group(1)


def write_lab_settings(folder) -> None:
    """This test's JupyterLab settings: never save the notebook (the course's notebooks carry no outputs),
    no news or update checks (they would pop a notification over the notebook, and need the network)."""
    for plugin, values in {
        "docmanager-extension/plugin": {"autosave": False},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        path = folder / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture
def committed_notebook():
    """01.1 as committed; if JupyterLab wrote to it anyway, it is put back (once the server has stopped)
    and the test fails."""
    path = ROOT / "notebooks" / NOTEBOOK_FOLDER / NOTEBOOK
    committed = path.read_bytes()
    yield path
    saved = path.read_bytes() != committed
    if saved:
        path.write_bytes(committed)
    assert not saved, "JupyterLab saved 01.1: the course's notebooks are committed without outputs"


def test_jupyterlab_runs_linear_regression(committed_notebook, start_server, page, tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    command, folder = course_command(port)
    # What a test needs on top of `make course`: a token of its own, no browser of the desktop, and
    # checkpoints kept out of the course's folders.
    command += [
        f"--IdentityProvider.token={token}",
        "--no-browser",
        f"--FileCheckpoints.checkpoint_dir={tmp_path / 'checkpoints'}",
    ]
    write_lab_settings(tmp_path / "lab-settings")

    env = {
        **os.environ,
        settings.SMALL_ENV: "1",
        settings.TEST_RUN_ENV: "1",
        settings.HOME_ENV: str(settings.TEST_HOME),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]),
        # this test's own Jupyter state: no saved workspace reopens other notebooks
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
    }
    server = start_server(command, ROOT / folder, env, tmp_path / "jupyterlab.log")
    base = f"http://127.0.0.1:{port}"
    server.wait_until_answering(f"{base}/api/status?token={token}")

    # The course as a learner first sees it: the file browser on notebooks/.
    page.goto(f"{base}/lab?token={token}")
    listing = page.locator(".jp-DirListing-content")
    listing.get_by_text(NOTEBOOK_FOLDER, exact=True).dblclick()
    listing.get_by_text(NOTEBOOK, exact=True).dblclick()
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator(".jp-Cell").first.wait_for()
    # JupyterLab asks which kernel to start (the notebook's own is preselected), as a learner sees it.
    kernel_dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))
    kernel_dialog.or_(kernel_idle).first.wait_for(timeout=60_000)
    if kernel_dialog.is_visible():
        kernel_dialog.get_by_role("button", name="Select").click()
    kernel_idle.wait_for(timeout=60_000)

    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

    # Done when every code cell shows an execution count ("[*]" while it runs, "[ ]" before).
    page.wait_for_function(
        """() => {
            const shown = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt';
            const prompts = [...document.querySelectorAll(shown)];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        timeout=120_000,
        polling=500,
    )

    tracebacks = [text for text in notebook.locator(STDERR_OUTPUT).all_inner_texts() if "Traceback" in text]
    errors = notebook.locator(".jp-OutputArea-output.jp-mod-error, [data-mime-type='application/vnd.jupyter.error']")
    assert not tracebacks and errors.count() == 0, f"01.1 failed in JupyterLab:\n{(tracebacks or [''])[0][-1500:]}"

    expected = notebook.locator(".jp-OutputArea-output", has_text=EXPECTED_TEXT)
    expected.wait_for()
    images = notebook.locator(".jp-OutputArea-output img")
    assert images.count() >= 2, "01.1's map and prediction plots should show as images"
    assert all(width > 0 for width in images.evaluate_all("imgs => imgs.map(img => img.naturalWidth)"))
    # The whole window at the end of the run, and the cell of the last plot on its own.
    expected.scroll_into_view_if_needed()
    screenshot(page, "jupyterlab-01.1-end")
    plot_cell = images.last.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' jp-CodeCell ')][1]")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    plot_cell.screenshot(path=str(SCREENSHOTS / "jupyterlab-01.1-plot-cell.png"))
