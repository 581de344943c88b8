"""scripts/bytecode_cache.py: the packages' compiled files saved once per machine and linked into a new clone's
environment, where Python really uses them."""

from __future__ import annotations

import compileall
import importlib.util
import os
import py_compile
import subprocess
import sys

from includes import settings

spec = importlib.util.spec_from_file_location("bytecode_cache", settings.REPO_ROOT / "scripts" / "bytecode_cache.py")
bytecode_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bytecode_cache)


def make_site(folder, packages: dict[str, str]):
    for name, source in packages.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(source)
    return folder


def test_a_second_environment_gets_the_first_ones_compiled_files_and_python_uses_them(tmp_path):
    first = make_site(tmp_path / "first", {"alpha": "VALUE = 1\n", "beta": "VALUE = 2\n"})
    compileall.compile_dir(first, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    cache = tmp_path / "cache" / "stamp-cp311"
    cache.parent.mkdir()
    bytecode_cache.save(first, cache)

    # The same sources in a new place, with new modification times, and a package the first one lacked.
    second = make_site(tmp_path / "second", {"alpha": "VALUE = 1\n", "gamma": "VALUE = 3\n"})
    assert bytecode_cache.restore(second, cache)
    compiled = next((second / "alpha" / "__pycache__").glob("*.pyc"))
    assert compiled.stat().st_ino == next((first / "alpha" / "__pycache__").glob("*.pyc")).stat().st_ino
    assert not (second / "beta").exists() and not (second / "gamma" / "__pycache__").exists()

    # Python loads the linked file (verbose import says so) rather than compiling alpha again.
    loaded = subprocess.run(
        [sys.executable, "-v", "-c", "import alpha; print(alpha.VALUE)"],
        cwd=second,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "1" and f"matches {second / 'alpha' / '__init__.py'}" in loaded.stderr


def test_a_changed_source_is_compiled_again_not_taken_from_the_cache(tmp_path):
    first = make_site(tmp_path / "first", {"alpha": "VALUE = 1\n"})
    compileall.compile_dir(first, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    cache = tmp_path / "cache" / "stamp"
    cache.parent.mkdir()
    bytecode_cache.save(first, cache)
    second = make_site(tmp_path / "second", {"alpha": "VALUE = 'changed'\n"})
    bytecode_cache.restore(second, cache)
    loaded = subprocess.run(
        [sys.executable, "-c", "import alpha; print(alpha.VALUE)"], cwd=second, capture_output=True, text=True
    )
    assert loaded.stdout.strip() == "changed"


def test_nothing_cached_yet_says_so_and_old_caches_are_pruned(tmp_path):
    site = make_site(tmp_path / "site", {"alpha": "VALUE = 1\n"})
    assert not bytecode_cache.restore(site, tmp_path / "cache" / "missing")
    (tmp_path / "cache").mkdir()
    for number in range(bytecode_cache.KEEP + 2):
        bytecode_cache.save(site, tmp_path / "cache" / f"stamp{number}")
        os.utime(tmp_path / "cache" / f"stamp{number}", (number, number))  # oldest first
    kept = sorted(path.name for path in (tmp_path / "cache").iterdir())
    assert len(kept) == bytecode_cache.KEEP and f"stamp{bytecode_cache.KEEP + 1}" in kept
