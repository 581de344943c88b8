"""includes.lessons.cnns.helpers: decoding image bytes, counted model loads, the ImageNet classifier fallback."""

import io

import keras
import numpy as np
import pytest
from PIL import Image

from includes.lessons.cnns import helpers as images


def jpeg_bytes(width=40, height=30, color=(200, 30, 10)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_decode_images_resizes_to_rgb_float():
    grey = io.BytesIO()
    Image.new("L", (10, 10), 128).save(grey, format="PNG")
    batch = images.decode_images([jpeg_bytes(), grey.getvalue()], size=16)
    assert batch.shape == (2, 16, 16, 3) and batch.dtype == np.float32
    assert abs(batch[0, 8, 8, 0] - 200) < 10 and abs(batch[1, 8, 8, 2] - 128) < 2
    assert images.decode_images([], size=16).shape == (0, 16, 16, 3)


@pytest.fixture
def saved_model(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    path = tmp_path / "tiny.keras"
    model.save(path)
    return path


def test_counted_loads(tmp_path, saved_model):
    """The decorator records each keras.models.load_model the function makes, however load_model was imported."""
    from collections.abc import Iterator

    from keras.models import load_model

    log_dir = tmp_path / "logs"
    assert images.model_loads(log_dir) == []

    @images.count_model_loads(log_dir)
    def predict(batches: Iterator[int]) -> Iterator[int]:
        model = keras.models.load_model(saved_model)
        for batch in batches:
            yield model.output_shape[-1] + batch + (0 * load_model(saved_model).output_shape[-1])

    assert predict.__name__ == "predict" and predict.__annotations__["batches"] == Iterator[int]
    assert list(predict(iter([1, 2]))) == [3, 4]
    assert len(images.model_loads(log_dir)) == 3  # one before the loop, one per batch
    keras.models.load_model(saved_model)  # outside the decorated function: not counted
    assert len(images.model_loads(log_dir)) == 3 and images.model_loads(log_dir)[0]["pid"] > 0
    images.reset_model_loads(log_dir)
    assert images.model_loads(log_dir) == []


def test_imagenet_classifier_falls_back_to_random_weights(monkeypatch):
    built = []

    def fake_mobilenet(weights):
        built.append(weights)
        if weights == "imagenet":
            raise Exception("URL fetch failure on https://example.invalid: None -- [Errno -2] Name unknown")
        return "model without weights"

    monkeypatch.setattr(keras.applications, "MobileNetV2", fake_mobilenet)
    model, weights = images.imagenet_mobilenet_v2(timeout_seconds=1)
    assert (model, weights.pretrained, weights.weights, built) == (
        "model without weights",
        False,
        None,
        ["imagenet", None],
    )
    assert "random weights" in weights.description and "Name unknown" in weights.description
