"""Checks for lab 05.1L (explaining the housing model with Shapley values, SHAP and LIME)."""

from __future__ import annotations

import itertools
import re

import numpy as np

from includes.labs.checks import LabChecks, value_or


def shapley_by_orderings(f, x, background) -> np.ndarray:
    """Reference Shapley values: marginal contributions averaged over every ordering (small n only)."""
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    n = len(x)

    def value(members):
        filled = background.copy()
        filled[:, list(members)] = x[list(members)]
        return float(np.mean(f(filled)))

    cache: dict = {}
    totals = np.zeros(n)
    orderings = list(itertools.permutations(range(n)))
    for order in orderings:
        for position, i in enumerate(order):
            before, after = frozenset(order[:position]), frozenset(order[: position + 1])
            for members in (before, after):
                if members not in cache:
                    cache[members] = value(sorted(members))
            totals[i] += cache[after] - cache[before]
    return totals / len(orderings)


def _toy_games():
    """Small functions with interactions, with their background and the row to explain."""

    def price(X):
        X = np.asarray(X, dtype=float)
        return 50 + 30 * X[:, 0] + 5 * X[:, 1] + 20 * X[:, 2] + 10 * X[:, 0] * X[:, 2]

    def curved(X):
        X = np.asarray(X, dtype=float)
        return X[:, 0] * X[:, 1] * X[:, 2] - 2 * X[:, 2] ** 2 + np.maximum(X[:, 3], 0.5)

    rng = np.random.default_rng(0)
    return [
        (
            "a 3-feature price with an interaction",
            price,
            np.array([3.0, 4, 2]),
            np.array([[1.0, 3, 0], [2, 4, 1], [1, 2, 1], [3, 5, 0]]),
        ),
        (
            "a 4-feature function with a 3-way interaction",
            curved,
            np.array([1.5, -1.0, 0.7, 2.0]),
            rng.normal(size=(6, 4)),
        ),
    ]


def check_predict_function(predict, model, X):
    """Step 1: a fast prediction function that returns one number per row."""
    rows = np.asarray(X, dtype="float32")[:5]
    out = value_or(None, lambda: predict(rows))
    expected = np.asarray(model(rows)).ravel()
    with LabChecks("Step 1: the prediction function") as check:
        check(
            lambda: isinstance(out, np.ndarray),
            ok="`predict` returns a NumPy array.",
            problem=f"`predict` should return a NumPy array, not {type(out).__name__}.",
            hint="End with .numpy() on the model's output.",
        )
        check(
            lambda: out.shape == (len(rows),),
            ok="It returns one number per row (a 1-D array).",
            problem=f"For 5 rows `predict` should return shape (5,), not {getattr(out, 'shape', None)}.",
            hint="The model outputs shape (n, 1); flatten it with .ravel().",
        )
        check(
            lambda: np.allclose(out, expected, atol=1e-5),
            ok="Its numbers are the model's predictions.",
            problem="`predict` does not return the model's predictions for the rows it is given.",
            hint="Call the model on the `rows` argument itself, not on X_test or another fixed table.",
        )


def _coalition_value(f, x, background, members) -> float:
    filled = np.asarray(background, dtype=float).copy()
    filled[:, list(members)] = np.asarray(x, dtype=float)[list(members)]
    return float(np.mean(f(filled)))


def _shapley_mistake(got, f, x, background) -> str:
    """The hint for wrong Shapley values: names the shortcut they match, if any."""
    n = len(x)
    everyone = list(range(n))
    alone = np.array(
        [_coalition_value(f, x, background, [i]) - _coalition_value(f, x, background, []) for i in range(n)]
    )
    last = np.array(
        [
            _coalition_value(f, x, background, everyone)
            - _coalition_value(f, x, background, [j for j in everyone if j != i])
            for i in range(n)
        ]
    )
    if np.allclose(got, alone, atol=1e-6):
        return (
            "These are each feature's effect when it joins the empty coalition only, v({i}) - v(∅): "
            "the Shapley value averages its contribution over every coalition it can join."
        )
    if np.allclose(got, last, atol=1e-6):
        return (
            "These are each feature's effect when it joins all the others, v(all) - v(all without i): "
            "the Shapley value averages its contribution over every coalition it can join."
        )
    return (
        "Sum over the coalitions S without i: weight |S|! (n-|S|-1)! / n! times v(S with i) - v(S), where "
        "v(S) is the mean of f over the background with the columns in S set to x's values; a plain "
        "average over the coalitions gives each size the wrong weight."
    )


