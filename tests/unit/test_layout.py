"""The layout a newcomer relies on: one room per module, named like its notebook folder, and imports
that only point the way the wings are stacked (see includes/README.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from includes.settings import REPO_ROOT

INCLUDES = REPO_ROOT / "includes"
LESSONS = INCLUDES / "lessons"
MODULE_FOLDERS = sorted(
    path for path in (REPO_ROOT / "notebooks").iterdir() if path.is_dir() and re.match(r"^\d\d_", path.name)
)
ROOMS = sorted(path for path in LESSONS.iterdir() if (path / "__init__.py").exists())

# What each wing may import from the rest of the package: nothing points back up or sideways.
ALLOWED = {
    "settings": set(),
    "setup": {"settings", "setup", "labs"},  # setup_course() shows lab errors plainly
    "data": {"settings", "data"},
    "labs": {"settings", "labs"},
    "common": {"settings", "setup", "data", "labs", "common"},
    "lessons": {"settings", "setup", "data", "labs", "common", "lessons"},
}


def test_every_module_folder_has_its_room_and_every_room_a_module():
    topics = {folder.name.split("_", 1)[1] for folder in MODULE_FOLDERS}
    rooms = {room.name for room in ROOMS}
    assert topics == rooms, (
        f"notebooks/NN_<topic>/ and includes/lessons/<topic>/ must match: "
        f"folders without a room {sorted(topics - rooms)}, rooms without a folder "
        f"{sorted(rooms - topics)}"
    )


@pytest.mark.parametrize("room", ROOMS, ids=lambda p: p.name)
def test_a_room_holds_helpers_and_checks_only(room):
    modules = {path.name for path in room.glob("*.py")} - {"__init__.py"}
    assert modules, f"includes/lessons/{room.name}/ is empty"
    assert all(name == "helpers.py" or name.endswith("checks.py") for name in modules), (
        f"includes/lessons/{room.name}/ should hold helpers.py and checks.py, found {sorted(modules)}"
    )


def test_the_data_catalogue_holds_no_code():
    """`datasets` is Hugging Face's package name: the course's loaders live in includes.data."""
    assert not list((REPO_ROOT / "datasets").glob("*.py"))


def _wing(path: Path) -> str:
    relative = path.relative_to(INCLUDES)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _course_imports(path: Path) -> list[tuple[str, str]]:
    """(wing, room) of every part of the course a module imports, at any depth."""
    tree = ast.parse(path.read_text())
    package = list(path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [alias.name] for alias in node.names] if not node.module else [target]
            else:
                names = [node.module.split(".")] if node.module else []
        elif isinstance(node, ast.Import):
            names = [alias.name.split(".") for alias in node.names]
        else:
            continue
        for parts in names:
            if parts and parts[0] == "includes" and len(parts) > 1:
                found.append((parts[1], parts[2] if len(parts) > 2 else ""))
    return found


PACKAGE_MODULES = sorted(
    path for path in INCLUDES.rglob("*.py") if path.parent != INCLUDES or path.name == "settings.py"
)


@pytest.mark.parametrize("path", PACKAGE_MODULES, ids=lambda p: str(p.relative_to(INCLUDES)))
def test_imports_follow_the_wings(path):
    wing = _wing(path)
    if path.name == "settings.py" and wing == "settings":
        tree = ast.parse(path.read_text())
        top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        assert not any(
            getattr(node, "level", 0) or (getattr(node, "module", "") or "").startswith("includes")
            for node in top_level
        ), "includes/settings.py must import nothing of the course at load"
        return
    wrong = [f"includes.{target}" for target, _ in _course_imports(path) if target not in ALLOWED[wing]]
    assert not wrong, f"{path.relative_to(REPO_ROOT)} ({wing}) imports {wrong}: see includes/README.md"
    if wing == "lessons":
        room = path.relative_to(LESSONS).parts[0]
        other = [
            f"includes.lessons.{r}" for target, r in _course_imports(path) if target == "lessons" and r and r != room
        ]
        assert not other, f"{path.relative_to(REPO_ROOT)} imports another module's room {other}"


CHECK_MODULES = sorted(LESSONS.glob("*/*checks.py"))


@pytest.mark.parametrize("path", CHECK_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_checks_run_learner_code_only_through_the_one_runner(path):
    """An `except` in a check module could swallow a blank; attempt()/value_or() let it through."""
    handlers = [node.lineno for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.ExceptHandler)]
    assert not handlers, (
        f"{path.relative_to(REPO_ROOT)} catches exceptions itself (lines {handlers}): "
        "run the learner's code through includes.labs.checks.attempt() or value_or()"
    )
