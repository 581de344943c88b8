"""The course's datasets: canonical files, verified, cached, ready to load.

Every file the course uses is listed in ``datasets/manifest.json`` with its canonical
public URL and its checksum. :func:`fetch` finds a copy in this order:

1. the mirror folder ``$COURSE_DATA_MIRROR`` (offline machines, CI);
2. the cache ``$COURSE_DATA_CACHE`` (default ``~/.cache/dl-course/data``);
3. a download from the canonical URL into the cache.

and verifies it before handing it out. The loaders build on it::

    from includes.data import load_california_housing, describe
    X, y = load_california_housing()           # 20,640 x 8 features
    describe()                                 # what is used, from where

Set ``COURSE_SMALL_DATA=1`` (or pass ``small=True``) for the quick variants
used in CI.
"""

from .cats_dogs import build_image_subset, cats_vs_dogs_dir
from .errors import DatasetChecksumError, DatasetError, DatasetUnavailableError
from .fashion_mnist import FASHION_MNIST_CLASSES, install_fashion_mnist_for_keras, load_fashion_mnist
from .fetch import fetch
from .housing import FEATURE_NAMES as CALIFORNIA_HOUSING_FEATURES
from .housing import HousingSplit, california_housing_split, load_california_housing
from .manifest import DatasetEntry, describe, entries, get_entry
from .pretrained import (
    PretrainedWeights,
    imagenet_class_index,
    imagenet_class_index_path,
    install_imagenet_class_index_for_keras,
    install_mobilenet_v2_weights,
)

__all__ = [
    "CALIFORNIA_HOUSING_FEATURES",
    "DatasetChecksumError",
    "DatasetEntry",
    "DatasetError",
    "DatasetUnavailableError",
    "FASHION_MNIST_CLASSES",
    "HousingSplit",
    "PretrainedWeights",
    "build_image_subset",
    "california_housing_split",
    "cats_vs_dogs_dir",
    "describe",
    "entries",
    "fetch",
    "get_entry",
    "imagenet_class_index",
    "imagenet_class_index_path",
    "install_fashion_mnist_for_keras",
    "install_imagenet_class_index_for_keras",
    "install_mobilenet_v2_weights",
    "load_california_housing",
    "load_fashion_mnist",
]
