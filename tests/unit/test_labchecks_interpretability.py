"""Lab 05.1L's checks (tiny models, no notebook): the solution passes, mistakes a learner really makes fail with
their own hint, and other correct answers pass."""

import itertools
import math

import keras
import numpy as np
import pandas as pd
import pytest
import shap
from keras import layers
from lime.lime_tabular import LimeTabularExplainer

from includes.labs.checks import LabCheckFailed
from includes.lessons.interpretability import checks

NAMES = ["MedInc", "HouseAge", "AveRooms"]


def right_shapley(f, x, background):
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    n = len(x)
    value = {}
    for size in range(n + 1):
        for S in itertools.combinations(range(n), size):
            filled = background.copy()
            filled[:, list(S)] = x[list(S)]
            value[S] = np.mean(f(filled))
    phi = np.zeros(n)
    for i in range(n):
        for S in value:
            if i not in S:
                weight = math.factorial(len(S)) * math.factorial(n - len(S) - 1) / math.factorial(n)
                phi[i] += weight * (value[tuple(sorted(S + (i,)))] - value[S])
    return phi


def unweighted_shapley(f, x, background):
    """Wrong: a plain average of the marginal contributions over the coalitions."""
    x, background = np.asarray(x, dtype=float), np.asarray(background, dtype=float)
    n = len(x)

    def v(S):
        filled = background.copy()
        filled[:, list(S)] = x[list(S)]
        return np.mean(f(filled))

    phi = np.zeros(n)
    others = [
        [S for size in range(n) for S in itertools.combinations([j for j in range(n) if j != i], size)]
        for i in range(n)
    ]
    for i in range(n):
        phi[i] = np.mean([v(tuple(sorted(S + (i,)))) - v(S) for S in others[i]])
    return phi


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)).astype("float32"), columns=NAMES)
    return X


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])


@pytest.fixture(scope="module")
def predict(model):
    return lambda rows: model(np.asarray(rows, dtype="float32")).numpy().ravel()


@pytest.fixture(scope="module")
def explained(data, predict):
    background, rows = data.iloc[:10], data.iloc[10:15]
    return shap.KernelExplainer(predict, background)(rows, silent=True), rows, background


@pytest.fixture(scope="module")
def lime_exp(data):
    def linear(rows):
        rows = np.asarray(rows, dtype=float)
        return 0.5 * rows[:, 0] - 3.0 * rows[:, 1] + 1.0 * rows[:, 2]

    explainer = LimeTabularExplainer(data.to_numpy(), feature_names=NAMES, mode="regression", random_state=0)
    row = data.iloc[int(np.argmax(data["HouseAge"]))].to_numpy()  # HouseAge's weight: large and negative
    return explainer.explain_instance(row, linear, num_features=3, num_samples=300), linear, row


def test_shapley_reference_matches_formula():
    for _, f, x, background in checks._toy_games():
        assert np.allclose(checks.shapley_by_orderings(f, x, background), right_shapley(f, x, background))


def fails_with(capsys, hint, function, *arguments, **keywords):
    with pytest.raises(LabCheckFailed):
        function(*arguments, **keywords)
    assert hint in capsys.readouterr().out


def test_predict_function(model, data, predict):
    checks.check_predict_function(predict, model, data)


def test_other_correct_predict_functions_pass(model, data):
    checks.check_predict_function(
        lambda rows: np.squeeze(model.predict(np.asarray(rows), verbose=0), axis=1), model, data
    )
    checks.check_predict_function(lambda rows: keras.ops.convert_to_numpy(model(np.asarray(rows)))[:, 0], model, data)


def test_predict_with_a_column_output_fails(model, data, capsys):
    fails_with(
        capsys,
        "flatten it",
        checks.check_predict_function,
        lambda rows: model(np.asarray(rows, dtype="float32")).numpy(),
        model,
        data,
    )


def test_predict_returning_a_tensor_fails(model, data, capsys):
    fails_with(
        capsys,
        ".numpy() on the model's output",
        checks.check_predict_function,
        lambda rows: model(np.asarray(rows, dtype="float32")),
        model,
        data,
    )


def test_predict_ignoring_its_argument_fails(model, data, capsys):
    fixed = data.iloc[20:25].to_numpy()
    fails_with(
        capsys,
        "on the `rows` argument itself",
        checks.check_predict_function,
        lambda rows: model(fixed).numpy().ravel(),
        model,
        data,
    )


def test_blanks_still_stop_the_lab(model, data):
    from includes.labs import LabBlankError, fill_in

    with pytest.raises(LabBlankError):
        checks.check_predict_function(lambda rows: fill_in("predict"), model, data)
    with pytest.raises(LabBlankError):
        checks.check_exact_shapley(lambda f, x, background: fill_in("exact Shapley values"))


def alone_shapley(f, x, background):
    """Wrong: each feature against the empty coalition only."""
    return np.array(
        [
            checks._coalition_value(f, x, background, [i]) - checks._coalition_value(f, x, background, [])
            for i in range(len(x))
        ]
    )


