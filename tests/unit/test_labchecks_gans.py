"""Module 08's lab checks pass on a right answer and fail on a wrong one (tiny dense GAN, no notebook)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from includes import fill_in
from includes.labs import LabBlankError
from includes.labs.checks import LabCheckFailed
from includes.lessons.gans import checks

LATENT, BATCH = 3, 8
cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_logits, fake_logits):
    return cross_entropy(tf.ones_like(real_logits), real_logits) + cross_entropy(
        tf.zeros_like(fake_logits), fake_logits
    )


def generator_loss(fake_logits):
    return cross_entropy(tf.ones_like(fake_logits), fake_logits)


def saturating_generator_loss(fake_logits):
    return -cross_entropy(tf.zeros_like(fake_logits), fake_logits)  # minimizes log(1 - D(G(z)))


def swapped_discriminator_loss(real_logits, fake_logits):
    return discriminator_loss(fake_logits, real_logits)


def averaged_discriminator_loss(real_logits, fake_logits):
    return discriminator_loss(real_logits, fake_logits) / 2


class Gan:
    """A tiny GAN and its two steps, with switches that make the classic mistakes."""

    def __init__(self):
        keras.utils.set_random_seed(0)
        self.generator = keras.Sequential(
            [keras.Input((LATENT,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(5, activation="tanh")]
        )
        self.discriminator = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
        self.g_optimizer, self.d_optimizer = keras.optimizers.Adam(0.01), keras.optimizers.Adam(0.01)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.real = tf.random.normal((BATCH, 5))
        self.noise = tf.random.normal((4, LATENT))

    def models(self):
        return dict(
            generator=self.generator,
            discriminator=self.discriminator,
            g_optimizer=self.g_optimizer,
            d_optimizer=self.d_optimizer,
        )

    def discriminator_step(self, real, mistake=None):
        with tf.GradientTape() as tape:
            fake = self.generator(tf.random.normal((tf.shape(real)[0], LATENT)), training=True)
            loss = discriminator_loss(self.discriminator(real, training=True), self.discriminator(fake, training=True))
        d_variables, g_variables = self.discriminator.trainable_variables, self.generator.trainable_variables
        d_gradients, g_gradients = tape.gradient(loss, [d_variables, g_variables])
        if mistake == "no update":
            return loss
        self.d_optimizer.apply_gradients(zip(d_gradients, d_variables))
        if mistake == "both":  # the discriminator's loss also moves the generator
            self.g_optimizer.apply_gradients(zip(g_gradients, g_variables))
        return loss

    def generator_step(self, batch_size, mistake=None):
        with tf.GradientTape() as tape:
            loss = generator_loss(
                self.discriminator(self.generator(tf.random.normal((batch_size, LATENT)), training=True), training=True)
            )
        if mistake == "discriminator variables":
            variables, optimizer = self.discriminator.trainable_variables, self.d_optimizer
        else:
            variables = self.generator.trainable_variables
            optimizer = self.d_optimizer if mistake == "wrong optimizer" else self.g_optimizer
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss


def sigmoid_discriminator_loss(real_logits, fake_logits):
    """Another correct answer: TensorFlow's own cross-entropy on logits, averaged per image."""
    return tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(real_logits), real_logits)
    ) + tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(fake_logits), fake_logits))


def sigmoid_generator_loss(fake_logits):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(fake_logits), fake_logits))


@pytest.mark.parametrize(
    "d_loss, g_loss", [(discriminator_loss, generator_loss), (sigmoid_discriminator_loss, sigmoid_generator_loss)]
)
def test_losses(d_loss, g_loss, capsys):
    checks.check_losses(d_loss, g_loss)
    assert "✘" not in capsys.readouterr().out


