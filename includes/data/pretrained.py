"""Files Keras applications download: the ImageNet class index and weights.

``keras.applications.*.decode_predictions`` needs ``imagenet_class_index.json``
and ``MobileNetV2(..., weights="imagenet")`` needs its weights file; both are
looked up in ``$KERAS_HOME/models/`` before Keras tries the network. The
``install_*`` functions put verified copies there.

The offline mirror's MobileNetV2 file is a *stand-in* (a real pretrained
backbone, but not the canonical ImageNet weights).
:func:`install_mobilenet_v2_weights` says which file was installed, so a
notebook can print it next to any result obtained with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from .fetch import fetch
from .keras_cache import install_file
from .manifest import get_entry
from .verify import sha256_of_file

IMAGENET_CLASS_INDEX = "imagenet_class_index.json"
MOBILENET_V2_WEIGHTS = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5"
KERAS_MODELS_SUBFOLDER = "models"


@dataclass(frozen=True)
class PretrainedWeights:
    """Which weights a Keras application starts from, and what they are: every route to pretrained weights
    in the course (the data layer, 06's ImageNet classifier, 07's backbone) returns one of these."""

    weights: str | None  # what to pass as ``weights=``: "imagenet" (a file Keras finds) or None (random start)
    standin: bool  # True: the course mirror's labelled stand-in, not the canonical file
    description: str  # one sentence to print next to every result
    path: Path | None = None  # the installed file, when there is one

    @property
    def pretrained(self) -> bool:
        return self.weights is not None

    def described_as(self, description: str) -> PretrainedWeights:
        return replace(self, description=description)


def imagenet_class_index_path() -> Path:
    """Path of the verified ``imagenet_class_index.json``."""
    return fetch(IMAGENET_CLASS_INDEX)


def imagenet_class_index() -> dict[str, list[str]]:
    """``{"0": ["n01440764", "tench"], ...}``: 1,000 ImageNet classes."""
    with open(imagenet_class_index_path(), encoding="utf-8") as handle:
        return json.load(handle)


def install_imagenet_class_index_for_keras() -> Path:
    """Copy the class index to ``$KERAS_HOME/models/``; return the copy's path."""
    return install_file(imagenet_class_index_path(), KERAS_MODELS_SUBFOLDER)


def install_mobilenet_v2_weights() -> PretrainedWeights:
    """Copy the MobileNetV2 160 px no-top weights to ``$KERAS_HOME/models/``.

    Returns ``PretrainedWeights("imagenet", standin, note, path)``. ``standin`` and
    ``note`` come from the file's own HDF5 attributes ``standin`` and
    ``standin_note`` (read with h5py); without h5py, the file is recognised
    by the stand-in's hash recorded in the manifest.
    """
    entry = get_entry(MOBILENET_V2_WEIGHTS)
    installed = install_file(fetch(entry), KERAS_MODELS_SUBFOLDER, entry.filename)
    standin, note = _standin_attributes(installed)
    if standin is None:  # h5py unavailable: fall back to the recorded hash
        standin = bool(entry.mirror_is_standin and sha256_of_file(installed) == entry.mirror_sha256)
        note = entry.mirror_note if standin else None
    if not note:
        note = (
            entry.mirror_note
            if standin
            else "Canonical Keras ImageNet weights for MobileNetV2 (alpha 1.0, 160 px, no top)."
        )
    return PretrainedWeights("imagenet", bool(standin), note, installed)


def _standin_attributes(path: Path) -> tuple[bool | None, str | None]:
    """``(standin, note)`` from the HDF5 root attributes; ``(None, None)`` without h5py."""
    try:
        import h5py
    except ImportError:
        return None, None
    with h5py.File(path, "r") as weights:
        flag = weights.attrs.get("standin", False)
        note = weights.attrs.get("standin_note")
    if isinstance(flag, bytes):
        flag = flag.decode()
    if isinstance(flag, str):
        flag = flag.strip().lower() in {"1", "true", "yes"}
    if isinstance(note, bytes):
        note = note.decode()
    return bool(flag), (str(note) if note is not None else None)
