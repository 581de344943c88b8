"""Runtime parity (`make test-runtime RUNTIME=...`): the runtime requirement files and the expected stops.

The files in requirements/runtimes/ record what a Databricks ML runtime ships; scripts/runtime_env.sh builds
an environment from one of them plus the course's install step (requirements/databricks-<runtime>.txt), and
tests/runtime/plugin.py turns the notebooks that cannot run there by design into checks of their one sentence.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.notebooks.lanes import NotebookJob
from tests.runtime import plugin

ROOT = Path(__file__).resolve().parents[2]
RUNTIMES_DIR = ROOT / "requirements" / "runtimes"
RUNTIME_FILES = sorted(p for p in RUNTIMES_DIR.glob("*.txt") if re.fullmatch(r"\d+\.\d+", p.stem))
RUNTIMES = [p.stem for p in RUNTIME_FILES]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([0-9][0-9A-Za-z.+!\-]*)(\s+#\s*\S.*)?$")

# Where the course's install step replaces a runtime's version on purpose, and why (the install step's
# files say the same in their header comments).
DELIBERATE_UPGRADES = {
    ("15.4", "mlflow"): "MLflow 3's log_model(name=...) and models:/m-... URIs; the runtime has 2.13.1",
    ("15.4", "shap"): "SHAP 0.44's DeepExplainer cannot read a Keras 3 model (05.1); the runtime has 0.44.0",
    ("17.3", "mlflow"): "the MLflow the notebooks were tested with, over the runtime's 3.0.1",
}


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


def version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.+]", version))


def test_there_is_a_file_for_15_4_and_for_the_current_lts():
    assert {"15.4", "17.3"} <= set(RUNTIMES)


@pytest.mark.parametrize("path", RUNTIME_FILES, ids=RUNTIMES)
def test_every_line_is_a_comment_or_an_exact_pin(path):
    for number, line in enumerate(path.read_text().splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        assert PIN.match(text), f"{path.name}:{number} is not `name==version  # optional comment`: {line!r}"
    names = [re.split(r"==", line)[0].lower() for line in path.read_text().splitlines() if PIN.match(line.strip())]
    assert len(names) == len(set(names)), f"{path.name} pins a package twice"


@pytest.mark.parametrize("path", RUNTIME_FILES, ids=RUNTIMES)
def test_the_header_names_the_release_notes_the_date_read_and_the_python(path):
    header = path.read_text().split("\n\n")[0]
    sources = re.findall(r"^# source: (\S+)$", header, re.MULTILINE)
    assert sources and all(url.startswith("https://") for url in sources), f"{path.name}: no `# source: https://...`"
    assert any(f"/{path.stem}lts-ml" in url for url in sources), f"{path.name}: no link to its own release notes"
    read = re.search(r"^# read: (\d{4}-\d{2}-\d{2})$", header, re.MULTILINE)
    assert read, f"{path.name}: no `# read: YYYY-MM-DD`"
    assert date.fromisoformat(read.group(1)) <= date.today()
    assert re.search(r"^# python: 3\.\d+$", header, re.MULTILINE), f"{path.name}: no `# python: 3.X`"


@pytest.mark.parametrize("path", RUNTIME_FILES, ids=RUNTIMES)
def test_the_course_s_core_libraries_are_all_recorded(path):
    recorded = pins(path)
    for name in ("pyspark", "mlflow", "tensorflow-cpu", "keras", "torch", "numpy", "pandas", "pyarrow"):
        assert name in recorded, f"{path.name} does not record {name}"


def test_horovod_is_recorded_where_the_runtime_has_it_and_only_there():
    assert "horovod" in pins(RUNTIMES_DIR / "15.4.txt")
    assert "horovod" not in pins(RUNTIMES_DIR / "17.3.txt")
    assert "hyperopt" not in pins(RUNTIMES_DIR / "17.3.txt")  # gone since 17.0 ML; the install step adds it


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_install_step_only_adds_or_deliberately_upgrades(runtime):
    runtime_pins = pins(RUNTIMES_DIR / f"{runtime}.txt")
    step = ROOT / "requirements" / f"databricks-{runtime}.txt"
    assert step.exists(), f"no install step file for runtime {runtime}"
    for name, version in pins(step).items():
        if name not in runtime_pins or runtime_pins[name] == version:
            continue
        reason = DELIBERATE_UPGRADES.get((runtime, name))
        assert reason, (
            f"requirements/databricks-{runtime}.txt pins {name}=={version} over the runtime's "
            f"{runtime_pins[name]}: make it a deliberate upgrade (DELIBERATE_UPGRADES) or match the runtime"
        )
        assert version_key(version) > version_key(runtime_pins[name]), f"{name}: the install step downgrades"


def test_every_deliberate_upgrade_is_still_one():
    for runtime, name in DELIBERATE_UPGRADES:
        runtime_version = pins(RUNTIMES_DIR / f"{runtime}.txt")[name]
        step_version = pins(ROOT / "requirements" / f"databricks-{runtime}.txt")[name]
        assert step_version != runtime_version, f"{runtime} {name}: no longer an upgrade, drop it from the list"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_the_test_tools_do_not_move_a_runtime_or_install_step_pin(runtime):
    tools = pins(RUNTIMES_DIR / "test-tools.txt")
    given = pins(RUNTIMES_DIR / f"{runtime}.txt") | pins(ROOT / "requirements" / f"databricks-{runtime}.txt")
    clashes = {
        name: (version, given[name]) for name, version in tools.items() if name in given and given[name] != version
    }
    assert not clashes, f"test tools contradict runtime {runtime}: {clashes}"


def test_the_scripts_parse_and_the_make_target_is_documented():
    for script in ("runtime_env.sh", "horovod.sh", "setup.sh"):
        subprocess.run(["bash", "-n", str(ROOT / "scripts" / script)], check=True)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test-runtime:", makefile, re.MULTILINE)
    assert "make test-runtime RUNTIME=" in makefile  # in `make help`
    assert "source scripts/horovod.sh" in (ROOT / "scripts" / "setup.sh").read_text()


def test_an_unknown_runtime_stops_with_one_sentence():
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "runtime_env.sh"), "9.9", "--resolve-only"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "there is no requirements/runtimes/9.9.txt" in result.stderr
    assert "15.4" in result.stderr and "17.3" in result.stderr


# --- expected stops -----------------------------------------------------------------------------------
def test_an_ordinary_test_run_expects_no_stops(monkeypatch):
    monkeypatch.delenv(plugin.RUNTIME_ENV, raising=False)
    assert plugin.current_runtime() is None
    assert plugin.expected_stops() == {}


def test_on_17_3_the_horovod_and_petastorm_notebooks_are_expected_to_stop(monkeypatch):
    monkeypatch.setenv(plugin.RUNTIME_ENV, "17.3")
    stops = plugin.expected_stops()
    assert set(stops) == {
        "notebooks/04_distributed/04.1_petastorm.ipynb",
        "notebooks/04_distributed/04.2_horovod.ipynb",
        "notebooks/04_distributed/04.2L_horovod_petastorm_lab.ipynb",
        "notebooks/04_distributed/solutions/04.2L_horovod_petastorm_lab.ipynb",
    }
    assert all((ROOT / name).exists() for name in stops)
    assert plugin.expected_stops("15.4") == {}


def test_every_runtime_file_has_a_list_of_stops_and_an_unknown_runtime_is_refused():
    assert set(RUNTIMES) <= set(plugin.EXPECTED_STOPS)
    with pytest.raises(ValueError, match="no list of expected stops"):
        plugin.expected_stops("99.1")


def test_the_expected_sentence_is_what_require_horovod_says_on_a_runtime_without_horovod(monkeypatch):
    import importlib.util

    from includes.lessons.distributed import helpers
    from includes.setup.environment import CourseSetupError

    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(CourseSetupError) as stop:
        helpers.require_horovod()
    assert plugin.same_sentence(str(stop.value), plugin.NO_HOROVOD)


def test_the_expected_sentence_is_what_require_petastorm_says_where_pyarrow_is_too_new(monkeypatch):
    import builtins

    from includes.lessons.distributed import helpers
    from includes.setup.environment import CourseSetupError

    real_import = builtins.__import__

    def import_as_on_pyarrow_16(name, *args, **kwargs):
        if name.startswith("petastorm"):
            raise ModuleNotFoundError("No module named 'pyarrow.filesystem'")
        return real_import(name, *args, **kwargs)

    helpers.require_petastorm()  # Petastorm imports here
    monkeypatch.setattr(builtins, "__import__", import_as_on_pyarrow_16)
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    with pytest.raises(CourseSetupError) as stop:
        helpers.require_petastorm()
    assert plugin.same_sentence(str(stop.value), plugin.NO_PETASTORM)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION")
    monkeypatch.delenv(plugin.RUNTIME_ENV, raising=False)
    with pytest.raises(CourseSetupError, match=r"Petastorm does not import in this environment \(No module"):
        helpers.require_petastorm()


def test_the_sentence_is_compared_without_caring_for_line_breaks():
    assert plugin.same_sentence("This runtime has\n no   Horovod.", "This runtime has no Horovod.")
    assert not plugin.same_sentence("Horovod is not installed in this environment.", plugin.NO_HOROVOD)


def _notebook_item(path, mode="twice"):
    return SimpleNamespace(callspec=SimpleNamespace(params={"job": NotebookJob(path, mode)}))


def _deselect(items):
    deselected = []
    config = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items)))
    plugin.pytest_collection_modifyitems(config, items)
    return deselected


def test_the_run_leaves_out_the_notebooks_and_labs_that_stop_by_design_and_only_those(monkeypatch):
    monkeypatch.setenv(plugin.RUNTIME_ENV, "17.3")
    horovod_demo = _notebook_item(ROOT / "notebooks/04_distributed/04.2_horovod.ipynb")
    horovod_lab = _notebook_item(ROOT / "notebooks/04_distributed/04.2L_horovod_petastorm_lab.ipynb", "to-first-blank")
    torch_demo = _notebook_item(ROOT / "notebooks/04_distributed/04.3_torch_distributor.ipynb")
    unit_test = SimpleNamespace()  # no parameters at all
    items = [horovod_demo, horovod_lab, torch_demo, unit_test]
    assert _deselect(items) == [horovod_demo, horovod_lab]
    assert items == [torch_demo, unit_test]
    monkeypatch.setenv(plugin.RUNTIME_ENV, "15.4")
    items = [horovod_demo, torch_demo]
    assert _deselect(items) == [] and items == [horovod_demo, torch_demo]


def test_without_the_variable_the_plugin_changes_nothing(monkeypatch):
    monkeypatch.delenv(plugin.RUNTIME_ENV, raising=False)
    items = [_notebook_item(ROOT / "notebooks/04_distributed/04.2L_horovod_petastorm_lab.ipynb")]
    plugin.pytest_collection_modifyitems(SimpleNamespace(hook=None), items)
    assert len(items) == 1
    assert plugin.pytest_report_header(None) is None


def test_a_runtime_imitation_accepts_the_runtimes_python_and_says_the_runtimes_horovod_sentence(monkeypatch):
    """Under `make test-runtime` the course behaves as on the runtime it imitates: its Python (3.12 on 17.3) is
    accepted, and a runtime without Horovod stops 04.2 with the runtime's sentence, not "run make setup"."""
    from includes import settings
    from includes.lessons.distributed import helpers
    from includes.setup import environment

    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    with pytest.raises(environment.CourseSetupError):
        environment.check_python((3, 12, 1))
    monkeypatch.setenv(settings.RUNTIME_PARITY_ENV, "17.3")
    environment.check_python((3, 12, 1))
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(environment.CourseSetupError, match="This Databricks runtime has no Horovod"):
        helpers.require_horovod()
