"""Module 07's lab checks pass on a right answer and fail on a wrong one (tiny stand-in backbones)."""

import keras
import matplotlib
import numpy as np
import pytest
from keras import layers

from includes.labs.checks import LabCheckFailed
from includes.lessons.transfer_learning import checks
from includes.lessons.transfer_learning import helpers as transfer

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


def head_model(base, units=1, activation=None, extra_dense=False, functional=False):
    if functional:  # another correct style: the functional API, as in 07.1
        inputs = keras.Input(IMAGE)
        x = layers.GlobalMaxPooling2D()(base(layers.Rescaling(1 / 127.5, offset=-1.0)(inputs), training=False))
        return keras.Model(inputs, layers.Dense(units, activation=activation)(layers.Dropout(0.2)(x)))
    stack = [keras.Input(IMAGE), layers.Rescaling(1 / 127.5, offset=-1.0), base, layers.GlobalAveragePooling2D()]
    if extra_dense:
        stack.append(layers.Dense(3, activation="relu"))
    return keras.Sequential(stack + [layers.Dense(units, activation=activation)])


def compile_model(model, learning_rate, from_logits=True):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss=keras.losses.BinaryCrossentropy(from_logits=from_logits)
    )
    return model


def unfreeze(base, start_name="block_13_expand", batchnorm=False):
    base.trainable = True
    start = [layer.name for layer in base.layers].index(start_name)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and (batchnorm or not isinstance(layer, layers.BatchNormalization))


def test_frozen_backbone():
    checks.check_frozen_backbone(frozen_backbone(), IMAGE, FEATURES)


def test_frozen_backbone_layer_by_layer_is_also_right():
    base = tiny_backbone()
    for layer in base.layers:
        layer.trainable = False
    checks.check_frozen_backbone(base, IMAGE, FEATURES)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda: (tiny_backbone(), IMAGE, FEATURES), "`trainable` attribute"),  # not frozen
        (lambda: (frozen_backbone(), (16, 16, 3), FEATURES), "shape of the images"),  # default input size
        (lambda: (frozen_backbone(), IMAGE, (1000,)), "include the top layers"),  # include_top=True
    ],
)
def test_frozen_backbone_wrong(wrong, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_backbone(*wrong())
    assert hint in capsys.readouterr().out


@pytest.mark.parametrize(
    "head, from_logits",
    [
        (dict(), True),  # the solution: a logit and from_logits=True
        (dict(activation="sigmoid"), False),  # a sigmoid unit and the loss's default
        (dict(extra_dense=True), True),  # a hidden Dense layer in the head
        (dict(functional=True, activation="sigmoid"), False),  # functional API
    ],
)
def test_frozen_model_right(head, from_logits, capsys):
    base = frozen_backbone()
    checks.check_frozen_model(compile_model(head_model(base, **head), 1e-3, from_logits), base, IMAGE)
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "head, from_logits, hint",
    [
        (dict(units=2), True, "Two classes need one output"),  # one unit per class
        (dict(activation="sigmoid"), True, "end without activation and pass from_logits=True"),  # sigmoid + logits
        (dict(), False, "end without activation and pass from_logits=True"),  # logit + default loss
    ],
)
def test_frozen_model_wrong_head(head, from_logits, hint, capsys):
    base = frozen_backbone()
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_model(compile_model(head_model(base, **head), 1e-3, from_logits), base, IMAGE)
    assert hint in capsys.readouterr().out


def test_frozen_model_not_compiled(capsys):
    base = frozen_backbone()
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_model(head_model(base), base, IMAGE)
    assert "Compile the model with the binary cross-entropy" in capsys.readouterr().out


