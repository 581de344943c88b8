"""Checks for the labs of module 01 (Keras): they judge what the learner's objects do, so every correct
design passes, and each failure names the likely mistake."""

from __future__ import annotations

import numpy as np

from includes.common.baselines import check_beats_baseline  # noqa: F401 - 01.2L step 5 calls it from here
from includes.labs.checks import LabChecks, attempt, value_or


def _numbers(value):
    """A learner's statistics as a flat float array, or None if they are not numbers."""
    return value_or(None, lambda: np.asarray(value, dtype=float).ravel())


def check_standardization(mean, std, X_train):
    """01.2L step 1: one mean and one standard deviation per feature, from the training rows only."""
    frame = np.asarray(X_train, dtype=float)
    n_features = frame.shape[1]
    mean_values, std_values = _numbers(mean), _numbers(std)
    right_mean = frame.mean(axis=0)
    right_std = {ddof: frame.std(axis=0, ddof=ddof) for ddof in (0, 1)}  # numpy's or pandas's convention

    def mean_hint():
        if mean_values is None:
            return "`mean` should be numbers: one per column of the training features."
        if mean_values.size == 1:
            return "You averaged the whole table into one number: take the mean of each column (down the rows)."
        if mean_values.size != n_features:
            return (
                f"You got {mean_values.size} numbers: that is one per row. Average down each column "
                f"instead, to get one per feature ({n_features})."
            )
        return "These are not the training rows' means: compute them on the training features only."

    def std_hint():
        if std_values is None or std_values.size != n_features:
            return f"`std` should hold one standard deviation per feature ({n_features} numbers)."
        if np.allclose(std_values, right_std[0] ** 2, rtol=1e-3) or np.allclose(
            std_values, right_std[1] ** 2, rtol=1e-3
        ):
            return "That is the variance: the standard deviation is its square root."
        return "These are not the training rows' standard deviations: compute them on the training features only."

    with LabChecks("Step 1: standardizing the features") as check:
        check(
            lambda: mean_values.size == n_features and np.allclose(mean_values, right_mean, rtol=1e-4),
            ok=f"`mean` holds the {n_features} column means of the training rows.",
            problem="`mean` should hold the mean of each feature, computed on the training rows.",
            hint=mean_hint(),
        )
        check(
            lambda: (
                std_values.size == n_features
                and any(np.allclose(std_values, values, rtol=1e-4) for values in right_std.values())
            ),
            ok=f"`std` holds the {n_features} column standard deviations of the training rows.",
            problem="`std` should hold the standard deviation of each feature, computed on the training rows.",
            hint=std_hint(),
        )


def _outputs(model, rows):
    return np.asarray(model(np.asarray(rows, dtype="float32")), dtype=float)


def _can_reach_large_outputs(model, rows, large: float = 5.0) -> bool:
    """Whether the model's output can grow past ``large``: for large inputs, or once its last weights grow.

    Large inputs alone are not enough to tell: a network with bounded hidden activations (tanh, sigmoid)
    and a free output layer gives bounded outputs at its initial weights, yet training can make them as
    large as needed. Scaling the last weighted layer by 100 (then restoring it) separates the two: a free
    output grows with it, a sigmoid or tanh at the end stays inside its range.
    """
    if np.abs(_outputs(model, 100 * rows)).max() > large:
        return True
    weighted = [layer for layer in model.layers if layer.get_weights()]
    if not weighted:
        return False
    last = weighted[-1]
    saved = last.get_weights()
    try:
        last.set_weights([100 * weights for weights in saved])
        return bool(np.abs(_outputs(model, rows)).max() > large)
    finally:
        last.set_weights(saved)


