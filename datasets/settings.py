"""Where the dataset layer looks for files, read from environment variables.

Every function here reads the environment *when it is called*, so a test (or a
notebook cell) can change a variable and the next call sees it.

=====================  ======================================================
``COURSE_DATA_MIRROR``  Optional read-only folder laid out like the mirror
                        (``housing/housing.tgz``, ``fashion-mnist/...``).
                        Looked at first. A relative path is resolved against
                        the current directory, then against the repository.
``COURSE_DATA_CACHE``   Writable folder for downloads, same layout as the
                        mirror (default ``~/.cache/dl-course/data``).
``COURSE_SMALL_DATA``   ``1``/``true``/``yes`` selects the small variants
                        (used by CI and quick runs).
``KERAS_HOME``          Keras' own cache (default ``~/.keras``); files Keras
                        would download are copied there.
=====================  ======================================================
"""

from __future__ import annotations

import os
from pathlib import Path

MIRROR_ENV = "COURSE_DATA_MIRROR"
CACHE_ENV = "COURSE_DATA_CACHE"
SMALL_ENV = "COURSE_SMALL_DATA"
KERAS_HOME_ENV = "KERAS_HOME"

DEFAULT_CACHE = Path("~/.cache/dl-course/data")
DEFAULT_KERAS_HOME = Path("~/.keras")
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

_TRUE_WORDS = {"1", "true", "yes", "on"}


def mirror_dir() -> Path | None:
    """The mirror folder named by ``COURSE_DATA_MIRROR``, or None when unset.

    The folder is returned even if it does not exist: lookups inside it then
    simply find nothing, and the error message still names the variable.
    """
    value = os.environ.get(MIRROR_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    # A notebook runs in its own folder; "../shared/mirror" is meant from the
    # repository root, so try there before giving up.
    from_repository = REPOSITORY_ROOT / path
    return from_repository.resolve() if from_repository.exists() else path.absolute()


def cache_dir() -> Path:
    """The writable download cache (created on first use by the fetcher)."""
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_CACHE.expanduser()


def keras_home() -> Path:
    """Keras' cache folder: ``$KERAS_HOME`` or ``~/.keras``."""
    value = os.environ.get(KERAS_HOME_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_KERAS_HOME.expanduser()


def resolve_small(small: bool | None) -> bool:
    """Turn a loader's ``small`` argument into a decision.

    An explicit True/False wins; None means "ask ``COURSE_SMALL_DATA``".
    """
    if small is not None:
        return bool(small)
    return os.environ.get(SMALL_ENV, "").strip().lower() in _TRUE_WORDS
