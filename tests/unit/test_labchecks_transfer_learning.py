"""Module 07's lab checks pass on a right answer and fail on a wrong one (tiny stand-in backbones)."""
import keras
import matplotlib
import numpy as np
import pytest
from keras import layers

from includes.lessons.transfer_learning import helpers as transfer
from includes.labs.checks import LabCheckFailed
from includes.lessons.transfer_learning import checks

matplotlib.use("Agg")

IMAGE = (8, 8, 3)
FEATURES = (6, 6, 5)


def tiny_backbone():
    """Shaped like a small MobileNetV2: lower block, a top block named like MobileNetV2's, BatchNormalization."""
    inputs = keras.Input(IMAGE)
    x = layers.Conv2D(4, 3, name="block_1_project")(inputs)
    x = layers.BatchNormalization(name="block_1_project_BN")(x)
    x = layers.Conv2D(6, 1, name="block_13_expand")(x)
    x = layers.BatchNormalization(name="block_13_expand_BN")(x)
    x = layers.Conv2D(FEATURES[-1], 1, name="Conv_1")(x)
    return keras.Model(inputs, x, name="tiny_backbone")


def frozen_backbone():
    base = tiny_backbone()
    base.trainable = False
    return base


def head_model(base, units=1, activation=None, extra_dense=False):
    stack = [keras.Input(IMAGE), layers.Rescaling(1 / 127.5, offset=-1.0), base, layers.GlobalAveragePooling2D()]
    if extra_dense:
        stack.append(layers.Dense(3))
    return keras.Sequential(stack + [layers.Dense(units, activation=activation)])


def compile_model(model, learning_rate):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))


def unfreeze(base, start_name="block_13_expand", batchnorm=False):
    base.trainable = True
    start = [layer.name for layer in base.layers].index(start_name)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and (batchnorm or not isinstance(layer, layers.BatchNormalization))


def test_frozen_backbone():
    checks.check_frozen_backbone(frozen_backbone(), IMAGE, FEATURES)
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_backbone(tiny_backbone(), IMAGE, FEATURES)  # not frozen
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_backbone(frozen_backbone(), (16, 16, 3), FEATURES)  # other input size
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_backbone(frozen_backbone(), IMAGE, (1000,))  # "include_top=True"


def test_frozen_model():
    base = frozen_backbone()
    checks.check_frozen_model(head_model(base), base, IMAGE)


@pytest.mark.parametrize("wrong", [dict(units=2), dict(activation="sigmoid"), dict(extra_dense=True)])
def test_frozen_model_wrong_head(wrong):
    base = frozen_backbone()
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_model(head_model(base, **wrong), base, IMAGE)


def test_frozen_model_needs_a_frozen_backbone_inside():
    base = tiny_backbone()  # trainable
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_model(head_model(base), base, IMAGE)
    other = frozen_backbone()
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_model(head_model(frozen_backbone()), other, IMAGE)  # not the same backbone


def test_fine_tuning_right():
    base = frozen_backbone()
    model = head_model(base)
    compile_model(model, 1e-3)
    unfreeze(base)
    compile_model(model, 1e-5)
    checks.check_fine_tuning(model, base, "block_13_expand")


@pytest.mark.parametrize("mistake", ["not_recompiled", "large_rate", "batchnorm", "all_layers", "still_frozen"])
def test_fine_tuning_wrong(mistake):
    base = frozen_backbone()
    model = head_model(base)
    compile_model(model, 1e-3)
    if mistake == "all_layers":
        base.trainable = True
    elif mistake == "batchnorm":
        unfreeze(base, batchnorm=True)
    elif mistake != "still_frozen":
        unfreeze(base)
    if mistake != "not_recompiled":
        compile_model(model, 1e-3 if mistake == "large_rate" else 1e-5)
    with pytest.raises(LabCheckFailed):
        checks.check_fine_tuning(model, base, "block_13_expand")


def test_fine_tuning_uncompiled_model_fails_cleanly():
    base = tiny_backbone()
    unfreeze(base)
    with pytest.raises(LabCheckFailed):
        checks.check_fine_tuning(head_model(base), base, "block_13_expand")


def test_validation_accuracy_bars(capsys):
    checks.check_validation_accuracy(0.93, pretrained=True)
    assert "0.90" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):
        checks.check_validation_accuracy(0.85, pretrained=True)
    checks.check_validation_accuracy(0.52, pretrained=False)
    assert "weights=None" in capsys.readouterr().out
    with pytest.raises(LabCheckFailed):
        checks.check_validation_accuracy(0.2, pretrained=False)


def test_trainable_params_counts_only_trainable_weights():
    base = frozen_backbone()
    model = head_model(base)
    assert transfer.trainable_params(model) == FEATURES[-1] + 1
    assert transfer.count_params(model.weights) == model.count_params()


def test_weights_fall_back_to_random_start(monkeypatch, capsys):
    import includes.data as datasets
    from includes.data import DatasetUnavailableError

    def unavailable():
        raise DatasetUnavailableError("no copy")

    monkeypatch.setattr(datasets, "install_mobilenet_v2_weights", unavailable)
    chosen = transfer.mobilenet_v2_weights()
    assert chosen.weights is None and not chosen.pretrained and not chosen.standin
    assert "weights=None" in capsys.readouterr().out


def test_weights_say_when_they_are_a_standin(monkeypatch):
    import includes.data as datasets

    monkeypatch.setattr(datasets, "install_mobilenet_v2_weights",
                        lambda: datasets.PretrainedWeights("imagenet", True, "STAND-IN for tests", "x.h5"))
    chosen = transfer.mobilenet_v2_weights(verbose=False)
    assert chosen.weights == "imagenet" and chosen.pretrained and chosen.standin
    assert "STAND-IN" in chosen.description


def test_image_grid_shapes():
    images = np.random.default_rng(0).integers(0, 255, size=(7, 8, 8, 3)).astype("float32")
    figure = transfer.show_image_grid(images, ["a"] * 7, ncols=3, title_colors=["red"] * 7, suptitle="grid")
    assert len(figure.axes) == 9
    assert [ax.get_title() for ax in figure.axes[:7]] == ["a"] * 7
    matplotlib.pyplot.close(figure)