def check_regression_model(model, n_features: int = 8):
    """01.2L step 2: any network that maps the features to one unbounded number, non-linearly."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(64, n_features)), rng.normal(size=(64, n_features))
    out, error = attempt(_outputs, model, a)
    shape = None if out is None else out.shape
    with LabChecks("Step 2: the model") as check:
        check(
            lambda: out is not None,
            ok=f"The model accepts rows of {n_features} features.",
            problem=f"The model cannot take rows of {n_features} features ({error}).",
            hint=f"Declare the input as {n_features} features wide: the shape of one row, without the batch.",
        )
        check(
            lambda: shape == (64, 1) or shape == (64,),
            ok="It predicts one number per row: one price per district.",
            problem=f"For 64 rows it should return 64 single numbers, not an array of shape {shape}.",
            hint="The last layer decides how many numbers come out per row: a regression of one target "
            "needs exactly one unit there.",
        )

        def non_linear():
            f = lambda rows: _outputs(model, rows)  # noqa: E731
            zero = f(np.zeros_like(a))
            return not np.allclose(f(a + b) - f(a) - f(b) + zero, 0, atol=1e-4)

        check(
            non_linear,
            ok="It is not a linear function of its inputs: the hidden layers can bend.",
            problem="The model computes a linear function of the features, so it can do no better than "
            "the linear regression of 01.1.",
            hint="Give the hidden layers a non-linear activation (without one, stacked Dense layers "
            "collapse into one linear map).",
        )
        check(
            lambda: _can_reach_large_outputs(model, a),
            ok="Its output is not squashed into a small range, so it can predict any price.",
            problem="The output stays inside a small range however large the inputs, so it cannot "
            "reach prices like 4.5 ($450,000).",
            hint="Leave the output layer without an activation: sigmoid or tanh there bound every "
            "prediction to (0, 1) or (-1, 1).",
        )


def _loss_value(loss, y_true, y_pred) -> float:
    import keras

    function = keras.losses.get(loss) if isinstance(loss, str) else loss
    return float(np.asarray(function(y_true.astype("float32"), y_pred.astype("float32"))).mean())


def _compiled_metrics(model, y_true, y_pred) -> list[tuple[str, float]]:
    """(name in the history, value on y_true and y_pred) of every metric the model was compiled with.

    Worked out from the compile configuration on fresh metric objects: evaluating the learner's model
    here would trace it with shapes that later break its own fit.
    """
    import keras

    found = []
    for spec in model.get_compile_config().get("metrics") or []:
        metric = keras.metrics.get(spec)
        name = spec if isinstance(spec, str) else getattr(metric, "name", getattr(metric, "__name__", ""))
        if isinstance(metric, keras.metrics.Metric):
            metric.update_state(y_true, y_pred)
            value = metric.result()
        else:
            value = metric(y_true, y_pred)
        found.append((name, float(np.mean(np.asarray(value)))))
    return found


def _is_rmse(value, y_true, y_pred) -> bool:
    return bool(np.isclose(value, np.sqrt(np.mean((y_true - y_pred) ** 2)), rtol=1e-4))


def check_compiled_for_regression(model):
    """01.2L step 3: compiled with the squared error as loss and an RMSE metric (any optimizer)."""
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.normal(size=(16, 1)), rng.normal(size=(16, 1))
    compiled = bool(getattr(model, "compiled", False)) and getattr(model, "optimizer", None) is not None
    loss = value_or(None, _loss_value, getattr(model, "loss", None), y_true, y_pred)
    mse = float(np.mean((y_true - y_pred) ** 2))

    def rmse_reported():
        y_a, y_b = y_true.astype("float32"), y_pred.astype("float32")
        return any(_is_rmse(value, y_a, y_b) for _, value in _compiled_metrics(model, y_a, y_b))

    def loss_hint():
        if loss is not None and np.isclose(loss, np.mean(np.abs(y_true - y_pred)), rtol=1e-4):
            return "That is the mean absolute error: the regression here minimizes the mean of the squared errors."
        return "Choose the loss that averages the squared errors (Keras has it under keras.losses)."

    with LabChecks("Step 3: compiling") as check:
        check(
            compiled,
            ok="The model is compiled with an optimizer.",
            problem="The model is not compiled yet.",
            hint="compile() gives the model its optimizer, loss and metrics before fit.",
        )
        check(
            lambda: compiled and np.isclose(loss, mse, rtol=1e-4),
            ok="The loss is the mean squared error.",
            problem=f"The loss should be the mean squared error, not {getattr(model, 'loss', None)!r}.",
            hint=loss_hint(),
        )
        check(
            lambda: compiled and rmse_reported(),
            ok="It reports the RMSE, in the target's unit ($100k).",
            problem="None of the model's metrics is the root mean squared error.",
            hint="The MSE is in squared $100k; ask compile for the metric that takes its square root "
            "(keras.metrics has it).",
        )


def check_training(history, min_epochs: int = 2):
    """01.2L step 4: a real training run, watched on validation data."""
    values = getattr(history, "history", None) or {}
    with LabChecks("Step 4: training") as check:
        check(
            lambda: len(values["loss"]) >= min_epochs,
            ok=f"The model trained for {len(values.get('loss', []))} epochs.",
            problem=f"`history` should be what fit returns, after at least {min_epochs} epochs "
            f"(got {len(values.get('loss', []))}).",
            hint="fit trains for one epoch unless told otherwise: pass it the EPOCHS given above, and keep "
            "what fit returns.",
        )
        check(
            lambda: "val_loss" in values,
            ok="Keras reported the validation loss each epoch.",
            problem="fit did not get validation data, so you cannot see how the model does on new rows.",
            hint="fit takes the validation rows (features and targets, as a pair) through its own argument.",
        )
        check(
            lambda: values["loss"][-1] < values["loss"][0],
            ok="The training loss went down.",
            problem="The training loss did not go down.",
            hint="Train on the standardized features (X_train_s), not the raw ones, and keep the learning rate modest.",
        )


def check_normalizer(normalizer, X_train):
    """01.3L step 1: a layer that standardizes each feature with the training rows' statistics."""
    X_train = np.asarray(X_train, dtype="float32")
    out, error = attempt(lambda: np.asarray(normalizer(X_train), dtype=float))

    def hint():
        if out is None:
            return "Let the layer learn its statistics from the data before you call it (its adapt method)."
        if out.shape != X_train.shape:
            return "The layer should keep one column per feature."
        if np.allclose(out, X_train):
            return "The layer passes the features through unchanged: let it learn them first (its adapt method)."
        if np.allclose(out, (X_train - X_train.mean()) / X_train.std(), atol=1e-2):
            return "It uses one mean and variance for all features: give every feature its own (the default axis)."
        return "Adapt it to the training features only, not to the validation or test rows."

    with LabChecks("Step 1: the Normalization layer") as check:
        check(
            lambda: out is not None and out.shape == X_train.shape,
            ok="The layer turns the training features into as many standardized columns.",
            problem=f"The layer does not standardize the training features yet ({error or 'wrong shape'}).",
            hint=hint(),
        )
        check(
            lambda: np.allclose(out.mean(axis=0), 0, atol=0.02) and np.allclose(out.std(axis=0), 1, atol=0.02),
            ok="On the training rows every feature comes out with mean 0 and standard deviation 1.",
            problem="On the training rows the features do not come out with mean 0 and standard deviation 1.",
            hint=hint(),
        )


