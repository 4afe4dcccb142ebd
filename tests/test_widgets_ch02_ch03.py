"""The explorers of chapters 02 and 03: lr_explorer and bias_explorer, and their pure functions."""

import numpy as np
import pytest

from course_lib.data import shifted_blobs
from course_lib.widgets import bias_explorer, lr_experiment, lr_explorer, neuron_2d

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("lr, verdict", [(0.003, "too small"), (0.05, "too small"), (0.2, "good"),
                                         (0.3, "good"), (0.37, "too large (oscillates)"), (0.45, "divergent")])
def test_lr_experiment_verdicts(lr, verdict):
    data = lr_experiment(lr)
    assert data["verdict"] == verdict
    assert data["lr_best"] < data["lr_max"]
    assert (lr > data["lr_max"]) == (verdict == "divergent")  # the theory's stability limit, measured


def test_lr_experiment_is_gradient_descent():
    data = lr_experiment(0.1, steps=5)
    assert data["trajectory"].shape == (6, 2) and data["loss"].shape == (6,)
    assert np.all(np.diff(data["loss"]) < 0)  # below 1/lambda_max: the loss falls at every step
    np.testing.assert_array_equal(data["trajectory"][0], [-2.0, 3.0])
    with pytest.raises(ValueError, match="lr must be > 0"):
        lr_experiment(0.0)
    with pytest.raises(ValueError, match="steps must be an int"):
        lr_experiment(0.1, steps=0)


def test_lr_explorer_slider_changes_data_and_image():
    explorer = lr_explorer(lr=0.01)
    assert explorer.data["verdict"] == "too small"
    before = bytes(explorer.image.value)
    explorer.lr_slider.value = 0.5
    assert explorer.data["verdict"] == "divergent"
    assert bytes(explorer.image.value).startswith(PNG) and bytes(explorer.image.value) != before


def test_neuron_2d():
    x = np.array([[0.0, 0.0], [2.0, 2.0]])
    data = neuron_2d(1.0, 1.0, -2.0, x, np.array([0, 1]))
    np.testing.assert_allclose(data["z"], [-2.0, 2.0])
    assert data["accuracy"] == 1.0
    assert data["distance_from_origin"] == pytest.approx(2 / np.sqrt(2))
    p, q = data["line"]
    assert p @ [1, 1] - 2 == pytest.approx(0) and q @ [1, 1] - 2 == pytest.approx(0)
    assert neuron_2d(0.0, 0.0, 1.0, x, np.array([0, 1]))["line"] is None
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        neuron_2d(1, 1, 0, np.zeros((3, 3)), np.zeros(3))


def test_bias_explorer_sliders():
    x, y = shifted_blobs(n=200, rng=0)
    explorer = bias_explorer(x, y, w1=1.0, w2=1.0, b=0.0)
    assert explorer.data["accuracy"] == pytest.approx(0.5, abs=0.05)  # a line through the origin: all one class
    for slider, value in [(explorer.b_slider, -6.0), (explorer.w1_slider, 1.5), (explorer.w2_slider, 0.5)]:
        before_image, before_z = bytes(explorer.image.value), explorer.data["z"].copy()
        slider.value = value
        assert bytes(explorer.image.value) != before_image and not np.allclose(explorer.data["z"], before_z)
    explorer.w1_slider.value, explorer.w2_slider.value = 1.0, 1.0
    assert explorer.data["accuracy"] > 0.9  # with the bias at -6 the line passes between the blobs


def test_momentum_experiment_and_explorer():
    from course_lib.widgets import momentum_experiment, momentum_explorer

    plain = momentum_experiment(0.05, 0.0)
    heavy = momentum_experiment(0.05, 0.8)
    assert plain["stable"] and heavy["stable"] and heavy["rate"] < plain["rate"]
    assert not momentum_experiment(0.5, 0.5)["stable"]  # lr * 10 = 5 > 2 + 2 * 0.5
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        momentum_experiment(0.1, 1.0)
    explorer = momentum_explorer()
    for control, value in [(explorer.momentum_slider, 0.9), (explorer.lr_slider, 0.1),
                           (explorer.nesterov_checkbox, True)]:
        before_image, before_path = bytes(explorer.image.value), explorer.data["path"].copy()
        control.value = value
        assert bytes(explorer.image.value) != before_image
        assert before_path.shape != explorer.data["path"].shape or not np.allclose(before_path, explorer.data["path"])


def test_optimizer_race_and_explorer():
    from course_lib.widgets import optimizer_explorer, optimizer_race

    race = optimizer_race(0.05)
    assert set(race) == {"SGD", "momentum", "Nesterov", "RMSprop", "Adam"}
    assert all(run["path"].shape == (61, 2) for run in race.values())
    assert race["momentum"]["loss"][-1] < race["SGD"]["loss"][-1]  # momentum is faster on this valley
    diverging = optimizer_race(0.2)  # lr * 25 = 5 > 2: plain SGD diverges, Adam does not
    assert diverging["SGD"]["loss"][-1] > diverging["SGD"]["loss"][0]
    assert diverging["Adam"]["loss"][-1] < diverging["Adam"]["loss"][0]
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\)"):
        optimizer_race(0.1, beta2=1.0)
    explorer = optimizer_explorer()
    for control, value in [(explorer.lr_slider, 0.1), (explorer.beta1_slider, 0.5), (explorer.beta2_slider, 0.9)]:
        before_image, before = bytes(explorer.image.value), explorer.data["Adam"]["path"].copy()
        control.value = value
        assert bytes(explorer.image.value) != before_image
        assert not np.allclose(before, explorer.data["Adam"]["path"])
