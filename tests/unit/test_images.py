"""includes.lessons.cnns.helpers: decoding image bytes, counted and cached model loads, the ImageNet classifier fallback."""
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
    log_dir = tmp_path / "logs"
    assert images.model_loads(log_dir) == []
    for _ in range(3):
        model = images.load_counted_model(saved_model, log_dir)
    assert model.output_shape == (None, 2)
    assert len(images.model_loads(log_dir)) == 3
    images.reset_model_loads(log_dir)
    assert images.model_loads(log_dir) == []


def test_model_for_this_process_loads_once(tmp_path, saved_model, monkeypatch):
    monkeypatch.setattr(images, "_MODELS", {})
    log_dir = tmp_path / "logs"
    first = images.model_for_this_process(saved_model, log_dir)
    assert images.model_for_this_process(str(saved_model), log_dir) is first
    loads = images.model_loads(log_dir)
    assert len(loads) == 1 and loads[0]["pid"] > 0
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)]).save(saved_model)  # the file changes
    assert images.model_for_this_process(saved_model, log_dir).output_shape == (None, 5)
    assert len(images.model_loads(log_dir)) == 2


def test_imagenet_classifier_falls_back_to_random_weights(monkeypatch):
    built = []

    def fake_mobilenet(weights):
        built.append(weights)
        if weights == "imagenet":
            raise Exception("URL fetch failure on https://example.invalid: None -- [Errno -2] Name unknown")
        return "model without weights"

    monkeypatch.setattr(keras.applications, "MobileNetV2", fake_mobilenet)
    model, weights = images.imagenet_mobilenet_v2(timeout_seconds=1)
    assert (model, weights.pretrained, weights.weights, built) == ("model without weights", False, None,
                                                                   ["imagenet", None])
    assert "random weights" in weights.description and "Name unknown" in weights.description
