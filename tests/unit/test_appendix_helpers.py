"""The appendix helpers: images shaped for a CNN, the small CNN, labels flipped on purpose."""

import numpy as np
import pytest

from includes.lessons.appendix.helpers import flip_labels, small_cnn, to_cnn_input


def test_to_cnn_input_scales_and_adds_a_channel():
    images = np.array([[[0, 255], [51, 102]]], dtype="uint8")
    x = to_cnn_input(images)
    assert x.shape == (1, 2, 2, 1) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :, :, 0], [[0.0, 1.0], [0.2, 0.4]])


def test_small_cnn_outputs_logits_for_every_class():
    model = small_cnn(num_classes=10, filters=(2, 4), dense=8)
    assert model.output_shape == (None, 10)
    assert model.get_layer("conv1").kernel.shape == (3, 3, 1, 2)
    assert model.get_layer("logits").activation.__name__ == "linear"
    assert model.loss.from_logits


def test_flip_labels_changes_exactly_the_fraction_asked():
    labels = np.arange(1000) % 10
    noisy, flipped = flip_labels(labels, 0.05, num_classes=10, seed=1)
    assert len(flipped) == 50 and np.all(np.diff(flipped) > 0)
    assert np.all(noisy[flipped] != labels[flipped])
    unchanged = np.setdiff1d(np.arange(1000), flipped)
    assert np.array_equal(noisy[unchanged], labels[unchanged])
    assert noisy.min() >= 0 and noisy.max() <= 9
    assert np.array_equal(labels, np.arange(1000) % 10), "the input must not be modified"


def test_flip_labels_is_repeatable_and_checks_the_fraction():
    labels = np.zeros(200, dtype="int64")
    first, second = flip_labels(labels, 0.1, seed=3), flip_labels(labels, 0.1, seed=3)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert len(flip_labels(labels, 0.0)[1]) == 0
    with pytest.raises(ValueError):
        flip_labels(labels, 1.5)
