"""Chapter 09's evidence (course_lib.experiments.ch09_weights_in_practice): with an exact copy of a feature, only
the sum of the two weights is determined, and the solver picks the split; and the notebook quotes what it printed."""

import pathlib

import nbformat
import numpy as np
import pytest

from course_lib.experiments.ch09_weights_in_practice import logistic_gradient_descent, weight_averaging_run
from course_lib.importance import fit_logistic_regression

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "notebooks" / "09_weights_in_practice.ipynb"


def _task(n=800, seed=0):
    """The chapter's synthetic task, p(y = 1) = sigmoid(2 x1 + x2 + 0.5 x3), with an exact copy of x1 appended."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(x @ np.array([2.0, 1.0, 0.5, 0.0]))))).astype(int)
    return x, y, np.column_stack([x, x[:, 0]])


def test_gradient_descent_reaches_the_newton_optimum_without_copies():
    x, y, _ = _task()
    w, b = logistic_gradient_descent(x, y, np.zeros(4), steps=2000)
    w_newton, b_newton = fit_logistic_regression(x, y)
    np.testing.assert_allclose(w, w_newton, atol=1e-6)
    assert b == pytest.approx(b_newton, abs=1e-6)


@pytest.mark.parametrize("start", [(3.0, 0.0, 0.0, 0.0, -2.0), (-1.0, 0.5, 0.2, 0.1, 2.5)])
def test_gradient_descent_keeps_the_starting_difference_of_copies_and_finds_the_sum(start):
    x, y, x_copy = _task()
    w, _ = logistic_gradient_descent(x_copy, y, np.array(start), steps=2000)
    assert w[0] - w[4] == pytest.approx(start[0] - start[4], abs=1e-9)  # the direction the data cannot see
    w_alone, _ = fit_logistic_regression(x, y)
    assert w[0] + w[4] == pytest.approx(w_alone[0], abs=1e-6)  # the sum is x1's weight without the copy
    np.testing.assert_allclose(w[1:4], w_alone[1:4], atol=1e-6)


def test_from_zero_gradient_descent_and_newton_split_evenly():
    _, y, x_copy = _task()
    w_gd, _ = logistic_gradient_descent(x_copy, y, np.zeros(5), steps=2000)
    w_newton, _ = fit_logistic_regression(x_copy, y)
    assert w_newton[0] == pytest.approx(w_newton[4], abs=1e-9)
    np.testing.assert_allclose(w_gd, w_newton, atol=1e-6)


def test_ridge_splits_evenly_from_an_uneven_start():
    _, y, x_copy = _task()
    w, b = logistic_gradient_descent(x_copy, y, np.array([3.0, 0.0, 0.0, 0.0, -2.0]), l2=0.01, steps=4000)
    w_ridge, b_ridge = fit_logistic_regression(x_copy, y, l2=0.01)
    assert w[0] == pytest.approx(w[4], abs=1e-6)
    np.testing.assert_allclose(w, w_ridge, atol=1e-6)
    assert b == pytest.approx(b_ridge, abs=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"w_start": np.zeros(3)}, "w_start"),
    ({"w_start": np.array([0.0, np.nan, 0.0, 0.0])}, "w_start"),
    ({"lr": 0.0}, "lr"),
    ({"steps": -1}, "steps"),
    ({"l2": -0.1}, "l2"),
])
def test_bad_arguments_are_named(kwargs, match):
    x, y, _ = _task(n=20)
    arguments = {"w_start": np.zeros(4), **kwargs}
    with pytest.raises(ValueError, match=match):
        logistic_gradient_descent(x, y, **arguments)


def test_labels_must_be_zero_or_one():
    x, y, _ = _task(n=20)
    with pytest.raises(ValueError, match="y"):
        logistic_gradient_descent(x, y + 1, np.zeros(4))


def test_the_notebook_quotes_the_split_it_printed():
    cells = {cell.id: cell for cell in nbformat.read(NOTEBOOK, as_version=4).cells}
    printed = "".join(output.get("text", "") for output in cells["c09-024c"].outputs)
    rows = {line[:46].strip(): line[46:].split() for line in printed.splitlines() if "from" in line}
    minimum_norm = rows["Newton, minimum-norm steps, from 0"]
    started = rows["gradient descent from w1 = 3, w5 = -2"]
    assert minimum_norm[-4] == minimum_norm[-3]  # w1 and its copy equal
    assert started[-4] != started[-3] and started[-2] == minimum_norm[-2]  # another split, the same sum
    assert float(started[-4]) - float(started[-3]) == pytest.approx(5.0, abs=1e-3)
    myth = cells["c09-025"].source
    for number in (minimum_norm[-4], started[-4], started[-3], started[-2]):
        assert number in myth, number


def _blobs(n=300, seed=0):
    """Three overlapping Gaussian classes in 10 dimensions: mini-batch SGD keeps bouncing."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return rng.normal(size=(n, 10)) + 1.2 * np.eye(10)[y], y


def test_weight_averaging_run_returns_the_three_evaluations_and_is_reproducible():
    x, y = _blobs()
    x_val, y_val = _blobs(seed=1)
    first = weight_averaging_run(x, y, x_val, y_val, hidden=8, epochs=3, batch_size=10, lr=0.1, decay=0.9, rng=0)
    again = weight_averaging_run(x, y, x_val, y_val, hidden=8, epochs=3, batch_size=10, lr=0.1, decay=0.9, rng=0)
    assert first == again and first["steps"] == 90
    assert set(first) == {"raw", "ema", "tail", "steps"}
    assert first["raw"] != first["ema"] != first["tail"]
    for loss, accuracy in (first["raw"], first["ema"], first["tail"]):
        assert 0 < loss < 2 and 0.5 < accuracy <= 1


def test_with_a_decay_of_zero_the_ema_is_the_last_iterate():
    x, y = _blobs()
    result = weight_averaging_run(x, y, x, y, hidden=8, epochs=2, batch_size=10, lr=0.1, decay=0.0, rng=0)
    assert result["ema"] == result["raw"]


def test_weight_averaging_run_bad_tail_start():
    x, y = _blobs(n=30)
    with pytest.raises(ValueError, match="tail_start"):
        weight_averaging_run(x, y, x, y, tail_start=1.0)
