"""Checks for the lab of module 07 (transfer learning, 07.2L)."""

from __future__ import annotations

from includes.labs.checks import LabChecks, value_or

from .helpers import trainable_params

PRETRAINED_BAR = 0.90  # with pretrained (or the mirror's stand-in) weights
RANDOM_START_BAR = 0.40  # weights=None: no better than guessing is expected, only a working pipeline


def _activation_name(layer) -> str:
    return getattr(getattr(layer, "activation", None), "__name__", "none")


def _is_batchnorm(layer) -> bool:
    return layer.__class__.__name__ == "BatchNormalization"


def _learning_rate(model) -> float | None:
    """The compiled optimizer's learning rate, or None if the model is not compiled."""
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def _loss_from_logits(loss) -> bool | None:
    """Whether the compiled loss expects logits (None: no loss, or not a binary cross-entropy)."""
    if loss is None:
        return None
    name = loss if isinstance(loss, str) else getattr(loss, "name", "") or type(loss).__name__
    if "binary" not in str(name).lower():
        return None
    return bool(getattr(loss, "from_logits", False) or getattr(loss, "_fn_kwargs", {}).get("from_logits", False))


def _output_layer(model):
    """The layer that makes the output, looking inside a model used as the last layer (a trained head)."""
    layer = model.layers[-1]
    while getattr(layer, "layers", None):
        layer = layer.layers[-1]
    return layer


def _ends_in_sigmoid(model) -> bool:
    return _activation_name(_output_layer(model)) == "sigmoid"


def check_frozen_backbone(base_model, input_shape=(160, 160, 3), feature_shape=(5, 5, 1280)):
    """Step 1: MobileNetV2 without its ImageNet classifier, all weights frozen (however they were frozen)."""
    grid = "×".join(str(size) for size in feature_shape[:-1]) or "single"
    with LabChecks("Step 1: the frozen backbone") as check:
        check(
            lambda: tuple(base_model.input_shape) == (None, *input_shape),
            ok=f"The backbone takes {input_shape[0]}×{input_shape[1]} colour images.",
            problem=f"The backbone's input should be {(None, *input_shape)}, not {base_model.input_shape}.",
            hint="Tell the application the shape of the images (IMAGE_SIZE and 3 colour channels); without "
            "it, Keras builds it for its default image size.",
        )
        check(
            lambda: tuple(base_model.output_shape) == (None, *feature_shape),
            ok=f"It ends in a {grid} grid of {feature_shape[-1]} features: no ImageNet classifier on top.",
            problem=f"The backbone should output feature maps {(None, *feature_shape)}, not {base_model.output_shape}.",
            hint="Leave out the 1,000-class ImageNet classifier: the applications have an argument for "
            "whether to include the top layers.",
        )
        check(
            lambda: trainable_params(base_model) == 0,
            ok="All its weights are frozen.",
            problem=f"The backbone still has {trainable_params(base_model):,} trainable parameters.",
            hint="Freeze the backbone through its `trainable` attribute (the whole model at once, or every layer).",
        )


def _first_images(dataset, count: int = 4):
    """The first ``count`` images of a dataset of single (image, label) pairs, as one batch."""
    images, _labels = next(iter(dataset.take(count).batch(count)))
    return images


def _examples(dataset) -> int:
    import tensorflow as tf

    count = int(dataset.cardinality())
    return count if count >= 0 and count != int(tf.data.INFINITE_CARDINALITY) else sum(1 for _ in dataset)


def _reference_features(base_model, images, scale):
    """What the frozen backbone gives for ``images`` after ``scale``: average- and max-pooled vectors."""
    import keras

    maps = keras.ops.convert_to_numpy(base_model(scale(images), training=False))
    return maps.mean(axis=(1, 2)), maps.max(axis=(1, 2))


def _close(a, b) -> bool:
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-2, atol=1e-3))


