"""Module 05's lab checks pass on a right answer and fail on a wrong one (tiny models, no notebook)."""
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
    others = [[S for size in range(n) for S in itertools.combinations([j for j in range(n) if j != i], size)]
              for i in range(n)]
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
    row = data.iloc[int(np.argmax(data['HouseAge']))].to_numpy()  # HouseAge's weight: large and negative
    return explainer.explain_instance(row, linear, num_features=3, num_samples=300), linear, row


def test_shapley_reference_matches_formula():
    for _, f, x, background in checks._toy_games():
        assert np.allclose(checks.shapley_by_orderings(f, x, background), right_shapley(f, x, background))


def test_predict_function(model, data, predict):
    checks.check_predict_function(predict, model, data)
    with pytest.raises(LabCheckFailed):  # 2-D output
        checks.check_predict_function(lambda rows: model(np.asarray(rows, dtype="float32")).numpy(), model, data)
    with pytest.raises(LabCheckFailed):  # a tensor, not NumPy
        checks.check_predict_function(lambda rows: model(np.asarray(rows, dtype="float32")), model, data)


def test_blanks_still_stop_the_lab(model, data):
    from includes.labs import LabBlankError, fill_in

    with pytest.raises(LabBlankError):
        checks.check_predict_function(lambda rows: fill_in("predict"), model, data)
    with pytest.raises(LabBlankError):
        checks.check_exact_shapley(lambda f, x, background: fill_in("exact Shapley values"))


def test_exact_shapley():
    checks.check_exact_shapley(right_shapley)
    with pytest.raises(LabCheckFailed):
        checks.check_exact_shapley(unweighted_shapley)
    with pytest.raises(LabCheckFailed):
        checks.check_exact_shapley(lambda f, x, background: np.zeros(len(x)))


def test_local_accuracy(explained, predict, data):
    explanation, rows, background = explained
    checks.check_local_accuracy(explanation, predict, rows, background)
    with pytest.raises(LabCheckFailed):  # explained other rows
        checks.check_local_accuracy(explanation, predict, data.iloc[20:25], background)
    with pytest.raises(LabCheckFailed):  # another background than the one given
        checks.check_local_accuracy(explanation, predict, rows, data.iloc[30:60])
    shifted = shap.Explanation(explanation.values + 0.1, base_values=explanation.base_values,
                               data=explanation.data, feature_names=NAMES)
    with pytest.raises(LabCheckFailed):  # values that do not add up
        checks.check_local_accuracy(shifted, predict, rows, background)


def test_matches_shap(explained, predict):
    explanation, rows, background = explained
    checks.check_matches_shap(right_shapley(predict, rows.iloc[0].to_numpy(), background.to_numpy()), explanation)
    with pytest.raises(LabCheckFailed):  # another row
        checks.check_matches_shap(right_shapley(predict, rows.iloc[1].to_numpy(), background.to_numpy()),
                                  explanation)


def test_global_importance(explained):
    explanation = explained[0]
    right = pd.Series(np.abs(explanation.values).mean(axis=0), index=NAMES).sort_values(ascending=False)
    checks.check_global_importance(right, explanation)
    with pytest.raises(LabCheckFailed):  # mean of signed values
        checks.check_global_importance(
            pd.Series(explanation.values.mean(axis=0), index=NAMES).sort_values(ascending=False), explanation)
    with pytest.raises(LabCheckFailed):  # not sorted
        checks.check_global_importance(right.sort_values(ascending=True), explanation)


def test_lime_top_features(lime_exp):
    exp, linear, row = lime_exp
    top = sorted(exp.as_list(), key=lambda pair: abs(pair[1]), reverse=True)[:2]
    checks.check_lime_top_features(top, exp, linear, row, k=2, n_features=3)
    by_signed_weight = sorted(exp.as_list(), key=lambda pair: pair[1], reverse=True)[:2]
    assert [n for n, _ in by_signed_weight] != [n for n, _ in top]
    with pytest.raises(LabCheckFailed):
        checks.check_lime_top_features(by_signed_weight, exp, linear, row, k=2, n_features=3)
    with pytest.raises(LabCheckFailed):  # explained with too few features
        checks.check_lime_top_features(top, exp, linear, row, k=2, n_features=8)
    with pytest.raises(LabCheckFailed):  # only names, no weights
        checks.check_lime_top_features([name for name, _ in top], exp, linear, row, k=2, n_features=3)


def test_top_feature_names(explained, lime_exp):
    explanation = explained[0]
    exp = lime_exp[0]
    shap_top = NAMES[int(np.argmax(np.abs(explanation.values[0])))]
    checks.check_top_feature_names(shap_top, "HouseAge", explanation, exp)
    wrong_shap = NAMES[int(np.argmin(np.abs(explanation.values[0])))]
    with pytest.raises(LabCheckFailed):
        checks.check_top_feature_names(wrong_shap, "HouseAge", explanation, exp)
    with pytest.raises(LabCheckFailed):  # the whole condition, not the feature name
        checks.check_top_feature_names(shap_top, exp.as_list()[0][0], explanation, exp)


def test_feature_in_condition():
    names = ["AveRooms", "AveBedrms", "MedInc"]
    assert checks.feature_in_condition("5.15 < AveRooms <= 6.02", names) == "AveRooms"
    assert checks.feature_in_condition("MedInc <= 2.53", names) == "MedInc"
    assert checks.feature_in_condition("Latitude > 3", names) is None
