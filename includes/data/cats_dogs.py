"""Cats vs. dogs: a folder ready for ``keras.utils.image_dataset_from_directory``.

The full set is Google's ``cats_and_dogs_filtered.zip``: 2,000 training and
1,000 validation JPEGs in ``train/{cats,dogs}`` and ``validation/{cats,dogs}``.
No hash is published for it, so the fetcher checks the per-folder counts and
decodes every image once (see :mod:`includes.data.verify`).

The small variant keeps 200 images per class for training and 100 per class
for validation: the first ones in natural order (``cat.0.jpg``, ``cat.1.jpg``,
…), which is deterministic and, as the Kaggle numbering is arbitrary, as good
as a random draw. It lives in the cache as symbolic links to the full set
(copies where links are not allowed) and is rebuilt when incomplete.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..settings import cache_dir, resolve_small
from .archives import publish_folder
from .fetch import fetch
from .verify import IMAGE_SUFFIXES

DATASET = "cats_and_dogs_filtered.zip"  # a manifest name (tests may swap in an entry)
SMALL_FOLDER_NAME = "cats_and_dogs_filtered_small"
SMALL_PER_CLASS = {"train": 200, "validation": 100}
COMPLETE_MARKER = ".subset.json"


def cats_vs_dogs_dir(small: bool | None = None) -> Path:
    """Folder with ``train/{cats,dogs}`` and ``validation/{cats,dogs}``.

    Full: the verified extracted tree (the mirror's, or the cache's after a
    download). Small: a 200/100-per-class subset built in the cache.
    """
    full = fetch(DATASET)
    if not resolve_small(small):
        return full
    return build_image_subset(full, cache_dir() / SMALL_FOLDER_NAME, SMALL_PER_CLASS)


def _natural_key(path: Path) -> list:
    """Sort ``cat.10.jpg`` after ``cat.9.jpg`` (numbers compared as numbers)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _choose(source: Path, per_split: Mapping[str, int]) -> dict[str, list[Path]]:
    """``{"train/cats": [first n image paths], ...}`` for every class folder."""
    chosen = {}
    for split, count in per_split.items():
        class_folders = sorted(p for p in (source / split).iterdir() if p.is_dir() and not p.name.startswith("."))
        for class_folder in class_folders:
            images = sorted(
                (
                    p
                    for p in class_folder.iterdir()
                    if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
                ),
                key=_natural_key,
            )
            if len(images) < count:
                raise ValueError(f"{class_folder} holds {len(images)} images, fewer than the {count} requested")
            chosen[f"{split}/{class_folder.name}"] = images[:count]
    return chosen


def _is_complete(target: Path, record: dict) -> bool:
    try:
        if json.loads((target / COMPLETE_MARKER).read_text(encoding="utf-8")) != record:
            return False
    except (OSError, ValueError):
        return False
    # exists() follows links, so a link whose original has gone counts as missing
    return all((target / relative).exists() for relative in record["files"])


def _link_or_copy(original: Path, link: Path) -> None:
    try:
        link.symlink_to(original.resolve())
    except (OSError, NotImplementedError):  # e.g. Windows without the privilege
        shutil.copy2(original, link)


def build_image_subset(source: Path, target: Path, per_split: Mapping[str, int]) -> Path:
    """Make ``target`` a subset of the image tree ``source`` and return it.

    ``per_split`` maps a split folder to the number of images kept per class,
    e.g. ``{"train": 200, "validation": 100}``; every class folder inside the
    split is included. A marker file records the source and the chosen files;
    if it matches and every file is present, nothing is done. Otherwise the
    subset is built in a temporary folder and renamed into place.
    """
    chosen = _choose(source, per_split)
    record = {
        "source": str(source.resolve()),
        "per_split": dict(per_split),
        "files": sorted(f"{folder}/{p.name}" for folder, paths in chosen.items() for p in paths),
    }
    if _is_complete(target, record):
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the subset is ordinary data
    try:
        for folder, paths in chosen.items():
            (staging / folder).mkdir(parents=True)
            for original in paths:
                _link_or_copy(original, staging / folder / original.name)
        (staging / COMPLETE_MARKER).write_text(json.dumps(record), encoding="utf-8")
        return publish_folder(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
