"""Checks for the lab of module 07 (transfer learning, 07.2L)."""
from __future__ import annotations

from includes.labs.checks import LabChecks
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


def check_frozen_backbone(base_model, input_shape=(160, 160, 3), feature_shape=(5, 5, 1280)):
    """Step 1: MobileNetV2 without its ImageNet classifier, all weights frozen."""
    grid = "×".join(str(size) for size in feature_shape[:-1]) or "single"
    with LabChecks("Step 1: the frozen backbone") as check:
        check(lambda: tuple(base_model.input_shape) == (None, *input_shape),
              ok=f"The backbone takes {input_shape[0]}×{input_shape[1]} colour images.",
              problem=f"The backbone's input should be {(None, *input_shape)}, not {base_model.input_shape}.",
              hint=f"Pass input_shape={input_shape} to keras.applications.MobileNetV2.")
        check(lambda: tuple(base_model.output_shape) == (None, *feature_shape),
              ok=f"It ends in a {grid} grid of {feature_shape[-1]} features: "
                 "no ImageNet classifier on top.",
              problem=f"The backbone should output feature maps {(None, *feature_shape)}, "
                      f"not {base_model.output_shape}.",
              hint="Pass include_top=False, so that the 1,000-class ImageNet head is left out.")
        check(lambda: not base_model.trainable and trainable_params(base_model) == 0,
              ok="All its weights are frozen.",
              problem=f"The backbone still has {trainable_params(base_model):,} trainable parameters.",
              hint="Set base_model.trainable = False.")


def check_frozen_model(model, base_model, image_shape=(160, 160, 3)):
    """Step 2: a new head on the frozen backbone; only the head trains."""
    head = base_model.output_shape[-1] + 1  # one Dense unit: a weight per feature, plus a bias
    with LabChecks("Step 2: the new head") as check:
        check(lambda: tuple(model.input_shape) == (None, *image_shape),
              ok="The model takes the images as they come from the dataset.",
              problem=f"The model's input should be {(None, *image_shape)}, not {model.input_shape}.",
              hint=f"Start with inputs = keras.Input(shape={image_shape}).")
        check(lambda: any(layer is base_model for layer in model.layers),
              ok="The backbone is part of the model.",
              problem="`base_model` is not one of the model's layers.",
              hint="Call x = base_model(x) between the scaling layer and the pooling layer.")
        check(lambda: tuple(model.output_shape) == (None, 1),
              ok="The head ends in one output unit: cat or dog.",
              problem=f"The model's output should have shape (None, 1), not {model.output_shape}.",
              hint="End with layers.Dense(1).")
        check(lambda: _activation_name(model.layers[-1]) == "linear",
              ok="The output is a logit (no activation), as the loss expects (from_logits=True).",
              problem=f"The last layer has the activation '{_activation_name(model.layers[-1])}'; "
                      "the loss used here expects a logit.",
              hint="Write layers.Dense(1) without activation=...")
        check(lambda: trainable_params(model) == head,
              ok=f"Only the head trains: {trainable_params(model):,} trainable parameters "
                 f"of {model.count_params():,}.",
              problem=f"The model has {trainable_params(model):,} trainable parameters; with a frozen "
                      f"backbone only the head's {head:,} should be.",
              hint="Freeze the backbone (base_model.trainable = False) and add just one Dense(1) after pooling "
                   "(GlobalAveragePooling2D turns the feature maps into one vector per image).")


def check_fine_tuning(model, base_model, fine_tune_from: str, max_learning_rate: float = 1e-4):
    """Step 4: the top of the backbone unfrozen (BatchNormalization excluded), recompiled with a small rate."""
    names = [layer.name for layer in base_model.layers]
    start = names.index(fine_tune_from)
    lower, upper = base_model.layers[:start], base_model.layers[start:]
    upper_weighted = [layer for layer in upper if layer.weights and not _is_batchnorm(layer)]
    rate = _learning_rate(model)
    with LabChecks("Step 4: fine-tuning the top blocks") as check:
        check(lambda: base_model.trainable,
              ok="The backbone as a whole is trainable again.",
              problem="base_model.trainable is still False, so none of its layers can train.",
              hint="Set base_model.trainable = True first, then freeze the layers you want to keep.")
        check(lambda: all(not layer.trainable for layer in lower if layer.weights),
              ok=f"The {start} layers below '{fine_tune_from}' stay frozen.",
              problem=f"Some layers below '{fine_tune_from}' are trainable; only the top blocks should be.",
              hint=f"Set layer.trainable = False for every layer before '{fine_tune_from}'.")
        check(lambda: upper_weighted and all(layer.trainable for layer in upper_weighted),
              ok=f"The convolutions from '{fine_tune_from}' up are trainable.",
              problem=f"The layers from '{fine_tune_from}' up (except BatchNormalization) should be trainable.",
              hint="Set layer.trainable = True for those layers.")
        check(lambda: not any(layer.trainable for layer in base_model.layers if _is_batchnorm(layer)),
              ok="Every BatchNormalization layer stays frozen, in inference mode.",
              problem="Some BatchNormalization layers are trainable: they would re-estimate their statistics "
                      "from small batches and shift the features the head was trained on.",
              hint="Keep layer.trainable = False for every layers.BatchNormalization layer, in the top blocks too.")
        check(rate is not None and rate <= max_learning_rate,
              ok=f"The model is recompiled with a small learning rate ({rate:g})." if rate else "",
              problem=(f"The learning rate is {rate:g}; fine-tuning needs at most {max_learning_rate:g}, "
                       "and a recompile after changing `trainable`." if rate is not None
                       else "The model is not compiled."),
              hint="Call model.compile(...) again with keras.optimizers.Adam(1e-5).")
        check(lambda: trainable_params(model) > base_model.output_shape[-1] + 1,
              ok=f"{trainable_params(model):,} parameters now train (head + top blocks).",
              problem="Only the head is trainable; no layer of the backbone was unfrozen.",
              hint="Unfreeze the backbone's layers from fine_tune_from up.")


def accuracy_bar(pretrained: bool) -> float:
    return PRETRAINED_BAR if pretrained else RANDOM_START_BAR


def check_validation_accuracy(val_accuracy: float, pretrained: bool, title: str = "Validation accuracy"):
    """Steps 3 and 5: how well the model does on images it never trained on."""
    bar = accuracy_bar(pretrained)
    reason = ("pretrained backbone weights were loaded" if pretrained else
              "no pretrained weights were available (weights=None), so only a working pipeline is checked")
    print(f"Bar: validation accuracy >= {bar:.2f}, because {reason}.")
    with LabChecks(title) as check:
        check(val_accuracy >= bar,
              ok=f"Validation accuracy {val_accuracy:.3f} (bar {bar:.2f}).",
              problem=f"Validation accuracy {val_accuracy:.3f} is below the bar of {bar:.2f}.",
              hint="Check that the backbone gets pixels scaled to [-1, 1] (Rescaling(1/127.5, offset=-1)), that "
                   "it is frozen while the head trains, and that the last layer is Dense(1).")
