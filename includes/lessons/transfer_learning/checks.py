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


def _ends_in_sigmoid(model) -> bool:
    return _activation_name(model.layers[-1]) == "sigmoid"


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


def check_frozen_model(model, base_model, image_shape=(160, 160, 3)):
    """Step 2: a new head on the frozen backbone, one output with a matching loss; only the head trains."""
    from_logits = _loss_from_logits(getattr(model, "loss", None))
    sigmoid = value_or(False, _ends_in_sigmoid, model)
    with LabChecks("Step 2: the new head") as check:
        check(
            lambda: tuple(model.input_shape) == (None, *image_shape),
            ok="The model takes the images as they come from the dataset.",
            problem=f"The model's input should be {(None, *image_shape)}, not {model.input_shape}.",
            hint="The model's input is the dataset's images: IMAGE_SIZE with 3 colour channels.",
        )
        check(
            lambda: any(layer is base_model for layer in model.layers),
            ok="The backbone is part of the model.",
            problem="`base_model` is not one of the model's layers.",
            hint="Put the backbone you froze in step 1 between the scaling and the pooling (a new "
            "MobileNetV2 would be a second, unfrozen copy).",
        )
        check(
            lambda: tuple(model.output_shape) == (None, 1),
            ok="The head ends in one output unit: cat or dog.",
            problem=f"The model's output should have shape (None, 1), not {model.output_shape}.",
            hint="Two classes need one output: the score of `dogs` (label 1).",
        )
        check(
            from_logits is not None and from_logits != sigmoid,
            ok="The loss matches the output: " + ("a sigmoid probability." if sigmoid else "a logit."),
            problem=(
                "The model is not compiled with a binary cross-entropy."
                if from_logits is None
                else "The output is a sigmoid probability but the loss was told it gets logits."
                if sigmoid
                else "The output is a logit (no activation) but the loss expects a probability."
            ),
            hint=(
                "Compile the model with the binary cross-entropy loss."
                if from_logits is None
                else "Either end in a sigmoid and keep the loss's default, or end without activation and pass "
                "from_logits=True to the loss."
            ),
        )
        check(
            lambda: trainable_params(base_model) == 0 and 0 < trainable_params(model),
            ok=f"Only the head trains: {trainable_params(model):,} trainable parameters of {model.count_params():,}.",
            problem=f"The model has {trainable_params(model):,} trainable parameters, of which "
            f"{trainable_params(base_model):,} in the backbone; only the new head should train.",
            hint="Keep the backbone frozen while the new head learns, and give the head at least one Dense "
            "layer (GlobalAveragePooling2D turns the feature maps into one vector per image).",
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
    """Step 4: a top part of the backbone unfrozen (from ``lowest_start`` up at most; BatchNormalization
    excluded), recompiled with a small learning rate and the same kind of loss."""
    names = [layer.name for layer in base_model.layers]
    lowest = names.index(lowest_start)
    first = _first_trainable(base_model)
    rate = _learning_rate(model)
    from_logits = _loss_from_logits(getattr(model, "loss", None))
    sigmoid = value_or(False, _ends_in_sigmoid, model)
    above = [layer for layer in base_model.layers[first or 0 :] if layer.weights and not _is_batchnorm(layer)]
    with LabChecks("Step 4: fine-tuning the top blocks") as check:
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
            ok=f"The model is recompiled with a small learning rate ({rate:g})." if rate else "",
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
            hint="Compile with the same loss as in step 2.",
        )


def accuracy_bar(pretrained: bool) -> float:
    return PRETRAINED_BAR if pretrained else RANDOM_START_BAR


def check_validation_accuracy(val_accuracy: float, pretrained: bool, title: str = "Validation accuracy"):
    """Steps 3 and 5: how well the model does on images it never trained on."""
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