def check_model_builder(build_model, normalizer, learning_rates=(0.003, 0.0003), n_features: int = 8):
    """01.3L step 2: build_model(rate) starts with the normalizer, ends in one output, uses `rate`."""
    import keras

    models = {rate: value_or(None, build_model, rate) for rate in learning_rates}
    model = models[learning_rates[0]]
    rows = np.random.default_rng(2).normal(5, 3, size=(16, n_features)).astype("float32")

    def first_layer():
        return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)][0]

    def rate_of(candidate):
        return float(keras.ops.convert_to_numpy(candidate.optimizer.learning_rate))

    with LabChecks("Step 2: normalization inside the model") as check:
        check(
            lambda: isinstance(model, keras.Model),
            ok="build_model returns a Keras model.",
            problem="build_model should return a Keras model.",
            hint="End the function by returning the model you built and compiled.",
        )
        check(
            lambda: first_layer() is normalizer,
            ok="The model's first layer is your adapted normalizer, so it takes raw features.",
            problem="The first layer after the input should be your adapted `normalizer`.",
            hint="Use the layer from step 1 itself, not a new Normalization layer (that one has learned nothing).",
        )
        check(
            lambda: np.asarray(model(rows)).shape in ((16, 1), (16,)),
            ok="It predicts one number per row.",
            problem="The model should return one number per row.",
            hint="A regression of one target needs exactly one unit in the last layer.",
        )
        check(
            lambda: all(np.isclose(rate_of(candidate), rate, rtol=1e-4) for rate, candidate in models.items()),
            ok="Its optimizer uses the learning rate you pass to build_model.",
            problem="build_model(rate) should give its optimizer that learning rate: the loop below compares "
            "rates, and with a fixed one all its models would be the same.",
            hint="Pass the function's argument to the optimizer when you create it.",
        )

        def rmse_named():
            rng = np.random.default_rng(3)
            y_a, y_b = rng.normal(size=(16, 1)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
            metrics = _compiled_metrics(model, y_a, y_b)
            return any(name == "rmse" and _is_rmse(value, y_a, y_b) for name, value in metrics) and np.isclose(
                value_or(np.nan, _loss_value, model.loss, y_a, y_b), np.mean((y_a - y_b) ** 2), rtol=1e-4
            )

        check(
            rmse_named,
            ok="It reports the RMSE under the name 'rmse', which the loop below reads as 'val_rmse'.",
            problem="The loop below reads history['val_rmse']: the model needs an RMSE metric named 'rmse' "
            "(and the mean squared error as its loss).",
            hint="Every Keras metric takes a name=... argument; give the RMSE metric that name.",
        )


def check_choice_on_validation(best_learning_rate, val_rmse: dict):
    """01.3L step 3: the setting with the lowest validation RMSE."""
    lowest = min(val_rmse.values())

    def hint():
        if best_learning_rate in val_rmse.values() and best_learning_rate not in val_rmse:
            return "That is an RMSE: you want the learning rate that achieved it (the dictionary's key)."
        if best_learning_rate in val_rmse and val_rmse[best_learning_rate] == max(val_rmse.values()):
            return "That rate has the highest validation RMSE: an error is better when it is lower."
        return "Compare the values of `val_rmse`, and keep the key of the smallest."

    with LabChecks("Step 3: choosing on validation") as check:
        check(
            lambda: best_learning_rate in val_rmse and val_rmse[best_learning_rate] == lowest,
            ok=f"You chose learning rate {best_learning_rate}, the one with the lowest validation RMSE.",
            problem=f"`best_learning_rate` should be the learning rate with the lowest validation RMSE, "
            f"not {best_learning_rate!r}.",
            hint=hint(),
        )


def check_reloaded(reloaded, model, path, X):
    """01.3L step 4: a saved model that predicts exactly like the original."""
    from pathlib import Path

    import keras

    with LabChecks("Step 4: saving and reloading") as check:
        check(
            lambda: Path(path).is_file(),
            ok=f"The model is saved in {Path(path).name}.",
            problem=f"There is no saved model at {path}.",
            hint="Save to `path` itself: the model's save method takes the file name.",
        )
        check(
            lambda: reloaded is not model and isinstance(reloaded, keras.Model),
            ok="`reloaded` is a new model object, read back from the file.",
            problem="`reloaded` should be a new model loaded from the file, not the model you saved.",
            hint="Read the file back with the loading function of keras.models, rather than reusing `best`.",
        )
        check(
            lambda: np.allclose(reloaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5),
            ok="The reloaded model predicts exactly like the original.",
            problem="The reloaded model predicts differently from the original.",
            hint="Load the file you saved: a freshly built model has new random weights.",
        )


def check_early_stopping(early_stopping, patience: int):
    """01.4L step 1: stop on the validation loss after `patience` epochs, and go back to the best weights."""
    import keras

    with LabChecks("Step 1: EarlyStopping") as check:
        check(
            lambda: isinstance(early_stopping, keras.callbacks.EarlyStopping),
            ok="`early_stopping` is an EarlyStopping callback.",
            problem="`early_stopping` should be Keras's early-stopping callback.",
            hint="keras.callbacks has one that stops training; create it, do not subclass it.",
        )
        check(
            lambda: early_stopping.monitor == "val_loss",
            ok="It watches the validation loss.",
            problem=f"It watches {getattr(early_stopping, 'monitor', None)!r}: the training loss keeps falling "
            f"while the model overfits, so it would rarely stop.",
            hint="Tell it which logged quantity to watch: the loss on the validation rows.",
        )
        check(
            lambda: early_stopping.patience == patience,
            ok=f"It waits {patience} epochs without improvement before stopping.",
            problem=f"It should wait PATIENCE = {patience} epochs, not {getattr(early_stopping, 'patience', None)}.",
            hint="By default it stops at the first epoch without improvement: set its patience.",
        )
        check(
            lambda: early_stopping.restore_best_weights is True,
            ok="It restores the best epoch's weights at the end.",
            problem="Without restoring the best weights the model keeps those of the last, worse epochs.",
            hint="EarlyStopping can go back to the best weights when it stops; that is off by default.",
        )


def check_checkpoint(checkpoint, path):
    """01.4L step 2: save to `path`, only when the validation loss improves."""
    import keras

    with LabChecks("Step 2: ModelCheckpoint") as check:
        check(
            lambda: isinstance(checkpoint, keras.callbacks.ModelCheckpoint),
            ok="`checkpoint` is a ModelCheckpoint callback.",
            problem="`checkpoint` should be Keras's checkpointing callback.",
            hint="keras.callbacks has one that saves the model during training.",
        )
        check(
            lambda: str(checkpoint.filepath) == str(path),
            ok="It writes to checkpoint_path.",
            problem=f"It writes to {getattr(checkpoint, 'filepath', None)}, not to checkpoint_path.",
            hint="Its first argument is the file to write: use checkpoint_path.",
        )
        check(
            lambda: checkpoint.monitor == "val_loss",
            ok="It judges the model by the validation loss.",
            problem=f"It judges by {getattr(checkpoint, 'monitor', None)!r}, not the validation loss.",
            hint="Tell it which logged quantity to watch: the loss on the validation rows.",
        )
        check(
            lambda: checkpoint.save_best_only is True,
            ok="It saves only when the validation loss improves.",
            problem="It saves after every epoch, so the file ends up holding the last model, not the best.",
            hint="ModelCheckpoint can keep only improvements; that is off by default.",
        )


def check_epoch_timer(timer_class, epochs: int = 3):
    """01.4L step 3: a callback whose `seconds` holds one duration per epoch."""
    import time

    import keras

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    timer = value_or(None, timer_class)
    started = time.perf_counter()
    _, error = attempt(lambda: model.fit(np.zeros((8, 2)), np.zeros(8), epochs=epochs, verbose=0, callbacks=[timer]))
    elapsed = time.perf_counter() - started
    seconds = value_or(None, lambda: [float(s) for s in timer.seconds])

    def hint():
        if seconds is None:
            return "Create the list `seconds` when the callback is created (in __init__) and append to it."
        if len(seconds) == 1 and epochs > 1:
            return "The list is created again every epoch: create it once, in __init__ (or on_train_begin)."
        if len(seconds) != epochs:
            return "Append exactly one number at the end of every epoch (on_epoch_end)."
        if any(s > elapsed for s in seconds):
            return (
                "Those are clock readings, not durations: subtract the time you noted when the epoch "
                "began (on_epoch_begin)."
            )
        return "Each number should be the seconds from the epoch's start to its end, so positive."

    with LabChecks("Step 3: your EpochTimer") as check:
        check(
            lambda: error is None,
            ok="Keras trained with your callback without an error.",
            problem=f"Training with your callback raised {error}.",
            hint="Override on_epoch_begin and on_epoch_end with the arguments (self, epoch, logs=None), "
            "and call super().__init__() in __init__.",
        )
        check(
            lambda: len(seconds) == epochs and all(0 < s <= elapsed for s in seconds),
            ok=f"For a {epochs}-epoch fit it recorded {epochs} durations, each between 0 and the whole run's time.",
            problem=f"For a {epochs}-epoch fit, `seconds` should hold {epochs} positive durations, got {seconds!r}.",
            hint=hint(),
        )


def schedule_rates(schedule, initial_rate: float, epochs: int = 13) -> list[float]:
    """The rate in each epoch when LearningRateScheduler drives `schedule` from `initial_rate`."""
    rates, rate = [], initial_rate
    for epoch in range(epochs):
        rate = float(np.asarray(schedule(epoch, rate)))
        rates.append(rate)
    return rates


def check_schedule(schedule, initial_rate: float = 0.01, every: int = 4):
    """01.4L step 4: the rate halves every `every` epochs, starting after the first `every` epochs."""
    expected = [initial_rate * 0.5 ** (epoch // every) for epoch in range(3 * every + 1)]
    rates = value_or(None, schedule_rates, schedule, initial_rate, len(expected))
    shown = "an error" if rates is None else ", ".join(f"{r:.4g}" for r in rates)

    def hint():
        if rates is None:
            return "The function gets (epoch, learning_rate) and returns a number: the rate for that epoch."
        if np.isclose(rates[0], initial_rate / 2):
            return "Epochs count from 0, and epoch 0 is before any training: keep the starting rate there."
        if np.isclose(rates[every - 1], initial_rate / 2):
            return f"You halve one epoch early: epochs 0 to {every - 1} are the first {every} epochs."
        if rates[-1] < expected[-1] * 0.99:
            return (
                "The rate falls too fast: each call receives the rate already in use, so halve that rate "
                "only at the epochs where a new period starts (or compute from the starting rate)."
            )
        return f"Halve the rate once every {every} epochs and leave it unchanged in between."

    with LabChecks("Step 4: the learning-rate schedule") as check:
        check(
            lambda: np.allclose(rates, expected, rtol=1e-6),
            ok=f"Starting from {initial_rate}, the rate halves every {every} epochs: "
            + ", ".join(f"{r:g}" for r in expected)
            + ".",
            problem=f"Starting from {initial_rate}, epochs 0-{len(expected) - 1} should run at "
            + ", ".join(f"{r:g}" for r in expected)
            + f"; yours run at {shown}.",
            hint=hint(),
        )


def check_callbacks_ran(timer, history, checkpoint_path, model, X_val, y_val):
    """01.4L step 5: all callbacks did their job during one fit."""
    import keras

    epochs_run = len(history.history.get("loss", []))
    with LabChecks("Step 5: training with your callbacks") as check:
        check(
            lambda: len(timer.seconds) == epochs_run and all(s > 0 for s in timer.seconds),
            ok=f"EpochTimer recorded {epochs_run} positive durations, one per epoch.",
            problem=f"EpochTimer should record one positive duration per epoch ({epochs_run} epochs ran), "
            f"got {len(getattr(timer, 'seconds', []))}.",
            hint="Pass the timer to fit's callbacks, and start its clock in on_epoch_begin.",
        )
        check(
            lambda: np.isclose(
                np.ravel(model.evaluate(X_val, y_val, verbose=0))[0], min(history.history["val_loss"]), rtol=1e-3
            ),
            ok="The model ends with its best epoch's weights.",
            problem="The model's validation loss should equal the best epoch's: were the best weights restored?",
            hint="Pass early_stopping to fit, and let it restore the best weights.",
        )
        check(
            lambda: keras.models.load_model(checkpoint_path) is not None,
            ok=f"{checkpoint_path.name} holds a model that loads.",
            problem=f"No loadable model was saved at {checkpoint_path}.",
            hint="Pass checkpoint to fit's callbacks.",
        )
