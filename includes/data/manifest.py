"""The manifest: what each course file is, where it comes from, how to check it.

``datasets/manifest.json`` (the data catalogue at the top of the repository) holds one entry per file. Each entry
becomes a :class:`DatasetEntry`. The fields:

``name``              The key used in code: ``fetch("housing.tgz")``.
``url``               The canonical public URL; downloads come from here.
``filename``          The file name of the download.
``mirror_path``       Relative path inside the mirror (and inside the cache,
                      which uses the same layout).
``size``              Bytes of the copy whose hash is recorded (informative,
                      also the progress bar's total when the server sends none).
``sha256``            Hash of the whole canonical file, when known.
``content_sha256``    For ``.gz`` files: hash of the *decompressed* bytes. Two
                      gzip files with the same content can differ in their
                      header (timestamp, compression level), so this is the
                      check that holds for every faithful copy.
``mirror_sha256``     Hash of the mirror's copy when it is *not* the canonical
                      file (a stand-in); only used for files found in a mirror.
``mirror_is_standin`` True when the mirror's copy is a substitute.
``mirror_note``       What the stand-in is, to be shown wherever it is used.
``extracted_dir``     For archives the course uses extracted: the top folder
                      (also the archive's stem). ``fetch`` then returns this
                      folder instead of the archive.
``image_counts``      For extracted image archives that have no published
                      hash: ``{"train/cats": 1000, ...}``; the tree is checked
                      against these counts and every image is decoded once.
``licence``, ``description``  For people.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path, PurePosixPath

from ..settings import REPO_ROOT

MANIFEST_PATH = REPO_ROOT / "datasets" / "manifest.json"


@dataclass(frozen=True)
class DatasetEntry:
    """One file of the manifest (see the module docstring for the fields).

    Entries are immutable; make a variant with :func:`dataclasses.replace`,
    e.g. to point the fetcher at a test server::

        replace(get_entry("housing.tgz"), url="http://127.0.0.1:8000/housing.tgz")
    """

    name: str
    url: str
    filename: str
    mirror_path: str
    size: int | None = None
    sha256: str | None = None
    content_sha256: str | None = None
    licence: str = ""
    description: str = ""
    mirror_sha256: str | None = None
    mirror_is_standin: bool = False
    mirror_note: str | None = None
    extracted_dir: str | None = None
    image_counts: Mapping[str, int] | None = field(default=None, hash=False)

    @property
    def is_extracted_archive(self) -> bool:
        """True when the course uses this archive as an extracted folder."""
        return self.extracted_dir is not None

    @property
    def folder_path(self) -> str | None:
        """Relative path of the extracted folder (next to the archive)."""
        if self.extracted_dir is None:
            return None
        return str(PurePosixPath(self.mirror_path).parent / self.extracted_dir)

    def mirror_hint(self) -> str:
        """How to name this file to someone filling a mirror folder."""
        if self.folder_path is None:
            return self.mirror_path
        return f"{self.mirror_path} or the extracted folder {self.folder_path}/"


@cache
def _entries_from_file(path: Path) -> tuple[DatasetEntry, ...]:
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    known = {f.name for f in fields(DatasetEntry)}
    entries = []
    for item in raw["datasets"]:
        unknown = set(item) - known
        if unknown:
            raise ValueError(f"{path}: entry {item.get('name')!r} has unknown fields {sorted(unknown)}")
        entries.append(DatasetEntry(**item))
    return tuple(entries)


def entries() -> tuple[DatasetEntry, ...]:
    """Every entry of ``manifest.json``, in file order."""
    return _entries_from_file(MANIFEST_PATH)


def get_entry(name: str) -> DatasetEntry:
    """The entry called ``name`` (raises KeyError listing the valid names)."""
    for entry in entries():
        if entry.name == name:
            return entry
    valid = ", ".join(e.name for e in entries())
    raise KeyError(f"No dataset called {name!r} in the manifest; known: {valid}")


def as_entry(dataset: str | DatasetEntry) -> DatasetEntry:
    """Accept a name or an entry, return an entry."""
    return dataset if isinstance(dataset, DatasetEntry) else get_entry(dataset)


def describe():
    """The manifest as a pandas DataFrame (name, url, size, licence, description)."""
    import pandas as pd

    rows = [
        {"name": e.name, "url": e.url, "size": e.size, "licence": e.licence, "description": e.description}
        for e in entries()
    ]
    return pd.DataFrame(rows, columns=["name", "url", "size", "licence", "description"]).astype({"size": "Int64"})
