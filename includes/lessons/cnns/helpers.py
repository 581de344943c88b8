"""Images for module 06: decoding JPEG bytes, loading a saved model where Spark runs it, and an ImageNet classifier.

Spark's ``binaryFile`` source hands a pandas UDF the raw bytes of each file; :func:`decode_images` turns a
batch of them into the array a Keras CNN expects. :func:`count_model_loads` wraps a UDF's function so that
every ``keras.models.load_model`` it calls is recorded in a log file, so a notebook can show how often its UDF
loaded the model (a Python worker's own counters are invisible to the driver; a file in the working folder
is not). The UDF itself calls plain Keras.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from includes.data.pretrained import PretrainedWeights

LOAD_LOG = "model_loads.log"


def decode_images(contents: Iterable[bytes], size: int) -> np.ndarray:
    """JPEG/PNG bytes -> float32 array ``(n, size, size, 3)`` with values 0..255 (RGB, resized)."""
    from PIL import Image

    arrays = []
    for content in contents:
        with Image.open(io.BytesIO(content)) as image:
            arrays.append(np.asarray(image.convert("RGB").resize((size, size), Image.BILINEAR), dtype="float32"))
    return np.stack(arrays) if arrays else np.zeros((0, size, size, 3), dtype="float32")


def record_model_load(log_dir) -> None:
    """Append one line (process id, time) to ``log_dir/model_loads.log``."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / LOAD_LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {time.time():.3f}\n")


@contextlib.contextmanager
def _counting_loads(log_dir):
    """While active, every Keras model loaded from a ``.keras`` file in this process is recorded in ``log_dir``.

    ``keras.models.load_model`` (and ``keras.saving.load_model``, however it was imported) hands ``.keras``
    files to ``keras.src.saving.saving_lib.load_model``; wrapping that one function counts them all.
    """
    from keras.src.saving import saving_lib

    original = saving_lib.load_model

    def counted(*arguments, **keywords):
        model = original(*arguments, **keywords)
        record_model_load(log_dir)
        return model

    saving_lib.load_model = counted
    try:
        yield
    finally:
        saving_lib.load_model = original


def count_model_loads(log_dir):
    """Decorator for an iterator pandas UDF's function: record each model it loads, leave the rest untouched.

        @pandas_udf("int")
        @images.count_model_loads(log_dir)
        def predict(batches: Iterator[pd.Series]) -> Iterator[pd.Series]:
            model = keras.models.load_model(model_file)
            ...

    The function keeps its name and type hints, so ``pandas_udf`` still sees an iterator UDF. Measuring only:
    removing the decorator changes nothing else. Read the count with :func:`model_loads`.
    """
    import functools

    def decorate(function):
        @functools.wraps(function)
        def counted(batches):
            with _counting_loads(log_dir):
                yield from function(batches)

        return counted

    return decorate


def model_loads(log_dir) -> list[dict]:
    """The loads :func:`count_model_loads` recorded in ``log_dir``: ``[{"pid": ..., "time": ...}, ...]``."""
    log = Path(log_dir) / LOAD_LOG
    if not log.is_file():
        return []
    rows = [line.split() for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"pid": int(pid), "time": float(when)} for pid, when in rows]


def reset_model_loads(log_dir) -> None:
    """Forget the recorded loads (before a new measurement)."""
    (Path(log_dir) / LOAD_LOG).unlink(missing_ok=True)


def imagenet_mobilenet_v2(timeout_seconds: float = 10.0):
    """MobileNetV2 (224 px, with its 1,000-class ImageNet head): ``(model, PretrainedWeights)``.

    Tries the real ImageNet weights (Keras downloads them once into ``$KERAS_HOME/models``). Without
    internet that fails within ``timeout_seconds``; the same architecture is then built with random
    weights (``weights=None``), so every later step still runs, only the labels mean nothing.
    """
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout_seconds)  # a blocked network fails fast instead of hanging
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Keras prints "Downloading data from ..."
            model = keras.applications.MobileNetV2(weights="imagenet")
        return model, PretrainedWeights("imagenet", False, "real ImageNet weights (MobileNetV2, 224 px, 1,000 classes)")
    except Exception as error:  # no network, a proxy, a broken download: all mean "no weights"
        reason = str(error).split(" -- ")[-1][:120]
        model = keras.applications.MobileNetV2(weights=None)
        return model, PretrainedWeights(
            None, False, f"random weights: the ImageNet weights could not be downloaded ({reason})"
        )
    finally:
        socket.setdefaulttimeout(previous)