def last_shapley(f, x, background):
    """Wrong: each feature joining all the others (leave one out)."""
    n = len(x)
    return np.array(
        [
            checks._coalition_value(f, x, background, range(n))
            - checks._coalition_value(f, x, background, [j for j in range(n) if j != i])
            for i in range(n)
        ]
    )


def test_exact_shapley():
    checks.check_exact_shapley(right_shapley)


def test_shapley_by_orderings_is_accepted():
    checks.check_exact_shapley(checks.shapley_by_orderings)


def test_unweighted_shapley_fails(capsys):
    fails_with(capsys, "a plain average over the coalitions", checks.check_exact_shapley, unweighted_shapley)


def test_shapley_against_the_empty_coalition_fails(capsys):
    fails_with(capsys, "joins the empty coalition only", checks.check_exact_shapley, alone_shapley)


def test_leave_one_out_shapley_fails(capsys):
    fails_with(capsys, "joins all the others", checks.check_exact_shapley, last_shapley)


def test_shapley_returning_the_total_fails(capsys):
    fails_with(
        capsys,
        "not a single total",
        checks.check_exact_shapley,
        lambda f, x, background: right_shapley(f, x, background).sum(),
    )


def test_local_accuracy(explained, predict):
    explanation, rows, background = explained
    checks.check_local_accuracy(explanation, predict, rows, background)


def test_local_accuracy_accepts_other_explainers(explained, predict):
    _, rows, background = explained
    on_arrays = shap.KernelExplainer(predict, background.to_numpy())(rows.to_numpy(), silent=True)
    checks.check_local_accuracy(on_arrays, predict, rows, background)
    by_permutation = shap.PermutationExplainer(predict, background.to_numpy())(rows.to_numpy())
    checks.check_local_accuracy(by_permutation, predict, rows, background)


def test_local_accuracy_on_other_rows_fails(explained, predict, data, capsys):
    explanation, rows, background = explained
    fails_with(
        capsys,
        "Explain `rows` with the model's own `predict`",
        checks.check_local_accuracy,
        explanation,
        predict,
        data.iloc[20:25],
        background,
    )


def test_local_accuracy_with_another_background_fails(explained, predict, data, capsys):
    explanation, rows, background = explained
    fails_with(
        capsys, "give it the background rows", checks.check_local_accuracy, explanation, predict, rows, data.iloc[30:60]
    )


def test_local_accuracy_of_only_some_rows_fails(explained, predict, capsys):
    explanation, rows, background = explained
    fails_with(
        capsys,
        "call the explainer on exactly the rows",
        checks.check_local_accuracy,
        explanation[:2],
        predict,
        rows,
        background,
    )


def test_matches_shap(explained, predict):
    explanation, rows, background = explained
    checks.check_matches_shap(right_shapley(predict, rows.iloc[0].to_numpy(), background.to_numpy()), explanation)
    checks.check_matches_shap(list(right_shapley(predict, rows.to_numpy()[0], background)), explanation)


def test_matches_shap_on_another_row_fails(explained, predict, capsys):
    explanation, rows, background = explained
    fails_with(
        capsys,
        "the same district (the first of `rows`)",
        checks.check_matches_shap,
        right_shapley(predict, rows.iloc[1].to_numpy(), background.to_numpy()),
        explanation,
    )


def test_matches_shap_with_another_background_fails(explained, predict, data, capsys):
    explanation, rows, background = explained
    fails_with(
        capsys,
        "the same background",
        checks.check_matches_shap,
        right_shapley(predict, rows.iloc[0].to_numpy(), data.iloc[30:60].to_numpy()),
        explanation,
    )


def test_matches_shap_with_the_total_fails(explained, predict, capsys):
    explanation, rows, background = explained
    fails_with(
        capsys,
        "not their total",
        checks.check_matches_shap,
        right_shapley(predict, rows.iloc[0].to_numpy(), background.to_numpy()).sum(),
        explanation,
    )


def test_global_importance(explained):
    explanation = explained[0]
    right = pd.Series(np.abs(explanation.values).mean(axis=0), index=NAMES).sort_values(ascending=False)
    checks.check_global_importance(right, explanation)
    by_frame = pd.DataFrame(explanation.values, columns=NAMES).abs().mean().sort_values(ascending=False)
    checks.check_global_importance(by_frame, explanation)


def test_global_importance_of_an_explanation_of_bare_arrays(explained, predict):
    _, rows, background = explained
    on_arrays = shap.KernelExplainer(predict, background.to_numpy())(rows.to_numpy(), silent=True)
    assert on_arrays.feature_names is None  # SHAP saw no column names
    right = pd.Series(np.abs(on_arrays.values).mean(axis=0), index=NAMES).sort_values(ascending=False)
    checks.check_global_importance(right, on_arrays, NAMES)


