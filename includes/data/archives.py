"""Unpacking an archive into a folder, safely and atomically.

The archive is unpacked into a temporary folder next to the destination and
then renamed into place, so a crash never leaves a half-extracted tree under
the final name. Member paths that would escape the folder ("../x", "/etc/x")
are refused.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path


class ArchiveError(Exception):
    """The archive is unreadable or unsafe; ``str(error)`` is the reason."""


def _unpack(archive: Path, into: Path) -> None:
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(archive) as bundle:
                for member in bundle.namelist():
                    _refuse_escape(into, member)
                bundle.extractall(into)
        elif name.endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(archive) as bundle:
                for member in bundle.getnames():
                    _refuse_escape(into, member)
                if hasattr(tarfile, "data_filter"):
                    bundle.extractall(into, filter="data")
                else:  # Python < 3.11.4: members were checked above
                    bundle.extractall(into)
        else:
            raise ArchiveError(f"unknown archive type {archive.suffix!r}")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as error:
        raise ArchiveError(f"{type(error).__name__}: {error}".rstrip(".")) from error


def _refuse_escape(root: Path, member: str) -> None:
    target = (root / member).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ArchiveError(f"member {member!r} would be written outside the folder")


def extract_folder(archive: Path, top_folder: str, destination: Path) -> Path:
    """Unpack ``archive`` and move its ``top_folder`` to ``destination``.

    Archives usually hold one top folder (``cats_and_dogs_filtered/...``);
    if ``top_folder`` is missing, the archive's root itself is used. Whatever
    was at ``destination`` before is replaced.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    workspace = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    workspace.chmod(0o755)  # mkdtemp makes it private; it may become the destination
    try:
        _unpack(archive, workspace)
        source = workspace / top_folder
        return publish_folder(source if source.is_dir() else workspace, destination)
    finally:
        if workspace.exists():
            shutil.rmtree(workspace, ignore_errors=True)


def publish_folder(staging: Path, target: Path) -> Path:
    """Put a fully prepared folder in place of ``target`` (whatever stood there), by a rename.

    Readers see either the old content or the complete new one, never a half-built folder.
    """
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    return target
