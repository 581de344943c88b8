"""Fashion-MNIST through Keras' own loader, fed from verified files.

``keras.datasets.fashion_mnist.load_data()`` reads four gzip files from
``$KERAS_HOME/datasets/fashion-mnist/`` and downloads them only if they are
missing. We put verified copies there first, then call it: notebooks get the
familiar Keras API, and the bytes are checked (by their decompressed content,
since faithful copies may differ in their gzip wrapper).
"""

from __future__ import annotations

from pathlib import Path

from ..settings import resolve_small
from .fetch import fetch
from .keras_cache import homes_keras_reads, install_file

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
FASHION_MNIST_FILES = (
    "fashion-mnist/train-images-idx3-ubyte.gz",
    "fashion-mnist/train-labels-idx1-ubyte.gz",
    "fashion-mnist/t10k-images-idx3-ubyte.gz",
    "fashion-mnist/t10k-labels-idx1-ubyte.gz",
)
KERAS_SUBFOLDER = "datasets/fashion-mnist"
SMALL_TRAIN_SIZE = 6_000
SMALL_TEST_SIZE = 1_000


def install_fashion_mnist_for_keras(home: Path | None = None) -> Path:
    """Copy the four verified files into Keras' cache; return that folder."""
    folder = None
    for name in FASHION_MNIST_FILES:
        folder = install_file(fetch(name), KERAS_SUBFOLDER, home=home).parent
    return folder


def load_fashion_mnist(small: bool | None = None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras gives them.

    Images are uint8 arrays of shape (n, 28, 28), labels uint8 in 0..9 (see
    ``FASHION_MNIST_CLASSES``). Small mode keeps the first 6,000 training and
    the first 1,000 test images; the classes stay roughly balanced.
    """
    import keras  # imported here: importing Keras is slow and loads a backend

    for home in homes_keras_reads():
        install_fashion_mnist_for_keras(home)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    if resolve_small(small):
        x_train, y_train = x_train[:SMALL_TRAIN_SIZE], y_train[:SMALL_TRAIN_SIZE]
        x_test, y_test = x_test[:SMALL_TEST_SIZE], y_test[:SMALL_TEST_SIZE]
    return (x_train, y_train), (x_test, y_test)