def test_global_importance_of_signed_values_fails(explained, capsys):
    explanation = explained[0]
    fails_with(
        capsys,
        "signed values cancel out",
        checks.check_global_importance,
        pd.Series(explanation.values.mean(axis=0), index=NAMES).abs().sort_values(ascending=False),
        explanation,
    )


def test_global_importance_unsorted_fails(explained, capsys):
    explanation = explained[0]
    right = pd.Series(np.abs(explanation.values).mean(axis=0), index=NAMES)
    fails_with(capsys, "largest first", checks.check_global_importance, right.sort_values(), explanation)


def test_global_importance_without_names_fails(explained, capsys):
    explanation = explained[0]
    fails_with(
        capsys,
        "names as its index",
        checks.check_global_importance,
        pd.Series(np.sort(np.abs(explanation.values).mean(axis=0))[::-1]),
        explanation,
    )


def test_lime_top_features(lime_exp):
    exp, linear, row = lime_exp
    top = sorted(exp.as_list(), key=lambda pair: abs(pair[1]), reverse=True)[:2]
    checks.check_lime_top_features(top, exp, linear, row, k=2, n_features=3)
    checks.check_lime_top_features(exp.as_list()[:2], exp, linear, row, k=2, n_features=3)  # LIME's own order


def test_lime_top_features_by_signed_weight_fails(lime_exp, capsys):
    exp, linear, row = lime_exp
    top = sorted(exp.as_list(), key=lambda pair: abs(pair[1]), reverse=True)[:2]
    by_signed_weight = sorted(exp.as_list(), key=lambda pair: pair[1], reverse=True)[:2]
    assert [n for n, _ in by_signed_weight] != [n for n, _ in top]
    fails_with(
        capsys,
        "A large negative weight matters",
        checks.check_lime_top_features,
        by_signed_weight,
        exp,
        linear,
        row,
        k=2,
        n_features=3,
    )


def test_lime_with_too_few_features_fails(lime_exp, capsys):
    exp, linear, row = lime_exp
    top = exp.as_list()[:2]
    fails_with(capsys, "ask for all of them", checks.check_lime_top_features, top, exp, linear, row, k=2, n_features=8)


def test_lime_top_names_without_weights_fail(lime_exp, capsys):
    exp, linear, row = lime_exp
    fails_with(
        capsys,
        "(condition, weight) pairs",
        checks.check_lime_top_features,
        [name for name, _ in exp.as_list()[:2]],
        exp,
        linear,
        row,
        k=2,
        n_features=3,
    )


def test_lime_of_another_row_fails(lime_exp, data, capsys):
    exp, linear, row = lime_exp
    fails_with(
        capsys,
        "Explain `row` (the first district)",
        checks.check_lime_top_features,
        exp.as_list()[:2],
        exp,
        linear,
        data.iloc[0].to_numpy() + 5,
        k=2,
        n_features=3,
    )


@pytest.fixture(scope="module")
def signed_explanation():
    """Row 0: HouseAge has the largest |value| but a negative sign; MedInc the largest signed value."""
    return shap.Explanation(
        values=np.array([[0.4, -0.9, 0.1]]), base_values=np.array([1.0]), data=np.zeros((1, 3)), feature_names=NAMES
    )


def test_top_feature_names(signed_explanation, lime_exp):
    exp = lime_exp[0]
    lime_name = checks.feature_in_condition(max(exp.as_list(), key=lambda pair: abs(pair[1]))[0], NAMES)
    checks.check_top_feature_names("HouseAge", lime_name, signed_explanation, exp)
    by_pandas = pd.Series(signed_explanation.values[0], index=NAMES).abs().idxmax()
    import re

    by_regex = re.search("|".join(NAMES), exp.as_list()[0][0]).group(0)
    checks.check_top_feature_names(by_pandas, by_regex, signed_explanation, exp)
    unnamed = shap.Explanation(values=signed_explanation.values, base_values=np.array([1.0]), data=np.zeros((1, 3)))
    checks.check_top_feature_names("HouseAge", lime_name, unnamed, exp, NAMES)


def test_top_feature_by_signed_value_fails(signed_explanation, lime_exp, capsys):
    exp = lime_exp[0]
    fails_with(
        capsys,
        "a strong negative SHAP value matters",
        checks.check_top_feature_names,
        "MedInc",
        "HouseAge",
        signed_explanation,
        exp,
    )


def test_top_feature_as_the_whole_condition_fails(signed_explanation, lime_exp, capsys):
    exp = lime_exp[0]
    fails_with(
        capsys,
        "not the whole condition",
        checks.check_top_feature_names,
        "HouseAge",
        exp.as_list()[0][0],
        signed_explanation,
        exp,
    )


def test_feature_in_condition():
    names = ["AveRooms", "AveBedrms", "MedInc"]
    assert checks.feature_in_condition("5.15 < AveRooms <= 6.02", names) == "AveRooms"
    assert checks.feature_in_condition("MedInc <= 2.53", names) == "MedInc"
    assert checks.feature_in_condition("Latitude > 3", names) is None