@pytest.mark.parametrize(
    "d_loss, g_loss, hint",
    [
        (discriminator_loss, saturating_generator_loss, "instead of log(1 - D(G(z)))"),
        (swapped_discriminator_loss, generator_loss, "Real images are labeled 1"),
        (averaged_discriminator_loss, generator_loss, "do not average them"),
        (
            discriminator_loss,
            lambda fake_logits: cross_entropy(tf.zeros_like(fake_logits), fake_logits),
            "score the fake logits against label 1",
        ),  # the discriminator's target for fakes
    ],
)
def test_wrong_losses_fail(d_loss, g_loss, hint, capsys):
    with pytest.raises(LabCheckFailed):
        checks.check_losses(d_loss, g_loss)
    assert hint in capsys.readouterr().out


def test_discriminator_step():
    gan = Gan()
    checks.check_discriminator_step(tf.function(gan.discriminator_step), gan.real, **gan.models())


@pytest.mark.parametrize(
    "mistake, hint",
    [
        ("both", "Differentiate with respect to discriminator.trainable_variables only"),
        ("no update", "apply it with the discriminator's optimizer"),
    ],
)
def test_wrong_discriminator_step_fails(mistake, hint, capsys):
    gan = Gan()
    with pytest.raises(LabCheckFailed):
        checks.check_discriminator_step(lambda real: gan.discriminator_step(real, mistake), gan.real, **gan.models())
    assert hint in capsys.readouterr().out


def test_generator_step():
    gan = Gan()
    checks.check_generator_step(tf.function(gan.generator_step), BATCH, noise=gan.noise, **gan.models())


@pytest.mark.parametrize("mistake", ["wrong optimizer", "discriminator variables"])
def test_wrong_generator_step_fails(mistake, capsys):
    gan = Gan()
    with pytest.raises(LabCheckFailed):
        checks.check_generator_step(
            lambda size: gan.generator_step(size, mistake), BATCH, noise=gan.noise, **gan.models()
        )
    hints = {
        "wrong optimizer": "each optimizer updates only its own model",
        "discriminator variables": "Differentiate with respect to generator.trainable_variables only",
    }
    assert hints[mistake] in capsys.readouterr().out


def test_wrong_optimizer_on_a_fresh_optimizer_still_fails():
    gan = Gan()
    gan.d_optimizer = keras.optimizers.Adam(0.01)  # not built yet: it silently adopts the generator's variables
    with pytest.raises(LabCheckFailed):
        checks.check_generator_step(
            lambda size: gan.generator_step(size, "wrong optimizer"), BATCH, noise=gan.noise, **gan.models()
        )


def write_grids(folder, count):
    paths = [folder / f"epoch_{epoch:02d}.png" for epoch in range(count)]
    for path in paths:
        path.write_bytes(b"\x89PNG")
    return paths


def test_training(tmp_path):
    first, last = np.zeros((4, 5)), np.ones((4, 5))
    checks.check_training([1.3, 1.2], [0.7, 0.8], write_grids(tmp_path, 3), first, last, epochs=2)
    with pytest.raises(LabCheckFailed):
        checks.check_training([1.3, float("nan")], [0.7, 0.8], write_grids(tmp_path, 3), first, last, epochs=2)
    with pytest.raises(LabCheckFailed):
        checks.check_training([1.3, 1.2], [0.7, 0.8], write_grids(tmp_path, 3), first, first, epochs=2)
    with pytest.raises(LabCheckFailed):
        checks.check_training([1.3, 1.2], [0.7, 0.8], write_grids(tmp_path, 2), first, last, epochs=2)


def test_an_unfilled_blank_stops_the_lab_instead_of_failing_a_check():
    def blank_loss(*logits):
        fill_in("write the loss")

    with pytest.raises(LabBlankError):
        checks.check_losses(blank_loss, generator_loss)
    gan = Gan()

    @tf.function
    def blank_step(real):
        loss = fill_in("write the discriminator step")
        return loss

    with pytest.raises(LabBlankError):
        checks.check_discriminator_step(blank_step, gan.real, **gan.models())
