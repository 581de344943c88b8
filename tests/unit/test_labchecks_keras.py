"""Module 01's lab checks (01.2L-01.4L): the solution and other correct designs pass; the mistakes a
learner really makes fail, each with the hint that names it."""

import time

import keras
import numpy as np
import pandas as pd
import pytest
from keras import layers

from includes.labs.checks import LabCheckFailed
from includes.lessons.keras import checks


@pytest.fixture
def X_train():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(3, 2, size=(50, 8)), columns=list("abcdefgh"))


def fails_with(capsys, hint, check, *arguments):
    with pytest.raises(LabCheckFailed):
        check(*arguments)
    out = capsys.readouterr().out
    assert hint in out, out


def regression_model(hidden_activation="relu", output_units=1, output_activation=None, n_features=8):
    return keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            layers.Dense(16, activation=hidden_activation),
            layers.Dense(output_units, activation=output_activation),
        ]
    )


# --- 01.2L ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statistics",
    [
        lambda X: (X.mean(), X.std()),  # pandas (ddof=1)
        lambda X: (X.to_numpy().mean(axis=0), X.to_numpy().std(axis=0)),  # numpy (ddof=0)
        lambda X: (np.mean(X.to_numpy(), axis=0, keepdims=True), np.sqrt(X.var(ddof=0)).to_numpy()),
    ],
)
def test_standardization_accepts_any_correct_computation(X_train, statistics):
    checks.check_standardization(*statistics(X_train), X_train)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda X: (X.to_numpy().mean(), X.to_numpy().std()), "averaged the whole table into one number"),
        (lambda X: (X.mean(axis=1), X.std(axis=1)), "one per row"),
        (lambda X: (X.mean(), X.var()), "That is the variance"),
        (lambda X: (X.mean() + 0.3, X.std()), "training features only"),  # statistics of other rows
    ],
)
def test_standardization_names_the_mistake(X_train, wrong, hint, capsys):
    fails_with(capsys, hint, checks.check_standardization, *wrong(X_train), X_train)


def functional_wide_and_deep():
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(32, activation="tanh")(inputs)
    return keras.Model(inputs, layers.Dense(1)(layers.Concatenate()([inputs, hidden])))


def functional_tanh_layers():
    """Bounded hidden activations and a free output: its initial outputs are small for any input, yet it
    can learn any price."""
    inputs = keras.Input(shape=(8,))
    hidden = layers.Dense(24, activation="tanh")(layers.Dense(48, activation="tanh")(inputs))
    return keras.Model(inputs, layers.Dense(1)(hidden))


@pytest.mark.parametrize(
    "build",
    [
        regression_model,
        functional_wide_and_deep,
        functional_tanh_layers,
        lambda: regression_model(hidden_activation="sigmoid"),
        lambda: keras.Sequential(
            [
                keras.Input(shape=(8,)),
                layers.Dense(128, activation="elu"),
                layers.Dropout(0.1),
                layers.Dense(32, activation="relu"),
                layers.Dense(8, activation="relu"),
                layers.Dense(1),
            ]
        ),
    ],
)
def test_regression_model_accepts_other_designs(build):
    checks.check_regression_model(build())


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (dict(output_units=8), "exactly one unit"),
        (dict(hidden_activation=None), "non-linear activation"),
        (dict(output_activation="sigmoid"), "Leave the output layer without an activation"),
        (dict(hidden_activation="tanh", output_activation="tanh"), "Leave the output layer without an activation"),
        (dict(n_features=1), "8 features wide"),
    ],
)
def test_regression_model_names_the_mistake(wrong, hint, capsys):
    fails_with(capsys, hint, checks.check_regression_model, regression_model(**wrong))


@pytest.mark.parametrize(
    "compile_arguments",
    [
        dict(
            optimizer=keras.optimizers.Adam(learning_rate=0.001),
            loss="mse",
            metrics=[keras.metrics.RootMeanSquaredError()],
        ),
        dict(
            optimizer="rmsprop",
            loss=keras.losses.MeanSquaredError(),
            metrics=["mae", keras.metrics.RootMeanSquaredError(name="rmse")],
        ),
        dict(
            optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
            loss="mean_squared_error",
            metrics=[keras.metrics.RootMeanSquaredError()],
        ),
    ],
)
def test_compiled_for_regression_accepts_any_optimizer(compile_arguments):
    model = regression_model()
    model.compile(**compile_arguments)
    checks.check_compiled_for_regression(model)


