"""``fetch``: get a verified local copy of a course file.

Lookup order, first hit wins:

1. the **mirror** (``$COURSE_DATA_MIRROR``), a read-only folder; its copy is
   used in place, never copied;
2. the **cache** (``$COURSE_DATA_CACHE``, default ``~/.cache/dl-course/data``),
   laid out exactly like the mirror, so a filled cache can serve as a mirror;
3. a **download** from the canonical URL into the cache.

Every copy is verified (see :mod:`includes.data.verify`). A download goes to a
temporary file in the cache folder, is verified there, and only then renamed
to its final name (an atomic step), so the cache never holds a half-written
or unverified file under a real name. A cached copy that fails verification
is deleted, with one log line, and fetched again. A bad copy in the mirror is
an error: the mirror is someone's deliberate setup and should be fixed, not
silently bypassed.

For an archive the course uses extracted (``extracted_dir`` in the manifest),
``fetch`` returns the extracted, verified folder. The mirror may hold either
the archive or that folder.

To test against another server, pass an entry instead of a name::

    fetch(dataclasses.replace(get_entry("housing.tgz"), url="http://127.0.0.1:8000/h.tgz"))
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from .. import settings
from .archives import ArchiveError, extract_folder
from .download import DownloadFailed, download
from .errors import DatasetChecksumError, DatasetUnavailableError
from .manifest import DatasetEntry, as_entry
from .verify import file_problem, tree_problem

logger = logging.getLogger(__name__)

MARKER_FOLDER = ".verified"


def fetch(dataset: str | DatasetEntry) -> Path:
    """Return the path of a verified copy of ``dataset`` (a name or an entry).

    Raises :class:`DatasetUnavailableError` when there is no copy and the
    download fails, :class:`DatasetChecksumError` when a mirror copy or a
    fresh download has the wrong bytes.
    """
    entry = as_entry(dataset)
    if entry.is_extracted_archive:
        return _fetch_extracted_archive(entry)
    return _fetch_file(entry)


# --- Single files ------------------------------------------------------------


def _fetch_file(entry: DatasetEntry) -> Path:
    mirrored = _in_mirror(entry.mirror_path, want_folder=False)
    if mirrored is not None:
        _require_good_mirror_copy(entry, mirrored, file_problem(mirrored, entry, from_mirror=True))
        return mirrored

    cached = settings.cache_dir() / entry.mirror_path
    if cached.is_file():
        problem = file_problem(cached, entry)
        if problem is None:
            return cached
        _log_refetch(entry, cached, problem)
        cached.unlink()

    _download_verified(entry, cached)
    return cached


def _download_verified(entry: DatasetEntry, destination: Path) -> None:
    """Download ``entry.url`` to ``destination`` via a verified temporary file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    os.close(handle)
    temporary = Path(temporary_name)
    try:
        try:
            download(entry.url, temporary, label=entry.name, expected_size=entry.size)
        except DownloadFailed as failure:
            raise DatasetUnavailableError(_unavailable_sentence(entry, str(failure))) from None
        problem = file_problem(temporary, entry)
        if problem is not None:
            raise DatasetChecksumError(
                f"The download of dataset '{entry.name}' from {entry.url} has the wrong bytes "
                f"({problem}) and was discarded; try again later, and if it keeps failing the file "
                f"at that URL has changed and the course manifest needs updating."
            )
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


# --- Archives used as extracted folders -------------------------------------------


def _fetch_extracted_archive(entry: DatasetEntry) -> Path:
    cache = settings.cache_dir()
    markers = cache / MARKER_FOLDER

    mirrored_folder = _in_mirror(entry.folder_path, want_folder=True)
    if mirrored_folder is not None:
        _require_good_mirror_copy(entry, mirrored_folder, tree_problem(mirrored_folder, entry, markers))
        return mirrored_folder

    extracted = cache / entry.folder_path
    mirrored_archive = _in_mirror(entry.mirror_path, want_folder=False)
    if mirrored_archive is not None:
        _require_good_mirror_copy(entry, mirrored_archive, file_problem(mirrored_archive, entry, from_mirror=True))
        if extracted.is_dir() and tree_problem(extracted, entry, markers) is None:
            return extracted
        _require_good_mirror_copy(
            entry, mirrored_archive, _extract_and_check(entry, mirrored_archive, extracted, markers)
        )
        return extracted

    if extracted.is_dir():
        problem = tree_problem(extracted, entry, markers)
        if problem is None:
            return extracted
        _log_refetch(entry, extracted, problem)
        shutil.rmtree(extracted)

    archive = cache / entry.mirror_path
    if archive.is_file():
        problem = file_problem(archive, entry) or _extract_and_check(entry, archive, extracted, markers)
        if problem is None:
            return extracted
        _log_refetch(entry, archive, problem)
        archive.unlink()

    _download_verified(entry, archive)
    problem = _extract_and_check(entry, archive, extracted, markers)
    if problem is not None:
        archive.unlink(missing_ok=True)
        raise DatasetChecksumError(
            f"The archive of dataset '{entry.name}' downloaded from {entry.url} does not hold the "
            f"expected files ({problem}) and was discarded; try again later, and if it keeps failing "
            f"the file at that URL has changed and the course manifest needs updating."
        )
    return extracted


def _extract_and_check(entry: DatasetEntry, archive: Path, extracted: Path, markers: Path) -> str | None:
    """Extract ``archive`` to ``extracted`` and verify the tree; None if good."""
    try:
        extract_folder(archive, entry.extracted_dir, extracted)
    except ArchiveError as error:
        return f"cannot unpack it: {error}"
    problem = tree_problem(extracted, entry, markers)
    if problem is not None:
        shutil.rmtree(extracted, ignore_errors=True)
    return problem


# --- Shared helpers ----------------------------------------------------------


def _in_mirror(relative_path: str, *, want_folder: bool) -> Path | None:
    """The mirror's file (or folder) at ``relative_path``, if there is one."""
    mirror = settings.mirror_dir()
    if mirror is None:
        return None
    candidate = mirror / relative_path
    found = candidate.is_dir() if want_folder else candidate.is_file()
    return candidate if found else None


def _require_good_mirror_copy(entry: DatasetEntry, path: Path, problem: str | None) -> None:
    if problem is not None:
        raise DatasetChecksumError(
            f"The mirror's copy of dataset '{entry.name}' at {path} failed verification ({problem}); "
            f"replace it with the file from {entry.url}, or unset {settings.MIRROR_ENV} to use the "
            f"cache and the download instead."
        )


def _log_refetch(entry: DatasetEntry, path: Path, problem: str) -> None:
    logger.warning(
        "Cached copy of '%s' at %s failed verification (%s); deleting it and fetching it again.",
        entry.name,
        path,
        problem,
    )


def _unavailable_sentence(entry: DatasetEntry, reason: str) -> str:
    mirror = settings.mirror_dir()
    where = f"the mirror ({mirror})" if mirror is not None else "the mirror"
    return (
        f"Could not get dataset '{entry.name}': no copy in {where} or cache and the download from "
        f"{entry.url} failed ({reason}); connect to the internet once, or set "
        f"{settings.MIRROR_ENV} to a folder that holds {entry.mirror_hint()}."
    )
