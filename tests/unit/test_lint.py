"""The code is lint-clean and formatted (ruff, configured in pyproject.toml), and the pre-commit hooks are valid.

Runs the course's pinned ruff on the whole repository, notebooks included: the same commands a contributor's
pre-commit hook runs, so a change that skipped the hook still cannot land.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from includes.settings import REPO_ROOT

TOOLS = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(TOOLS)) or shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing from the course's environment: run `make setup`")
        pytest.skip(f"{name} is not installed here; `make setup` installs it")
    return found


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing_to_fix():
    result = run(tool("ruff"), "check", "--no-fix", "--output-format", "concise", ".")
    assert result.returncode == 0, f"ruff check found problems (fix them, or `ruff check --fix`):\n{result.stdout}"


def test_everything_is_formatted():
    result = run(tool("ruff"), "format", "--check", ".")
    assert result.returncode == 0, f"run `.venv/bin/ruff format` on:\n{result.stdout}"


def test_pre_commit_configuration_is_valid():
    result = run(tool("pre-commit"), "validate-config", ".pre-commit-config.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