def check_exact_shapley(exact_shapley):
    """Step 2: exact Shapley values, compared with every ordering on small functions."""
    with LabChecks("Step 2: exact Shapley values") as check:
        for name, f, x, background in _toy_games():
            expected = shapley_by_orderings(f, x, background)
            got = value_or(
                None, lambda f=f, x=x, background=background: np.asarray(exact_shapley(f, x, background), dtype=float)
            )
            if not check(
                lambda got=got, expected=expected: got is not None and got.shape == expected.shape,
                ok=f"On {name} it returns {len(expected)} values, one per feature.",
                problem=f"On {name} `exact_shapley` should return {len(expected)} values, one per "
                f"feature; it returned {None if got is None else got.shape}.",
                hint="Return one value per feature of x (phi[i] for feature i), not a single total "
                "or a table of coalition values.",
            ):
                continue
            check(
                lambda got=got, expected=expected: np.allclose(got, expected, atol=1e-6),
                ok=f"On {name} they equal the averages over all orderings: {np.round(expected, 3).tolist()}.",
                problem=f"On {name} the Shapley values should be {np.round(expected, 3).tolist()}, "
                f"not {np.round(got, 3).tolist()}.",
                hint=value_or("", _shapley_mistake, got, f, x, background),
            )
            gap = float(np.mean(f(x[None])) - np.mean(f(background)))
            check(
                lambda got=got, gap=gap: np.isclose(got.sum(), gap, atol=1e-6),
                ok=f"On {name} they add up to f(x) - E[f] = {gap:.3f} (efficiency).",
                problem=f"On {name} they add up to {got.sum():.3f}, not f(x) - E[f] = {gap:.3f}.",
                hint="Check the weights: for each feature they must add up to 1 over all coalitions.",
            )


def check_local_accuracy(explanation, predict, rows, background):
    """Step 3: SHAP values that add up to prediction minus expected value (local accuracy)."""
    predictions = np.asarray(predict(rows)).ravel()
    values = value_or(None, lambda: np.asarray(explanation.values, dtype=float))
    bases = value_or(
        None, lambda: np.broadcast_to(np.asarray(explanation.base_values, dtype=float).ravel(), (len(predictions),))
    )
    with LabChecks("Step 3: SHAP on the network") as check:
        if not check(
            lambda: values.shape == (len(predictions), np.asarray(rows).shape[1]),
            ok=f"`explanation` holds one SHAP value per feature for each of the {len(predictions)} rows.",
            problem=f"`explanation.values` should have shape {(len(predictions), np.asarray(rows).shape[1])}"
            f", not {getattr(values, 'shape', None)}.",
            hint="explanation = explainer(rows): call the explainer on exactly the rows to explain.",
        ):
            return
        expected_value = float(np.mean(predict(background)))
        check(
            lambda: np.allclose(bases, expected_value, atol=1e-3),
            ok=f"The expected value E[f] = {expected_value:.3f} is the mean prediction over `background`.",
            problem=f"The base value should be the mean prediction over `background` ({expected_value:.3f}), "
            f"not {bases[0]:.3f}.",
            hint="shap.KernelExplainer(predict, background): give it the background rows.",
        )
        gap = value_or(float("inf"), lambda: float(np.abs(values.sum(axis=1) + bases - predictions).max()))
        check(
            gap < 1e-3,
            ok=f"Local accuracy: on every row the SHAP values add up to prediction - expected value "
            f"(largest gap {gap:.1e}).",
            problem=f"The SHAP values should add up to prediction - expected value on every row; the largest "
            f"gap is {gap:.3g}.",
            hint="Explain `rows` with the model's own `predict`, not another model or other rows.",
        )


def check_matches_shap(my_values, explanation, row: int = 0):
    """Step 3: the learner's exact Shapley values agree with SHAP on the network."""
    reference = value_or(None, lambda: np.asarray(explanation.values[row], dtype=float))
    mine = value_or(None, lambda: np.asarray(my_values, dtype=float).ravel())
    with LabChecks("Step 3: your Shapley values on the network") as check:
        if not check(
            lambda: mine.shape == reference.shape,
            ok=f"`my_values` holds one value per feature ({len(reference)}).",
            problem=f"`my_values` should hold {len(reference)} values, one per feature; it has "
            f"{None if mine is None else mine.size}.",
            hint="Keep every feature's value, not their total, for one district whose row you pass as a 1-D array.",
        ):
            return
        check(
            lambda: np.allclose(mine, reference, atol=1e-3),
            ok="Your exact Shapley values for the first row agree with SHAP's.",
            problem="`my_values` should equal SHAP's values for the first row "
            f"({None if reference is None else np.round(reference, 3).tolist()}); "
            f"got {None if mine is None else np.round(mine, 3).tolist()}.",
            hint="Use the same function, the same district (the first of `rows`) and the same background "
            "rows as the SHAP explainer.",
        )


def _names(explanation, feature_names):
    """The feature names: given, or the explanation's (None when SHAP explained bare arrays)."""
    return list(feature_names if feature_names is not None else explanation.feature_names)