def test_frozen_model_needs_a_frozen_backbone_inside(capsys):
    base = tiny_backbone()  # trainable
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_model(compile_model(head_model(base), 1e-3), base, IMAGE)
    assert "Keep the backbone frozen" in capsys.readouterr().out
    other = frozen_backbone()
    with pytest.raises(LabCheckFailed):
        checks.check_frozen_model(compile_model(head_model(frozen_backbone()), 1e-3), other, IMAGE)
    assert "a second, unfrozen copy" in capsys.readouterr().out


@pytest.mark.parametrize("start, sigmoid", [("block_13_expand", False), ("Conv_1", False), ("block_13_expand", True)])
def test_fine_tuning_right(start, sigmoid, capsys):
    """The solution, a higher start (only the last convolution) and a sigmoid head all pass."""
    base = frozen_backbone()
    model = compile_model(head_model(base, activation="sigmoid" if sigmoid else None), 1e-3, not sigmoid)
    unfreeze(base, start)
    compile_model(model, 1e-5, not sigmoid)
    checks.check_fine_tuning(model, base, "block_13_expand")
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "mistake, hint",
    [
        ("not_recompiled", "take effect at the next compile"),
        ("large_rate", "take effect at the next compile"),
        ("batchnorm", "Keep every BatchNormalization layer frozen"),
        ("all_layers", "at 'block_13_expand' or higher"),
        ("still_frozen", "Make the backbone trainable again"),
        ("wrong_loss", "same loss as in step 2"),
    ],
)
def test_fine_tuning_wrong(mistake, hint, capsys):
    base = frozen_backbone()
    model = compile_model(head_model(base), 1e-3)
    if mistake == "all_layers":
        base.trainable = True
        for layer in base.layers:
            layer.trainable = not isinstance(layer, layers.BatchNormalization)
    elif mistake == "batchnorm":
        unfreeze(base, batchnorm=True)
    elif mistake != "still_frozen":
        unfreeze(base)
    if mistake != "not_recompiled":
        compile_model(model, 1e-3 if mistake == "large_rate" else 1e-5, from_logits=mistake != "wrong_loss")
    with pytest.raises(LabCheckFailed):
        checks.check_fine_tuning(model, base, "block_13_expand")
    assert hint in capsys.readouterr().out


def test_fine_tuning_after_freezing_layer_by_layer(capsys):
    """Keras 3: base.trainable = True changes nothing when the flag is already True (frozen layer by layer)."""
    base = tiny_backbone()
    for layer in base.layers:
        layer.trainable = False
    model = compile_model(head_model(base), 1e-3)
    base.trainable = True  # the learner thinks this unfreezes everything
    for layer in base.layers[: [layer.name for layer in base.layers].index("block_13_expand")]:
        layer.trainable = False
    compile_model(model, 1e-5)
    with pytest.raises(LabCheckFailed):
        checks.check_fine_tuning(model, base, "block_13_expand")
    assert "set each layer's own flag" in capsys.readouterr().out
    for layer in base.layers[3:]:  # the right way: each layer's own flag
        layer.trainable = not isinstance(layer, layers.BatchNormalization)
    compile_model(model, 1e-5)
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
    assert transfer.trainable_params(model) == FEATURES[-1] + 1  # the head only
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

    monkeypatch.setattr(
        datasets,
        "install_mobilenet_v2_weights",
        lambda: datasets.PretrainedWeights("imagenet", True, "STAND-IN for tests", "x.h5"),
    )
    chosen = transfer.mobilenet_v2_weights(verbose=False)
    assert chosen.weights == "imagenet" and chosen.pretrained and chosen.standin
    assert "STAND-IN" in chosen.description


def test_image_grid_shapes():
    images = np.random.default_rng(0).integers(0, 255, size=(7, 8, 8, 3)).astype("float32")
    figure = transfer.show_image_grid(images, ["a"] * 7, ncols=3, title_colors=["red"] * 7, suptitle="grid")
    assert len(figure.axes) == 9
    assert [ax.get_title() for ax in figure.axes[:7]] == ["a"] * 7
    matplotlib.pyplot.close(figure)
