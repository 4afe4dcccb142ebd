"""The explorer of chapter 09: importance_explorer and its pure function importance_experiment."""

import math

import numpy as np
import pytest

from course_lib.widgets import (
    IMPORTANCE_MAX_COPIES,
    IMPORTANCE_SLOTS,
    IMPORTANCE_TRUE_WEIGHTS,
    importance_experiment,
    importance_explorer,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_the_fitted_weights_are_near_the_truth_and_the_noise_feature_matters_least():
    data = importance_experiment()
    assert data["columns"] == ["x1", "x2", "x3", "x4"] and len(IMPORTANCE_TRUE_WEIGHTS) == 4
    np.testing.assert_allclose(data["weights"], IMPORTANCE_TRUE_WEIGHTS, atol=0.25)
    assert data["importance"][0] > data["importance"][1] > data["importance"][2] > data["importance"][3]
    assert 0.75 <= data["accuracy"] <= 0.85 and data["same_predictions"] == 1.0
    # one column of x2: the group is x2 itself (shuffled by another generator: about the same drop)
    assert data["group_importance"] == pytest.approx(data["importance"][1], abs=0.01)


@pytest.mark.parametrize("scale", [0.01, 0.1, 3.0, 100.0])
def test_units_change_the_weight_and_nothing_else(scale):
    base, scaled = importance_experiment(1.0), importance_experiment(scale)
    assert math.isclose(scaled["weights"][0] * scale, base["weights"][0], rel_tol=1e-8)  # weight / scale
    np.testing.assert_allclose(scaled["weights"][1:], base["weights"][1:], rtol=1e-8)
    assert scaled["same_predictions"] == 1.0 and scaled["accuracy"] == base["accuracy"]
    np.testing.assert_array_equal(scaled["importance"], base["importance"])  # the same shuffles, the same drops
    np.testing.assert_allclose(scaled["standardized_weights"], base["standardized_weights"], rtol=1e-8)


@pytest.mark.parametrize("copies", [2, 3, 4])
def test_copies_split_the_weight_and_the_single_column_importance_but_not_the_group(copies):
    base, copied = importance_experiment(1.0, 1), importance_experiment(1.0, copies)
    assert copied["columns"] == ["x1", "x2", *(f"x2 #{k}" for k in range(2, copies + 1)), "x3", "x4"]
    np.testing.assert_allclose(copied["weights"][1:1 + copies], base["weights"][1] / copies, rtol=1e-8)
    assert copied["same_predictions"] == 1.0 and copied["accuracy"] == base["accuracy"]
    assert np.all(copied["importance"][1:1 + copies] < 0.5 * base["importance"][1])
    assert copied["group_importance"] == base["group_importance"]  # shuffled together: x2's importance again
    if copies >= 3:  # by its weight, each copy now looks less important than x3, whose true weight is half x2's
        assert np.all(np.abs(copied["weights"][1:1 + copies]) < abs(copied["weights"][1 + copies]))


def test_results_are_reproducible_and_a_new_seed_draws_new_data():
    first, second = importance_experiment(3.0, 2), importance_experiment(3.0, 2)
    np.testing.assert_array_equal(first["weights"], second["weights"])
    np.testing.assert_array_equal(first["importance"], second["importance"])
    other = importance_experiment(3.0, 2, rng=1)
    assert not np.array_equal(other["weights"], first["weights"])
    small = importance_experiment(n=200, n_repeats=2, rng=np.random.default_rng(5))
    assert len(small["importance_std"]) == 4


@pytest.mark.parametrize("kwargs, error, message", [
    ({"scale": 0}, ValueError, "scale must be > 0"),
    ({"scale": -2.0}, ValueError, "scale must be > 0"),
    ({"scale": math.inf}, ValueError, "scale must be finite"),
    ({"scale": "100"}, TypeError, "scale must be a real number"),
    ({"copies": 0}, ValueError, r"copies must be an int in \[1, 4\]"),
    ({"copies": 5}, ValueError, r"copies must be an int in \[1, 4\]"),
    ({"copies": 2.0}, TypeError, "copies must be an int"),
    ({"n": 5}, ValueError, r"n must be an int in \[10, 100000\]"),
    ({"n_repeats": 0}, ValueError, "n_repeats must be an int"),
    ({"rng": -1}, ValueError, "rng as a seed must be >= 0"),
    ({"rng": "seed"}, TypeError, "rng must be"),
])
def test_bad_inputs(kwargs, error, message):
    with pytest.raises(error, match=message):
        importance_experiment(**kwargs)


def test_explorer_sliders_change_data_and_image():
    explorer = importance_explorer()
    assert (explorer.scale_slider.value, explorer.copies_slider.value) == (1.0, 1)
    assert explorer.copies_slider.max == IMPORTANCE_MAX_COPIES and len(IMPORTANCE_SLOTS) == 3 + IMPORTANCE_MAX_COPIES
    assert bytes(explorer.image.value).startswith(PNG)
    base_weight = explorer.data["weights"][0]
    for control, value in [(explorer.scale_slider, 100.0), (explorer.copies_slider, 3),
                           (explorer.scale_slider, 0.01), (explorer.copies_slider, 1)]:
        before_image, before = bytes(explorer.image.value), explorer.data
        control.value = value
        assert bytes(explorer.image.value) != before_image
        assert explorer.data is not before
        assert (explorer.data["scale"], explorer.data["copies"]) == (explorer.scale_slider.value,
                                                                     explorer.copies_slider.value)
        assert explorer.data["same_predictions"] == 1.0
    assert explorer.data["weights"][0] == pytest.approx(100 * base_weight, rel=1e-8)  # x1 in units x 0.01
    assert explorer.update() is None and explorer.update({"name": "value"}) is None


@pytest.mark.parametrize("kwargs, error, message", [
    ({"scale": 1000.0}, ValueError, r"scale must be in \[0.01, 100\]"),
    ({"scale": "1"}, TypeError, "scale must be a real number"),
    ({"copies": 9}, ValueError, r"copies must be an int in \[1, 4\]"),
    ({"n": 1}, ValueError, "n must be an int"),
    ({"rng": 1.5}, TypeError, "rng must be"),
])
def test_explorer_bad_inputs(kwargs, error, message):
    with pytest.raises(error, match=message):
        importance_explorer(**kwargs)