def check_global_importance(importance, explanation, feature_names=None):
    """Step 4: mean absolute SHAP value per feature, largest first."""
    names = _names(explanation, feature_names)
    expected = np.abs(np.asarray(explanation.values)).mean(axis=0)
    order = [names[i] for i in np.argsort(-expected)]
    with LabChecks("Step 4: global importance") as check:
        check(
            lambda: sorted(importance.index) == sorted(names),
            ok="`importance` has one entry per feature, indexed by the feature names.",
            problem="`importance` should be a pandas Series indexed by the 8 feature names.",
            hint="Label the numbers with the feature names: a pandas Series with the names as its index.",
        )
        check(
            lambda: np.allclose(importance[names].to_numpy(dtype=float), expected, atol=1e-6),
            ok="Each entry is the feature's mean |SHAP value| over the explained rows.",
            problem="Each entry should be the mean of the absolute SHAP values of that feature over all rows.",
            hint="Take absolute values first, then the mean over the rows: signed values cancel out.",
        )
        check(
            lambda: list(importance.index) == order,
            ok=f"Largest first: {', '.join(order[:3])}, ...",
            problem="`importance` should be sorted with the most important feature first.",
            hint="Sort by the values, largest first (pandas sorts ascending unless told otherwise).",
        )


def check_lime_top_features(top_features, exp, predict, row, k: int = 3, n_features: int = 8):
    """Step 5: the k strongest (condition, weight) pairs of a LIME explanation."""
    reported = value_or([], lambda: exp.as_list())
    strongest = sorted(reported, key=lambda pair: -abs(pair[1]))[:k]
    given = value_or(None, lambda: [(str(name), float(weight)) for name, weight in top_features])
    with LabChecks("Step 5: LIME's top features") as check:
        check(
            lambda: np.isclose(exp.predicted_value, np.asarray(predict(np.asarray(row)[None])).ravel()[0], atol=1e-4),
            ok="`exp` explains the model's prediction for `row`.",
            problem="`exp` should explain `row` with the model's `predict` function.",
            hint="Explain `row` (the first district) with the same `predict` function as SHAP.",
        )
        check(
            lambda: len(reported) == n_features,
            ok=f"LIME reported a weight for each of the {n_features} features.",
            problem=f"LIME reported {len(reported)} features; ask for all {n_features}.",
            hint="LIME reports only as many features as you ask for: ask for all of them.",
        )
        check(
            lambda: given is not None and len(given) == k,
            ok=f"`top_features` holds {k} (condition, weight) pairs.",
            problem=f"`top_features` should be a list of {k} (condition, weight) pairs, got {top_features!r}.",
            hint="exp.as_list() gives (condition, weight) pairs.",
        )
        check(
            lambda: (
                [name for name, _ in given] == [name for name, _ in strongest]
                and np.allclose([w for _, w in given], [w for _, w in strongest])
            ),
            ok="They are LIME's strongest weights, by absolute value: "
            + "; ".join(f"{name} {weight:+.2f}" for name, weight in strongest)
            + ".",
            problem=f"`top_features` should be the {k} pairs with the largest |weight|, strongest first: "
            f"{[(name, round(weight, 3)) for name, weight in strongest]}.",
            hint="A large negative weight matters as much as a large positive one: sort by abs(weight), "
            "or take exp.as_list()[:3], which LIME already sorts that way.",
        )


def feature_in_condition(condition: str, feature_names) -> str | None:
    """The feature a LIME condition such as '5.15 < AveRooms <= 6.02' is about."""
    words = set(re.findall(r"[A-Za-z_]\w*", condition))
    found = [name for name in feature_names if name in words]
    return found[0] if len(found) == 1 else None


def check_top_feature_names(shap_top, lime_top, explanation, exp, feature_names=None, row: int = 0):
    """Step 6: the most important feature for one row, according to SHAP and to LIME."""
    names = _names(explanation, feature_names)
    expected_shap = names[int(np.argmax(np.abs(np.asarray(explanation.values[row]))))]
    strongest = max(exp.as_list(), key=lambda pair: abs(pair[1]))[0]
    expected_lime = feature_in_condition(strongest, names)
    with LabChecks("Step 6: SHAP's and LIME's top feature") as check:
        check(
            lambda: shap_top == expected_shap,
            ok=f"SHAP's top feature for this district is {expected_shap}.",
            problem=f"`shap_top` should be the feature with the largest |SHAP value| in row {row} "
            f"({expected_shap}), not {shap_top!r}.",
            hint="Largest in absolute value: a strong negative SHAP value matters as much as a positive one.",
        )
        check(
            lambda: lime_top == expected_lime,
            ok=f"LIME's top condition '{strongest}' is about {expected_lime}.",
            problem=f"`lime_top` should be the feature name in LIME's strongest condition '{strongest}', "
            f"not {lime_top!r}.",
            hint="The answer is one of the feature names, the one that appears in the condition, not the "
            "whole condition.",
        )
