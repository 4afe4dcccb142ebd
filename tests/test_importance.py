"""course_lib.importance: an exactly fitted logistic regression, and permutation importance."""

import math

import numpy as np
import pytest

from course_lib.importance import PermutationImportance, accuracy_score, fit_logistic_regression, permutation_importance


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 3))
    p = 1.0 / (1.0 + np.exp(-(x @ np.array([2.0, -1.0, 0.0]) + 0.5)))
    return x, (rng.random(3000) < p).astype(int)


def predictor(w, b):
    return lambda x: (x @ w + b > 0).astype(int)


def test_fit_is_the_maximum_likelihood_optimum(task):
    x, y = task
    w, b = fit_logistic_regression(x, y)
    np.testing.assert_allclose(w, [2.0, -1.0, 0.0], atol=0.15)  # near the truth (3000 noisy labels)
    assert b == pytest.approx(0.5, abs=0.15)
    p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    np.testing.assert_allclose(np.r_[x.T @ (p - y), np.sum(p - y)] / len(y), 0.0, atol=1e-12)  # zero gradient


def test_rescaling_a_feature_divides_its_weight_and_keeps_every_prediction(task):
    x, y = task
    w, b = fit_logistic_regression(x, y)
    for c in (1e-2, 100.0):
        scaled = x * np.array([c, 1.0, 1.0])
        w_c, b_c = fit_logistic_regression(scaled, y)
        np.testing.assert_allclose(w_c * [c, 1.0, 1.0], w, rtol=1e-9)
        assert b_c == pytest.approx(b, rel=1e-9)
        np.testing.assert_array_equal(predictor(w_c, b_c)(scaled), predictor(w, b)(x))


def test_copies_of_a_feature_share_its_weight_evenly(task):
    x, y = task
    w, b = fit_logistic_regression(x, y)
    for k in (2, 3):
        copied = np.column_stack([x[:, [0]]] * k + [x[:, 1:]])
        w_k, b_k = fit_logistic_regression(copied, y)
        np.testing.assert_allclose(w_k[:k], w[0] / k, rtol=1e-9)
        np.testing.assert_allclose(w_k[k:], w[1:], rtol=1e-9)
        np.testing.assert_array_equal(predictor(w_k, b_k)(copied), predictor(w, b)(x))


def test_l2_shrinks_the_weights(task):
    x, y = task
    free, shrunk = fit_logistic_regression(x, y)[0], fit_logistic_regression(x, y, l2=0.1)[0]
    assert np.linalg.norm(shrunk) < np.linalg.norm(free)


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((np.zeros((4, 2)), [0, 1, 2, 1]), {}, ValueError, "y must hold the labels 0 and 1"),
    ((np.zeros((4, 2)), [0, 1]), {}, ValueError, "y must hold 4 integer labels"),
    ((np.zeros((4, 2)), np.array([0.0, 1, 0, 1])), {}, ValueError, "y must hold 4 integer labels"),
    ((np.zeros(4), [0, 1, 0, 1]), {}, ValueError, "x must be a 2-D numpy array"),
    ((np.full((2, 2), np.nan), [0, 1]), {}, ValueError, "x contains nan or inf"),
    ((np.zeros((2, 2)), [0, 1]), {"l2": -1.0}, ValueError, "l2 must be >= 0"),
    ((np.zeros((2, 2)), [0, 1]), {"max_iter": 0}, ValueError, r"max_iter must be a positive int"),
    ((np.zeros((2, 2)), [0, 1]), {"max_iter": 10.0}, TypeError, "max_iter must be a positive int"),
    ((np.zeros((2, 2)), [0, 1]), {"tol": "small"}, TypeError, "tol must be a real number"),
])
def test_fit_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        fit_logistic_regression(*args, **kwargs)


