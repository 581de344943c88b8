"""Checking that a copy of a file (or an extracted folder) is the right one.

Each check returns ``None`` when the copy is good and otherwise a short
description of the problem ("sha256 is 3f2a…, expected d4cd…"), which the
fetcher turns into a log line or an error sentence. Returning a description
instead of raising keeps the decision (re-fetch? give up?) with the caller.

Which hash is checked for a file:

* ``content_sha256`` (for ``.gz``): the hash of the decompressed bytes, so a
  copy re-compressed by someone else still passes;
* ``sha256``: the whole canonical file;
* for a file found in the mirror, ``mirror_sha256`` replaces ``sha256`` when
  the mirror holds a stand-in.

A file with none of these known is accepted as it is (the manifest says so).

An extracted image archive without a published hash is checked by its
per-folder image counts and by decoding every image; the decoding is slow,
so its success is remembered in a marker file (see :func:`tree_problem`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from .manifest import DatasetEntry

CHUNK_SIZE = 1 << 20
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif"}


def sha256_of_file(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of_gzip_content(path: Path) -> str | None:
    """Hex sha256 of the decompressed bytes, or None if it is not valid gzip."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return digest.hexdigest()


def _short(hex_digest: str | None) -> str:
    return "unreadable" if hex_digest is None else hex_digest[:12] + "…"


def file_problem(path: Path, entry: DatasetEntry, *, from_mirror: bool = False) -> str | None:
    """None if ``path`` holds the bytes ``entry`` describes, else what is wrong."""
    if entry.content_sha256:
        actual = sha256_of_gzip_content(path)
        if actual != entry.content_sha256:
            return f"decompressed sha256 is {_short(actual)}, expected {_short(entry.content_sha256)}"
    expected = entry.mirror_sha256 if (from_mirror and entry.mirror_sha256) else entry.sha256
    if expected:
        actual = sha256_of_file(path)
        if actual != expected:
            return f"sha256 is {_short(actual)}, expected {_short(expected)}"
    return None


# --- Extracted image folders -------------------------------------------------


def _image_files(folder: Path) -> list[Path]:
    """The image files directly inside ``folder`` (hidden files ignored)."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def _iter_tree_images(root: Path, counts: Mapping[str, int]) -> Iterator[Path]:
    for class_folder in counts:
        yield from _image_files(root / class_folder)


def count_problem(root: Path, counts: Mapping[str, int]) -> str | None:
    """None if every ``class_folder`` under ``root`` holds exactly its count."""
    for class_folder, expected in counts.items():
        found = len(_image_files(root / class_folder))
        if found != expected:
            return f"{class_folder} holds {found} images, expected {expected}"
    return None


def image_file_problem(image_path: Path) -> str | None:
    """None if the file is a readable image, else the error's name.

    Two passes: PIL's ``verify()`` checks the file's structure (and, for PNG,
    its checksums) without decoding pixels, which would let a truncated JPEG
    through; so the image is then really decoded, in JPEG "draft" mode at
    1/8 scale, which still reads the whole compressed stream but is fast.
    """
    from PIL import Image

    try:
        with Image.open(image_path) as image:
            image.verify()
        with Image.open(image_path) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Exception as error:  # PIL raises many types for broken files
        return type(error).__name__
    return None


def decode_problem(root: Path, counts: Mapping[str, int]) -> str | None:
    """None if every image in the class folders decodes, else the first failure."""
    for image_path in _iter_tree_images(root, counts):
        error_name = image_file_problem(image_path)
        if error_name is not None:
            relative = image_path.relative_to(root).as_posix()
            return f"{relative} does not decode as an image ({error_name})"
    return None


def tree_fingerprint(root: Path, counts: Mapping[str, int]) -> str:
    """A cheap summary of the tree (names, sizes, modification times).

    If the fingerprint is unchanged since a successful verification, the
    images have not been touched and need not be decoded again.
    """
    digest = hashlib.sha256()
    for image_path in _iter_tree_images(root, counts):
        stat = image_path.stat()
        line = f"{image_path.relative_to(root).as_posix()}\t{stat.st_size}\t{stat.st_mtime_ns}\n"
        digest.update(line.encode())
    return digest.hexdigest()


def _marker_path(marker_dir: Path, entry: DatasetEntry, root: Path) -> Path:
    """One marker per (dataset, folder): the mirror's and the cache's trees differ."""
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in entry.name)
    folder_key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return marker_dir / f"{safe_name}-{folder_key}.json"


def tree_problem(root: Path, entry: DatasetEntry, marker_dir: Path) -> str | None:
    """Check an extracted image tree, decoding the images only once.

    Counts are checked every time (cheap). Decoding every image is slow, so
    after a success a marker file in ``marker_dir`` (inside the cache) records
    the tree's path and fingerprint; the next call with the same tree skips
    the decoding.
    """
    counts = entry.image_counts or {}
    problem = count_problem(root, counts)
    if problem:
        return problem
    marker = _marker_path(marker_dir, entry, root)
    fingerprint = tree_fingerprint(root, counts)
    expected_record = {"root": str(root.resolve()), "fingerprint": fingerprint}
    try:
        if json.loads(marker.read_text(encoding="utf-8")) == expected_record:
            return None
    except (OSError, ValueError):
        pass
    problem = decode_problem(root, counts)
    if problem:
        return problem
    marker.parent.mkdir(parents=True, exist_ok=True)
    temporary = marker.with_name(f".{marker.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(expected_record), encoding="utf-8")
    os.replace(temporary, marker)
    return None
