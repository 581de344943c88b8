"""The compiled bytecode of an environment's packages, kept once per machine and handed to every new clone.

    python scripts/bytecode_cache.py restore SITE_PACKAGES CACHE_FOLDER   (exit 1: nothing cached yet)
    python scripts/bytecode_cache.py save SITE_PACKAGES CACHE_FOLDER

Setup compiles every package once (about 40 s on 2 cores, see ``compile_bytecode`` in scripts/uv_env.sh); a
second clone with the same lock would compile the same files again. ``save`` keeps the ``__pycache__`` files in
the course's cache folder, keyed by the setup's stamp; ``restore`` hard-links them into a new environment (a
second or so; copied where the cache is on another file system). The files are compiled with
``checked-hash`` invalidation: Python checks each one against its source's hash, so a cached file is used only
for the very source it was made from (hard-linked sources get new modification times per clone, which the
default timestamp check would reject), and a changed source is compiled again as usual.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from pathlib import Path

KEEP = 4  # cached environments kept per machine (about 0.5 GB each): the course's and two runtimes', and one more


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)


def save(site: Path, cache: Path) -> None:
    partial = cache.with_name(cache.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for folder in site.rglob("__pycache__"):
        target = partial / folder.relative_to(site)
        target.mkdir(parents=True, exist_ok=True)
        for compiled in folder.glob("*.pyc"):
            _link_or_copy(compiled, target / compiled.name)
    shutil.rmtree(cache, ignore_errors=True)
    partial.rename(cache)
    older = sorted(
        (path for path in cache.parent.iterdir() if path.is_dir() and path != cache and path.suffix != ".partial"),
        key=os.path.getmtime,
    )
    for path in older[: max(0, len(older) - (KEEP - 1))]:
        shutil.rmtree(path, ignore_errors=True)


def restore(site: Path, cache: Path) -> bool:
    if not cache.is_dir():
        return False
    for folder in cache.rglob("__pycache__"):
        package = site / folder.relative_to(cache).parent
        if not package.is_dir():  # a package this environment does not have
            continue
        target = package / "__pycache__"
        target.mkdir(exist_ok=True)
        for compiled in folder.iterdir():
            if not (target / compiled.name).exists():
                _link_or_copy(compiled, target / compiled.name)
    os.utime(cache)  # recently used: kept by save()'s pruning
    return True


def main(argv: list[str]) -> int:
    action, site, cache = argv
    if action == "save":
        save(Path(site), Path(cache))
        return 0
    if action == "restore":
        return 0 if restore(Path(site), Path(cache)) else 1
    raise SystemExit(f"unknown action {action!r}: save or restore")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
