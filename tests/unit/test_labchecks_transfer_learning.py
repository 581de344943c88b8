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
    """The whole model of the lab's step 4: scaling, backbone, pooling, then a head (to fine-tune)."""
    if functional:  # another correct style: the functional API, as in 07.1
        inputs = keras.Input(IMAGE)
        x = layers.GlobalMaxPooling2D()(base(layers.Rescaling(1 / 127.5, offset=-1.0)(inputs), training=False))
        return keras.Model(inputs, layers.Dense(units, activation=activation)(layers.Dropout(0.2)(x)))
    stack = [keras.Input(IMAGE), layers.Rescaling(1 / 127.5, offset=-1.0), base, layers.GlobalAveragePooling2D()]
    if extra_dense:
        stack.append(layers.Dense(3, activation="relu"))
    return keras.Sequential(stack + [layers.Dense(units, activation=activation)])


def head_on_features(units=1, activation=None, extra_dense=False, functional=False, inputs=(FEATURES[-1],)):
    """The lab's step 3: a head from one feature vector to the output."""
    if functional:
        vector = keras.Input(inputs)
        hidden = layers.Dense(4, activation="relu")(layers.Dropout(0.2)(vector))
        return keras.Model(vector, layers.Dense(units, activation=activation)(hidden))
    stack = [keras.Input(inputs), layers.Dropout(0.2)]
    if extra_dense:
        stack.append(layers.Dense(3, activation="relu"))
    return keras.Sequential(stack + [layers.Dense(units, activation=activation)])


def assembled(base, head):
    """The lab's step 4: the trained head put back on the scaled, pooled backbone."""
    extractor = keras.Sequential(
        [keras.Input(IMAGE), layers.Rescaling(1 / 127.5, offset=-1.0), base, layers.GlobalAveragePooling2D()]
    )
    return keras.Sequential([keras.Input(IMAGE), extractor, head])


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


# --- step 2: the frozen features ------------------------------------------------------------------------------


def image_splits(train=10, val=6):
    """Two splits of single (image, label) pairs in file order, like the lab's cached `train_images`."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    splits = []
    for count in (train, val):
        images = rng.integers(0, 256, size=(count, *IMAGE)).astype("float32")
        labels = (np.arange(count) % 2).reshape(-1, 1).astype("float32")
        splits.append(tf.data.Dataset.from_tensor_slices((images, labels)))
    return splits


def extractor(base, scale=1 / 127.5, offset=-1.0, pooling=layers.GlobalAveragePooling2D):
    return keras.Sequential(
        [keras.Input(IMAGE), layers.Rescaling(scale, offset=offset), base, pooling()], name="feature_extractor"
    )


def extracted(feature_extractor, base, train_images, val_images, train_source=None):
    """What the learner passes to the check: the extractor, the backbone and both splits' features."""
    train_source = train_images if train_source is None else train_source
    return (
        feature_extractor,
        base,
        feature_extractor.predict(train_source.batch(4), verbose=0),
        feature_extractor.predict(val_images.batch(4), verbose=0),
        train_images,
        val_images,
    )


def test_features_solution(capsys):
    base = frozen_backbone()
    train_images, val_images = image_splits()
    checks.check_features(*extracted(extractor(base), base, train_images, val_images), IMAGE, FEATURES[-1])
    assert "✘" not in capsys.readouterr().out