def check_features(
    feature_extractor,
    base_model,
    train_features,
    val_features,
    train_images,
    val_images,
    image_shape=(160, 160, 3),
    feature_size=1280,
):
    """Step 2: a model from images to one vector per image through the frozen backbone (scaled as it was
    trained, pooled any way), and each split's features extracted once, one row per image in label order."""
    import keras
    import numpy as np

    images = _first_images(train_images)
    extracted = value_or(None, lambda: keras.ops.convert_to_numpy(feature_extractor(images, training=False)))
    scalings = {"[-1, 1]": lambda x: x / 127.5 - 1.0, "[0, 1]": lambda x: x / 255.0, "[0, 255]": lambda x: x}
    matches = {
        name: any(_close(extracted, reference) for reference in _reference_features(base_model, images, scale))
        for name, scale in scalings.items()
    }
    rows = {"training": (train_features, train_images), "validation": (val_features, val_images)}
    with LabChecks("Step 2: the frozen features") as check:
        check(
            lambda: tuple(feature_extractor.input_shape) == (None, *image_shape),
            ok="The feature extractor takes the dataset's images.",
            problem=f"The feature extractor's input should be {(None, *image_shape)}, not "
            f"{feature_extractor.input_shape}.",
            hint="Its input is the dataset's images: IMAGE_SIZE with 3 colour channels.",
        )
        check(
            lambda: any(layer is base_model for layer in feature_extractor.layers),
            ok="The frozen backbone is part of it.",
            problem="`base_model` is not one of the feature extractor's layers.",
            hint="Use the backbone you froze in step 1 (a new MobileNetV2 would be a second copy, and "
            "fine-tuning `base_model` later would not change it).",
        )
        check(
            lambda: tuple(feature_extractor.output_shape) == (None, feature_size),
            ok=f"It turns each image into one vector of {feature_size:,} features.",
            problem=f"Its output should be {(None, feature_size)}, not {feature_extractor.output_shape}.",
            hint="End with a layer that turns the backbone's grid of feature maps into one vector per image "
            "(the 2D global poolings).",
        )
        check(
            matches["[-1, 1]"],
            ok="Its features are the backbone's, on pixels scaled to [-1, 1] as MobileNetV2 was trained.",
            problem=(
                "Its output is not the pooled output of `base_model` on these images."
                if extracted is None or not any(matches.values())
                else "It feeds the backbone pixels in "
                + next(name for name, found in matches.items() if found)
                + ", not the [-1, 1] MobileNetV2 was trained on."
            ),
            hint="Scale the pixels from 0..255 to -1..1 before the backbone (a Rescaling layer with a scale "
            "and an offset), and put nothing else between the scaling, the backbone and the pooling.",
        )
        for split, (features, dataset) in rows.items():
            expected = (_examples(dataset), feature_size)
            check(
                tuple(np.shape(features)) == expected,
                ok=f"One row of features per {split} image: {expected}.",
                problem=f"The {split} features have shape {np.shape(features)}, not {expected}.",
                hint="Run every image of the split through the feature extractor (its predict method takes a "
                "batched dataset), not one batch.",
            )
        check(
            lambda: _close(np.asarray(train_features)[: len(images)], extracted),
            ok="Row i of the training features belongs to image i, so to label i.",
            problem="The first rows of the training features are not the first training images' features: "
            "the rows are not in the order of the labels.",
            hint="Extract from the unshuffled images (`train_images`, batched), not from the shuffled `train_ds`: "
            "the labels are in file order.",
        )


def check_head(head, feature_size=1280):
    """Step 3: a head from one feature vector to one output, compiled with a loss that matches it."""
    from_logits = _loss_from_logits(getattr(head, "loss", None))
    sigmoid = value_or(False, _ends_in_sigmoid, head)
    with LabChecks("Step 3: the new head") as check:
        check(
            lambda: tuple(head.input_shape) == (None, feature_size),
            ok=f"The head takes one vector of {feature_size:,} features per image.",
            problem=f"The head's input should be {(None, feature_size)}, not {head.input_shape}.",
            hint="The head learns from the extracted features: its input is one row of `train_features` "
            "(the pooling is already in the feature extractor).",
        )
        check(
            lambda: tuple(head.output_shape) == (None, 1),
            ok="It ends in one output unit: cat or dog.",
            problem=f"The head's output should have shape (None, 1), not {head.output_shape}.",
            hint="Two classes need one output: the score of `dogs` (label 1).",
        )
        check(
            from_logits is not None and from_logits != sigmoid,
            ok="The loss matches the output: " + ("a sigmoid probability." if sigmoid else "a logit."),
            problem=(
                "The head is not compiled with a binary cross-entropy."
                if from_logits is None
                else "The output is a sigmoid probability but the loss was told it gets logits."
                if sigmoid
                else "The output is a logit (no activation) but the loss expects a probability."
            ),
            hint=(
                "Compile the head with the binary cross-entropy loss."
                if from_logits is None
                else "Either end in a sigmoid and keep the loss's default, or end without activation and pass "
                "from_logits=True to the loss."
            ),
        )
        check(
            lambda: 0 < trainable_params(head),
            ok=f"{trainable_params(head):,} trainable parameters: all of them will learn.",
            problem="The head has no trainable weights.",
            hint="Give the head at least one Dense layer.",
        )