@pytest.mark.parametrize(
    "compile_arguments, hint",
    [
        (None, "compile() gives the model"),
        (dict(optimizer="adam", loss="mae", metrics=[keras.metrics.RootMeanSquaredError()]), "mean absolute error"),
        (dict(optimizer="adam", loss="mse", metrics=["mse"]), "takes its square root"),
        (dict(optimizer="adam", loss="mse"), "takes its square root"),
    ],
)
def test_compiled_for_regression_names_the_mistake(compile_arguments, hint, capsys):
    model = regression_model()
    if compile_arguments:
        model.compile(**compile_arguments)
    fails_with(capsys, hint, checks.check_compiled_for_regression, model)


def history_of(**values):
    history = keras.callbacks.History()
    history.history = values
    return history


def test_training_accepts_a_run_with_validation():
    checks.check_training(history_of(loss=[2.0, 1.0], val_loss=[2.1, 1.2]))
    checks.check_training(history_of(loss=[2.0, 1.5, 1.2, 1.3], val_loss=[2.1, 1.9, 2.0, 2.2], rmse=[1, 1, 1, 1]))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (history_of(loss=[2.0]), "fit trains for one epoch unless told otherwise"),
        (history_of(loss=[2.0, 1.0]), "validation rows"),
        (history_of(loss=[9.0, 9.5], val_loss=[9.1, 9.6]), "standardized features"),
    ],
)
def test_training_names_the_mistake(wrong, hint, capsys):
    fails_with(capsys, hint, checks.check_training, wrong)


def test_beats_baseline():
    checks.check_beats_baseline(0.50, 0.72, small=False)
    checks.check_beats_baseline(0.70, 0.72, small=True)
    with pytest.raises(LabCheckFailed):
        checks.check_beats_baseline(0.70, 0.72, small=False)  # better, but not by 25 %
    with pytest.raises(LabCheckFailed):
        checks.check_beats_baseline(0.80, 0.72, small=True)


# --- 01.3L ---------------------------------------------------------------------------------------


@pytest.fixture
def features(X_train):
    return X_train.to_numpy("float32")


def test_normalizer_accepts_adapted_or_given_statistics(features):
    adapted = layers.Normalization()
    adapted.adapt(features)
    checks.check_normalizer(adapted, features)
    given = layers.Normalization(mean=features.mean(axis=0), variance=features.var(axis=0))
    checks.check_normalizer(given, features)


def test_normalizer_names_the_mistake(features, capsys):
    fails_with(capsys, "adapt method", checks.check_normalizer, layers.Normalization(), features)
    other_rows = layers.Normalization()
    other_rows.adapt(features[:10] + 1)
    fails_with(capsys, "training features only", checks.check_normalizer, other_rows, features)
    one_for_all = layers.Normalization(axis=None)
    one_for_all.adapt(features * np.arange(1, 9, dtype="float32"))
    fails_with(
        capsys,
        "one mean and variance for all features",
        checks.check_normalizer,
        one_for_all,
        features * np.arange(1, 9, dtype="float32"),
    )


@pytest.fixture
def normalizer(features):
    layer = layers.Normalization()
    layer.adapt(features)
    return layer


def sequential_builder(normalizer):
    def build_model(learning_rate):
        model = keras.Sequential(
            [keras.Input(shape=(8,)), normalizer, layers.Dense(16, activation="relu"), layers.Dense(1)]
        )
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss="mse",
            metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
        )
        return model

    return build_model


def functional_builder(normalizer):
    def build_model(learning_rate):
        inputs = keras.Input(shape=(8,))
        hidden = layers.Dense(32, activation="gelu")(normalizer(inputs))
        model = keras.Model(inputs, layers.Dense(1)(hidden))
        model.compile(
            optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
            loss="mse",
            metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
        )
        return model

    return build_model