def test_features_other_correct_design(capsys):
    """Max pooling, a functional model with MobileNetV2's own preprocessing function, other batch sizes: all right."""
    base = frozen_backbone()
    train_images, val_images = image_splits()
    inputs = keras.Input(IMAGE)
    scaled = layers.Lambda(keras.applications.mobilenet_v2.preprocess_input)(inputs)
    functional = keras.Model(inputs, layers.GlobalMaxPooling2D()(base(scaled, training=False)))
    train_features = functional.predict(train_images.batch(7), verbose=0)
    val_features = functional.predict(val_images.batch(64), verbose=0)
    checks.check_features(functional, base, train_features, val_features, train_images, val_images, IMAGE, FEATURES[-1])
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "mistake, hint",
    [
        ("shuffled", "not from the shuffled `train_ds`"),  # features taken from the training pipeline
        ("unscaled", "Scale the pixels from 0..255 to -1..1"),  # raw pixels into the backbone
        ("zero_one", "Scale the pixels from 0..255 to -1..1"),  # the old rescale=1/255 habit
        ("no_pooling", "turns the backbone's grid of feature maps into one vector"),  # the 4D maps as features
        ("one_batch", "not one batch"),  # a single batch through the extractor
        ("second_copy", "a second copy"),  # a new backbone inside the extractor
    ],
)
def test_features_wrong(mistake, hint, capsys):
    import tensorflow as tf

    base = frozen_backbone()
    train_images, val_images = image_splits()
    if mistake == "unscaled":
        answer = extracted(extractor(base, scale=1.0, offset=0.0), base, train_images, val_images)
    elif mistake == "zero_one":
        answer = extracted(extractor(base, scale=1 / 255, offset=0.0), base, train_images, val_images)
    elif mistake == "no_pooling":
        answer = extracted(extractor(base, pooling=layers.Identity), base, train_images, val_images)
    elif mistake == "second_copy":
        answer = extracted(extractor(frozen_backbone()), base, train_images, val_images)
    elif mistake == "shuffled":
        shuffled = train_images.shuffle(10, seed=1)
        answer = extracted(extractor(base), base, train_images, val_images, train_source=shuffled)
    else:  # one_batch
        model = extractor(base)
        first_batch = next(iter(train_images.batch(4)))[0]
        answer = (model, base, model.predict(first_batch, verbose=0), model.predict(val_images.batch(4), verbose=0))
        answer += (train_images, val_images)
    assert isinstance(answer[4], tf.data.Dataset)
    with pytest.raises(LabCheckFailed):
        checks.check_features(*answer, IMAGE, FEATURES[-1])
    assert hint in capsys.readouterr().out


# --- step 3: the head on the features ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head, from_logits",
    [
        (dict(), True),  # the solution: a logit and from_logits=True
        (dict(activation="sigmoid"), False),  # a sigmoid unit and the loss's default
        (dict(extra_dense=True), True),  # a hidden Dense layer in the head
        (dict(functional=True, activation="sigmoid"), False),  # functional API
    ],
)
def test_head_right(head, from_logits, capsys):
    checks.check_head(compile_model(head_on_features(**head), 1e-3, from_logits), FEATURES[-1])
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "head, from_logits, hint",
    [
        (dict(units=2), True, "Two classes need one output"),  # one unit per class
        (dict(activation="sigmoid"), True, "end without activation and pass from_logits=True"),  # sigmoid + logits
        (dict(), False, "end without activation and pass from_logits=True"),  # logit + default loss
        (dict(inputs=FEATURES), True, "the pooling is already in the feature extractor"),  # head on feature maps
    ],
)
def test_head_wrong(head, from_logits, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_head(compile_model(head_on_features(**head), 1e-3, from_logits), FEATURES[-1])
    assert hint in capsys.readouterr().out


def test_head_not_compiled(capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_head(head_on_features(), FEATURES[-1])
    assert "Compile the head with the binary cross-entropy" in capsys.readouterr().out


# --- step 5: fine-tuning -----------------------------------------------------------------------------------------


def test_fine_tuning_the_assembled_model(capsys):
    """The lab's way: the trained head, a model of its own, is the last layer; a sigmoid inside it is seen."""
    base = frozen_backbone()
    head = compile_model(head_on_features(activation="sigmoid"), 1e-3, from_logits=False)
    model = assembled(base, head)
    unfreeze(base)
    compile_model(model, 1e-5, from_logits=False)
    checks.check_fine_tuning(model, base, "block_13_expand")
    assert "✘" not in capsys.readouterr().out
    compile_model(model, 1e-5, from_logits=True)  # a sigmoid inside the head, but a loss told it gets logits
    with pytest.raises(LabCheckFailed):
        checks.check_fine_tuning(model, base, "block_13_expand")
    assert "same loss as the head's" in capsys.readouterr().out


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
        ("wrong_loss", "same loss as the head's in step 3"),
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