def test_permutation_importance_ranks_features_and_gives_an_ignored_one_zero(task):
    x, y = task
    w, b = fit_logistic_regression(x, y)
    w[2] = 0.0  # the model ignores feature 2
    before = x.copy()
    result = permutation_importance(predictor(w, b), x, y, n_repeats=4, rng=0)
    np.testing.assert_array_equal(x, before)  # x is never changed
    assert isinstance(result, PermutationImportance) and result.drops.shape == (3, 4)
    assert result.baseline == accuracy_score(predictor(w, b)(x), y)
    assert result.mean[0] > result.mean[1] > 0.05 and result.mean[2] == 0.0 and np.all(result.drops[2] == 0)
    np.testing.assert_allclose(result.mean, result.drops.mean(axis=1))
    np.testing.assert_allclose(result.std, result.drops.std(axis=1))
    again = permutation_importance(predictor(w, b), x, y, n_repeats=4, rng=0)
    np.testing.assert_array_equal(again.drops, result.drops)  # the same seed, the same shuffles


def test_permutation_importance_does_not_depend_on_units_and_groups_keep_copies_together(task):
    x, y = task
    w, b = fit_logistic_regression(x, y)
    base = permutation_importance(predictor(w, b), x, y, rng=1)
    scaled = x * np.array([100.0, 1.0, 1.0])
    w_s, b_s = fit_logistic_regression(scaled, y)
    np.testing.assert_array_equal(permutation_importance(predictor(w_s, b_s), scaled, y, rng=1).mean, base.mean)
    copied = np.column_stack([x[:, 0], x])  # x1 twice
    w_c, b_c = fit_logistic_regression(copied, y)
    alone = permutation_importance(predictor(w_c, b_c), copied, y, features=[0, 1], rng=1)
    together = permutation_importance(predictor(w_c, b_c), copied, y, features=[[0, 1]], rng=1)
    assert np.all(alone.mean < 0.6 * base.mean[0])  # each copy alone looks much less important ...
    np.testing.assert_array_equal(together.mean, base.mean[:1])  # ... both shuffled together: x1's importance


def test_permutation_importance_with_a_score_of_its_own(task):
    x, y = task
    w, b = fit_logistic_regression(x, y)
    errors = permutation_importance(predictor(w, b), x, y, features=[0], n_repeats=2, rng=0,
                                    score=lambda predicted, labels: -np.mean(predicted != labels))
    accuracy = permutation_importance(predictor(w, b), x, y, features=[0], n_repeats=2, rng=0)
    assert math.isclose(errors.mean[0], accuracy.mean[0], rel_tol=1e-12)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"predict": "model"}, TypeError, "predict must be a function of x"),
    ({"x": np.zeros(5)}, ValueError, "x must be a 2-D numpy array"),
    ({"x": np.zeros((1, 3)), "y": [0]}, ValueError, "at least 2 examples"),
    ({"y": [0, 1]}, ValueError, "y must hold 5 integer labels"),
    ({"features": [3]}, ValueError, r"each column index in features must be an int in \[0, 2\], got 3"),
    ({"features": [[0, 1.0]]}, TypeError, r"each column index in features must be an int in \[0, 2\], got 1.0"),
    ({"features": [True]}, TypeError, "each column index in features must be an int"),
    ({"features": [[]]}, ValueError, "features must hold column indices"),
    ({"features": "x1"}, TypeError, "features must be a list of column indices"),
    ({"features": [0.5]}, TypeError, "features must be a list of column indices"),
    ({"n_repeats": 0}, ValueError, r"n_repeats must be a positive int"),
    ({"n_repeats": 2.0}, TypeError, "n_repeats must be a positive int"),
    ({"rng": "seed"}, TypeError, "rng must be"),
    ({"score": 1}, TypeError, "score must be a function"),
])
def test_permutation_importance_bad_input(kwargs, error, message):
    arguments = {"predict": lambda a: np.zeros(len(a), dtype=int), "x": np.zeros((5, 3)), "y": np.zeros(5, int)}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        permutation_importance(**arguments)