def _first_trainable(base_model) -> int | None:
    """Index of the lowest backbone layer (BatchNormalization aside) with trainable weights, or None."""
    return next(
        (
            index
            for index, layer in enumerate(base_model.layers)
            if layer.trainable and layer.trainable_weights and not _is_batchnorm(layer)
        ),
        None,
    )


def check_fine_tuning(model, base_model, lowest_start: str, max_learning_rate: float = 1e-4):
    """Step 5: a top part of the backbone unfrozen (from ``lowest_start`` up at most; BatchNormalization
    excluded), recompiled with a small learning rate and the same kind of loss."""
    names = [layer.name for layer in base_model.layers]
    lowest = names.index(lowest_start)
    first = _first_trainable(base_model)
    rate = _learning_rate(model)
    from_logits = _loss_from_logits(getattr(model, "loss", None))
    sigmoid = value_or(False, _ends_in_sigmoid, model)
    above = [layer for layer in base_model.layers[first or 0 :] if layer.weights and not _is_batchnorm(layer)]
    with LabChecks("Step 5: fine-tuning the top blocks") as check:
        check(
            first is not None,
            ok=f"The backbone trains from '{names[first]}' up." if first is not None else "",
            problem="No layer of the backbone is trainable: only the head would fine-tune.",
            hint="Make the backbone trainable again, then freeze the layers you keep. If you froze it layer by "
            "layer, base_model.trainable is still True and setting it to True again changes nothing: "
            "set each layer's own flag.",
        )
        if first is None:
            return
        check(
            first >= lowest,
            ok=f"Everything below '{names[first]}' stays frozen ({first} layers).",
            problem=f"The backbone trains from '{names[first]}' (layer {first}), lower than '{lowest_start}': "
            "the general low-level features would be retrained on a few thousand images.",
            hint=f"Freeze every layer below the start you choose, at '{lowest_start}' or higher.",
        )
        check(
            all(layer.trainable for layer in above),
            ok="Every layer above the start trains (except BatchNormalization).",
            problem="Some layers above the start are still frozen: unfreeze one contiguous top part.",
            hint="Choose one start layer; everything from it up trains, everything below stays frozen.",
        )
        check(
            not any(layer.trainable for layer in base_model.layers if _is_batchnorm(layer)),
            ok="Every BatchNormalization layer stays frozen, in inference mode.",
            problem="Some BatchNormalization layers are trainable: they would re-estimate their statistics "
            "from small batches and shift the features the head was trained on.",
            hint="Keep every BatchNormalization layer frozen, in the top blocks too (check each layer's type).",
        )
        check(
            rate is not None and rate <= max_learning_rate,
            ok=f"The model is compiled with a small learning rate ({rate:g})." if rate else "",
            problem=(
                f"The learning rate is {rate:g}; fine-tuning needs at most {max_learning_rate:g}, "
                "and a recompile after changing `trainable`."
                if rate is not None
                else "The model is not compiled."
            ),
            hint=(
                "Changes to `trainable` take effect at the next compile: compile again, with a learning "
                "rate 10 to 100 times smaller than for the head."
            ),
        )
        check(
            from_logits is not None and from_logits != sigmoid,
            ok="The loss still matches the output.",
            problem="The new compile's loss does not match the model's output (logit or sigmoid).",
            hint="Compile with the same loss as the head's in step 3.",
        )


def accuracy_bar(pretrained: bool) -> float:
    return PRETRAINED_BAR if pretrained else RANDOM_START_BAR


def check_validation_accuracy(val_accuracy: float, pretrained: bool, title: str = "Validation accuracy"):
    """Steps 4 and 6: how well the model does on images it never trained on."""
    bar = accuracy_bar(pretrained)
    reason = (
        "pretrained backbone weights were loaded"
        if pretrained
        else "no pretrained weights were available (weights=None), so only a working pipeline is checked"
    )
    print(f"Bar: validation accuracy >= {bar:.2f}, because {reason}.")
    with LabChecks(title) as check:
        check(
            val_accuracy >= bar,
            ok=f"Validation accuracy {val_accuracy:.3f} (bar {bar:.2f}).",
            problem=f"Validation accuracy {val_accuracy:.3f} is below the bar of {bar:.2f}.",
            hint="Check that the backbone gets pixels scaled to the [-1, 1] it was trained on, that it is "
            "frozen while the head trains, and that the accuracy metric's threshold fits the output "
            "(0 for a logit, 0.5 for a probability).",
        )
