"""Checks for the lab of module 08 (GANs): the two losses, the two training steps, the training run.

A GAN has two models and two optimizers, and the classic bugs are mixing them up: a discriminator step
that also moves the generator, a generator step applied with the discriminator's optimizer, or the
saturating generator loss. Each check runs the learner's function once and compares the models'
trainable weights and the optimizers' step counters before and after.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from includes.labs.checks import LabChecks, attempt


def _bce_with_logits(labels, logits) -> float:
    """Mean binary cross-entropy computed from logits, in NumPy (the reference answer)."""
    logits = np.asarray(logits, dtype="float64")
    return float(np.mean(np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))))


def _as_float(value) -> float:
    import keras

    return float(np.asarray(keras.ops.convert_to_numpy(value), dtype="float64").reshape(()))


def _weights(model) -> list[np.ndarray]:
    import keras

    return [np.array(keras.ops.convert_to_numpy(variable)) for variable in model.trainable_variables]


def _changed(before, after) -> bool:
    return any(not np.array_equal(old, new) for old, new in zip(before, after))


def _steps(optimizer) -> int:
    import keras

    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def _generator_gradient_at(generator_loss, logit: float) -> float:
    """d generator_loss / d logit, where the discriminator gives a fake image this logit."""
    import tensorflow as tf

    logits = tf.Variable([[logit]], dtype="float32")
    with tf.GradientTape() as tape:
        loss = generator_loss(logits)
    gradient = tape.gradient(loss, logits)
    return float("nan") if gradient is None else float(np.asarray(gradient).ravel()[0])


def check_losses(discriminator_loss, generator_loss):
    """Step 1: the discriminator's loss and the non-saturating generator loss."""
    import tensorflow as tf

    real_logits = tf.constant([[2.0], [-1.0], [0.5]])
    fake_logits = tf.constant([[-3.0], [0.5], [1.5]])
    expected_d = _bce_with_logits(1.0, real_logits) + _bce_with_logits(0.0, fake_logits)
    expected_g = _bce_with_logits(1.0, fake_logits)
    d_value, d_error = attempt(discriminator_loss, real_logits, fake_logits)
    confident, _ = attempt(discriminator_loss, tf.constant([[9.0]]), tf.constant([[-9.0]]))
    g_value, g_error = attempt(generator_loss, fake_logits)
    gradient, _ = attempt(_generator_gradient_at, generator_loss, -6.0)
    with LabChecks("Step 1: the two losses") as check:
        check(
            lambda: np.isclose(_as_float(d_value), expected_d, rtol=1e-4),
            ok="discriminator_loss = cross-entropy of real images against 1 + of fake images against 0.",
            problem=f"discriminator_loss on the test logits should be {expected_d:.4f}: the cross-entropy of "
            "the real logits against label 1 plus that of the fake logits against label 0"
            + (f" (it raised {d_error})." if d_error else "."),
            hint="Add the two cross-entropies (do not average them), and pass the logits as they are: "
            "the loss applies the sigmoid itself (from_logits=True).",
        )
        check(
            lambda: _as_float(confident) < 0.01,
            ok="It is close to 0 when the discriminator is confidently right.",
            problem="discriminator_loss should be near 0 when real images get a large logit and fakes a very "
            "negative one: are the labels the right way round (real = 1, fake = 0)?",
            hint="Real images are labeled 1, generated images 0.",
        )
        check(
            lambda: np.isclose(_as_float(g_value), expected_g, rtol=1e-4),
            ok="generator_loss = cross-entropy of the fake images against label 1 (the non-saturating loss).",
            problem=f"generator_loss on the test logits should be {expected_g:.4f}: the cross-entropy of the "
            "fake logits against label 1, i.e. -log D(G(z))" + (f" (it raised {g_error})." if g_error else "."),
            hint="The generator wants its fakes called real: score the fake logits against label 1.",
        )
        check(
            lambda: abs(gradient) > 0.9,
            ok="Its gradient stays strong when the discriminator rejects the fakes: it does not saturate.",
            problem="When the discriminator confidently rejects a fake (logit -6), the generator's gradient "
            "almost vanishes: this is the saturating loss log(1 - D(G(z))).",
            hint="Minimize -log D(G(z)) (labels 1 for the fakes) instead of log(1 - D(G(z))).",
        )