@pytest.mark.parametrize("builder", [sequential_builder, functional_builder])
def test_model_builder_accepts_other_designs(normalizer, builder):
    checks.check_model_builder(builder(normalizer), normalizer)


def test_model_builder_names_the_mistake(normalizer, capsys):
    def fixed_rate(learning_rate):
        model = sequential_builder(normalizer)(learning_rate)
        model.compile(optimizer="adam", loss="mse", metrics=[keras.metrics.RootMeanSquaredError(name="rmse")])
        return model

    def new_normalizer(learning_rate):
        return sequential_builder(layers.Normalization(mean=0.0, variance=1.0))(learning_rate)

    def unnamed_metric(learning_rate):
        model = sequential_builder(normalizer)(learning_rate)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate), loss="mse", metrics=[keras.metrics.RootMeanSquaredError()]
        )
        return model

    fails_with(
        capsys, "Pass the function's argument to the optimizer", checks.check_model_builder, fixed_rate, normalizer
    )
    fails_with(capsys, "Use the layer from step 1 itself", checks.check_model_builder, new_normalizer, normalizer)
    fails_with(capsys, "name=... argument", checks.check_model_builder, unnamed_metric, normalizer)


def test_choice_on_validation():
    val_rmse = {0.0001: 0.9, 0.001: 0.6, 0.01: 0.7}
    checks.check_choice_on_validation(0.001, val_rmse)
    checks.check_choice_on_validation(sorted(val_rmse.items(), key=lambda item: item[1])[0][0], val_rmse)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (0.0001, "highest validation RMSE"),  # max instead of min
        (0.6, "That is an RMSE"),  # min(val_rmse.values())
        (0.01, "keep the key of the smallest"),  # the last one tried
    ],
)
def test_choice_on_validation_names_the_mistake(wrong, hint, capsys):
    fails_with(capsys, hint, checks.check_choice_on_validation, wrong, {0.0001: 0.9, 0.001: 0.6, 0.01: 0.7})


def test_reloaded(tmp_path, features):
    model = regression_model()
    path = tmp_path / "m.keras"
    model.save(path)
    checks.check_reloaded(keras.models.load_model(path), model, path, features)
    other = tmp_path / "other.keras"
    keras.saving.save_model(model, other)  # another correct answer: the functional save and load
    checks.check_reloaded(keras.saving.load_model(other), model, other, features)


def test_reloaded_names_the_mistake(tmp_path, features, capsys):
    model = regression_model()
    path = tmp_path / "m.keras"
    fails_with(capsys, "Save to `path` itself", checks.check_reloaded, model, model, path, features)
    model.save(path)
    fails_with(capsys, "rather than reusing `best`", checks.check_reloaded, model, model, path, features)
    fails_with(capsys, "freshly built model", checks.check_reloaded, regression_model(), model, path, features)


# --- 01.4L ---------------------------------------------------------------------------------------


def test_early_stopping():
    checks.check_early_stopping(
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True), 3
    )
    checks.check_early_stopping(
        keras.callbacks.EarlyStopping(
            "val_loss", min_delta=1e-4, patience=3, mode="min", verbose=1, restore_best_weights=True
        ),
        3,
    )


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (dict(monitor="loss", patience=3, restore_best_weights=True), "the loss on the validation rows"),
        (dict(monitor="val_loss", restore_best_weights=True), "set its patience"),
        (dict(monitor="val_loss", patience=3), "off by default"),
    ],
)
def test_early_stopping_names_the_mistake(wrong, hint, capsys):
    fails_with(capsys, hint, checks.check_early_stopping, keras.callbacks.EarlyStopping(**wrong), 3)


def test_checkpoint(tmp_path):
    path = tmp_path / "best.keras"
    checks.check_checkpoint(keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True), path)
    checks.check_checkpoint(
        keras.callbacks.ModelCheckpoint(filepath=str(path), save_best_only=True, mode="min", verbose=1), path
    )


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (dict(monitor="val_loss"), "off by default"),
        (dict(monitor="loss", save_best_only=True), "the loss on the validation rows"),
        (dict(monitor="val_loss", save_best_only=True, other_path=True), "use checkpoint_path"),
    ],
)
def test_checkpoint_names_the_mistake(tmp_path, wrong, hint, capsys):
    path = tmp_path / "best.keras"
    written = tmp_path / "model.keras" if wrong.pop("other_path", False) else path
    fails_with(capsys, hint, checks.check_checkpoint, keras.callbacks.ModelCheckpoint(written, **wrong), path)


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


