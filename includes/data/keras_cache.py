"""Placing verified files where Keras looks for its downloads.

Keras downloads datasets and weights itself (``keras.utils.get_file``) into
``$KERAS_HOME/<subfolder>/`` (``~/.keras`` by default) and skips the download
when the file is already there. Copying our verified file to that spot makes
the unchanged Keras call work offline, and with the same bytes on every
machine.

Note: Keras reads ``KERAS_HOME`` once, when it is imported. The functions
here read it when they are called, so set the variable before importing
Keras (or not at all). Older ``tf_keras`` ignores ``KERAS_HOME`` and always
uses ``~/.keras``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..settings import keras_home
from .verify import sha256_of_file


def install_file(source: Path, subfolder: str, filename: str | None = None, home: Path | None = None) -> Path:
    """Copy ``source`` to ``<home>/<subfolder>/<filename>`` unless already identical.

    ``home`` defaults to ``$KERAS_HOME`` (or ``~/.keras``). The copy is
    written under a temporary name and renamed, so Keras never sees half a
    file. Returns the destination path.
    """
    destination = (home or keras_home()) / subfolder / (filename or source.name)
    if destination.is_file() and destination.stat().st_size == source.stat().st_size:
        if sha256_of_file(destination) == sha256_of_file(source):
            return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary_name)
        os.replace(temporary_name, destination)
    finally:
        Path(temporary_name).unlink(missing_ok=True)
    return destination


def homes_keras_reads() -> list[Path]:
    """``$KERAS_HOME`` now, plus the home Keras fixed at import if it differs.

    Only meaningful after ``import keras``; used by loaders that call Keras.
    """
    homes = [keras_home()]
    config = sys.modules.get("keras.src.backend.config")
    keras_own = getattr(config, "keras_home", None)
    if callable(keras_own):
        imported_home = Path(keras_own()).expanduser()
        if imported_home.absolute() != homes[0].absolute():
            homes.append(imported_home)
    return homes