def _check_step(title, step, argument, trained, frozen, own_optimizer, other_optimizer, names, hint):
    trained_name, frozen_name = names
    trained_before, frozen_before = _weights(trained), _weights(frozen)
    own_before, other_before = _steps(own_optimizer), _steps(other_optimizer)
    loss, error = attempt(step, argument)
    with LabChecks(title) as check:
        check(
            error is None,
            ok="The step ran.",
            problem=f"The step raised {error}." if error else "",
            hint="An 'Unknown variable' error means an optimizer was given the other model's variables: "
            "each optimizer updates only its own model."
            if error and "nknown variable" in error
            else hint,
        )
        if error is not None:
            return
        check(
            lambda: np.isfinite(_as_float(loss)),
            ok=f"It returned a finite loss ({_as_float(loss):.4f}).",
            problem=f"The step should return its loss as one finite number, got {loss!r}.",
            hint="Return the loss computed inside the GradientTape.",
        )
        check(
            lambda: _changed(trained_before, _weights(trained)),
            ok=f"It updated the {trained_name}'s weights.",
            problem=f"The {trained_name}'s weights did not change.",
            hint=f"Take tape.gradient(loss, {trained_name}.trainable_variables) and apply it with "
            f"the {trained_name}'s optimizer.",
        )
        check(
            lambda: not _changed(frozen_before, _weights(frozen)),
            ok=f"It left the {frozen_name}'s weights alone.",
            problem=f"The {frozen_name}'s weights changed too: this step must train only the {trained_name}.",
            hint=f"Differentiate with respect to {trained_name}.trainable_variables only.",
        )
        check(
            lambda: _steps(own_optimizer) == own_before + 1,
            ok=f"The {trained_name}'s optimizer took exactly one step.",
            problem=f"The {trained_name}'s optimizer should take exactly one step "
            f"(it took {_steps(own_optimizer) - own_before}).",
            hint=f"Call apply_gradients once, on the {trained_name}'s optimizer.",
        )
        check(
            lambda: _steps(other_optimizer) == other_before,
            ok=f"The {frozen_name}'s optimizer was not used.",
            problem=f"The {frozen_name}'s optimizer was used in this step: each model has its own optimizer.",
            hint=f"Use the {trained_name}'s optimizer here.",
        )


def check_discriminator_step(discriminator_step, real_images, generator, discriminator, g_optimizer, d_optimizer):
    """Step 2: one discriminator step trains the discriminator only, with its own optimizer."""
    _check_step(
        "Step 2: the discriminator step",
        discriminator_step,
        real_images,
        trained=discriminator,
        frozen=generator,
        own_optimizer=d_optimizer,
        other_optimizer=g_optimizer,
        names=("discriminator", "generator"),
        hint="Generate fakes, compute the discriminator's loss inside tf.GradientTape(), then "
        "d_optimizer.apply_gradients(zip(gradients, discriminator.trainable_variables)).",
    )


def check_generator_step(generator_step, batch_size, generator, discriminator, g_optimizer, d_optimizer, noise):
    """Step 3: one generator step trains the generator only, and changes what it generates."""
    before = np.array(generator(noise, training=False))
    _check_step(
        "Step 3: the generator step",
        generator_step,
        batch_size,
        trained=generator,
        frozen=discriminator,
        own_optimizer=g_optimizer,
        other_optimizer=d_optimizer,
        names=("generator", "discriminator"),
        hint="Generate fakes and score them with the discriminator inside tf.GradientTape(), then "
        "g_optimizer.apply_gradients(zip(gradients, generator.trainable_variables)).",
    )
    with LabChecks("Step 3: what the generator makes") as check:
        check(
            lambda: not np.allclose(before, np.array(generator(noise, training=False))),
            ok="For the same noise, the generator now makes different images.",
            problem="For the same noise the generator still makes the same images.",
            hint="The generator step must update the generator's weights.",
        )


def check_training(d_losses, g_losses, grid_paths, first_samples, last_samples, epochs: int):
    """Step 4: a training run with finite losses, a generator that changed, and one sample grid per epoch."""
    paths = [Path(path) for path in grid_paths]
    with LabChecks("Step 4: training") as check:
        check(
            lambda: (
                len(d_losses) > 0
                and len(g_losses) > 0
                and bool(np.all(np.isfinite(d_losses)))
                and bool(np.all(np.isfinite(g_losses)))
            ),
            ok=f"{len(d_losses)} discriminator and {len(g_losses)} generator losses, all finite.",
            problem="The recorded losses should be non-empty and all finite (no NaN or inf).",
            hint="Append float(loss) after every step; a NaN usually means a learning rate that is too high.",
        )
        check(
            lambda: not np.allclose(np.asarray(first_samples), np.asarray(last_samples), atol=1e-3),
            ok="The generator's samples changed during training.",
            problem="The generator makes the same images after training as before.",
            hint="Call generator_step in the loop.",
        )
        check(
            lambda: len(paths) == epochs + 1 and all(path.is_file() and path.suffix == ".png" for path in paths),
            ok=f"{len(paths)} sample grids written as PNG files (before training and after each epoch).",
            problem=f"There should be {epochs + 1} PNG sample grids (one before training, one per epoch), "
            f"found {sum(path.is_file() for path in paths)}.",
            hint="Call save_grid(...) after every epoch and keep the paths in grid_paths.",
        )