class TrainBeginTimer(keras.callbacks.Callback):
    """Another correct answer: the list made in on_train_begin, time.time() as the clock."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.time() - self.start + 1e-9)


class ClockReadings(EpochTimer):
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter())


class ListPerEpoch(EpochTimer):
    def on_epoch_begin(self, epoch, logs=None):
        self.seconds = []
        self.started = time.perf_counter()


class NoInit(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


@pytest.mark.parametrize("timer_class", [EpochTimer, TrainBeginTimer])
def test_epoch_timer_accepts_correct_timers(timer_class):
    checks.check_epoch_timer(timer_class)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (ClockReadings, "clock readings, not durations"),
        (ListPerEpoch, "created again every epoch"),
        (NoInit, "on_epoch_begin and on_epoch_end"),
    ],
)
def test_epoch_timer_names_the_mistake(wrong, hint, capsys):
    fails_with(capsys, hint, checks.check_epoch_timer, wrong)


@pytest.mark.parametrize(
    "schedule",
    [
        lambda epoch, rate: rate / 2 if epoch > 0 and epoch % 4 == 0 else rate,  # halve the rate received
        lambda epoch, rate: 0.01 * 0.5 ** (epoch // 4),  # from the starting rate
        lambda epoch, rate: rate * 0.5 if epoch in range(4, 100, 4) else float(rate),
    ],
)
def test_schedule_accepts_any_schedule_with_the_behaviour(schedule):
    checks.check_schedule(schedule)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda epoch, rate: rate / 2 if epoch % 4 == 0 else rate, "epoch 0 is before any training"),
        (lambda epoch, rate: rate / 2 if (epoch + 1) % 4 == 0 else rate, "halve one epoch early"),
        (lambda epoch, rate: rate * 0.5 ** (epoch // 4), "The rate falls too fast"),
    ],
)
def test_schedule_names_the_mistake(wrong, hint, capsys):
    fails_with(capsys, hint, checks.check_schedule, wrong)


@pytest.fixture
def small_run(tmp_path):
    """A tiny fit with the four callbacks, as step 5 of 01.4L runs it."""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=64).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    path = tmp_path / "best.keras"
    return model, X, y, path


def fit_with(small_run, callbacks, timer):
    model, X, y, path = small_run
    history = model.fit(X, y, validation_data=(X[:16], y[:16]), epochs=4, verbose=0, callbacks=callbacks)
    return timer, history, path, model, X[:16], y[:16]


def test_callbacks_ran_accepts_any_order(small_run):
    path = small_run[3]
    timer = TrainBeginTimer()
    callbacks = [
        keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True),
        timer,
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
    ]
    checks.check_callbacks_ran(*fit_with(small_run, callbacks, timer))


def test_callbacks_ran_names_the_mistake(small_run, capsys):
    path = small_run[3]
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    timer = EpochTimer()
    # the timer made but left out of fit's callbacks
    fails_with(
        capsys,
        "Pass the timer to fit's callbacks",
        checks.check_callbacks_ran,
        *fit_with(small_run, [early, checkpoint], timer),
    )
    # the checkpoint left out: nothing saved
    path.unlink(missing_ok=True)
    timer = EpochTimer()
    fails_with(
        capsys,
        "Pass checkpoint to fit's callbacks",
        checks.check_callbacks_ran,
        *fit_with(small_run, [early, timer], timer),
    )
    # the model keeps its last weights: its validation loss is not the best epoch's
    timer = EpochTimer()
    run = list(fit_with(small_run, [checkpoint, timer], timer))
    run[1].history["val_loss"] = [min(run[1].history["val_loss"]) - 1.0] + run[1].history["val_loss"][1:]
    fails_with(capsys, "let it restore the best weights", checks.check_callbacks_ran, *run)
