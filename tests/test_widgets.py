"""course_lib.widgets: set each control's .value and check that the numbers and the picture change."""

import ipywidgets as widgets
import numpy as np
import pytest

from course_lib.widgets import init_explorer, init_explorer_data, neuron_curve, neuron_explorer

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture()
def explorer():
    return init_explorer()


def change(explorer, control, value):
    """Set a control and return (old data, old image bytes)."""
    old_data, old_image = explorer.data, explorer.image.value
    control.value = value
    assert bytes(explorer.image.value).startswith(PNG)
    assert explorer.image.value != old_image, f"{control.description}={value} did not change the image"
    return old_data


def test_init_explorer_is_a_widget_with_ordinary_controls(explorer):
    assert isinstance(explorer, widgets.VBox)
    assert isinstance(explorer.scale_slider, widgets.FloatLogSlider)
    assert (explorer.scale_slider.min, explorer.scale_slider.max, explorer.scale_slider.base) == (-2, 2, 10)
    assert (explorer.depth_slider.min, explorer.depth_slider.max) == (1, 20)
    assert isinstance(explorer.width_slider, widgets.IntSlider)
    assert "kaiming_normal" in explorer.initializer_dropdown.options
    assert set(explorer.activation_dropdown.options) >= {"relu", "tanh", "sigmoid"}
    assert bytes(explorer.image.value).startswith(PNG)


def test_scale_slider(explorer):
    old = change(explorer, explorer.scale_slider, 2.0)
    # ReLU is positively homogeneous: doubling W doubles layer 1's output
    assert explorer.data["std"][0] == pytest.approx(2 * old["std"][0], rel=1e-9)
    assert explorer.data["std"][-1] == pytest.approx(2**10 * old["std"][-1], rel=1e-6)


def test_depth_slider(explorer):
    old = change(explorer, explorer.depth_slider, 5)
    assert len(old["std"]) == 10 and len(explorer.data["std"]) == 5
    assert explorer.data["histograms"].shape[0] == 5


def test_width_slider(explorer):
    old = change(explorer, explorer.width_slider, 128)
    assert not np.allclose(old["std"], explorer.data["std"])
    assert explorer.data["std"][-1] == pytest.approx(0.83, abs=0.15)  # He + ReLU stays steady at any width


def test_initializer_dropdown(explorer):
    old = change(explorer, explorer.initializer_dropdown, "xavier_normal")
    assert explorer.data["std"][-1] < 0.2 * old["std"][-1]  # Xavier + ReLU decays, He does not


def test_activation_dropdown(explorer):
    old = change(explorer, explorer.activation_dropdown, "tanh")
    assert old["saturated_fraction"] is None and explorer.data["saturated_fraction"] is not None
    assert explorer.data["dead_fraction"] is None
    assert np.all(explorer.data["std"] < 1.0)


def test_init_explorer_data_is_pure():
    a = init_explorer_data("orthogonal", 0.5, 4, 64, "sigmoid", rng=3)
    b = init_explorer_data("orthogonal", 0.5, 4, 64, "sigmoid", rng=3)
    for key in a:
        if a[key] is None:
            assert b[key] is None
        else:
            np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_allclose(a["histograms"].sum(axis=1), 1.0)
    assert a["bin_edges"][0] == 0.0 and a["bin_edges"][-1] == 1.0  # sigmoid's range


def test_exploding_scale_is_reported_not_raised():
    data = init_explorer_data("normal", 100.0, 20, 1024, "identity")
    assert np.isfinite(data["std"]).all() and data["std"][-1] > 1e60


@pytest.mark.parametrize(
    "kwargs, match",
    [({"depth": 0}, "depth must be an int in \\[1, 20\\]"), ({"depth": 21}, "depth"), ({"width": 8}, "width"),
     ({"initializer": "he"}, "unknown initializer"), ({"activation": "gelu"}, "unknown activation"),
     ({"scale": 0.0}, "scale must be > 0"), ({"scale": -1.0}, "scale must be > 0")],
)
def test_init_explorer_data_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        init_explorer_data(**kwargs)


def test_neuron_explorer():
    explorer = neuron_explorer(weight=1.0, bias=0.0)
    assert explorer.data["threshold"] == 0.0
    old_image = explorer.image.value
    explorer.bias_slider.value = 1.0
    assert explorer.data["threshold"] == pytest.approx(-1.0) and explorer.image.value != old_image
    old_image = explorer.image.value
    explorer.weight_slider.value = 2.0
    assert explorer.data["threshold"] == pytest.approx(-0.5) and explorer.image.value != old_image
    explorer.activation_dropdown.value = "tanh"
    np.testing.assert_allclose(explorer.data["a"], np.tanh(2.0 * explorer.data["x"] + 1.0))
    explorer.weight_slider.value = 0.0
    assert explorer.data["threshold"] is None


def test_neuron_curve():
    curve = neuron_curve(2.0, -1.0, "relu", x=np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(curve["a"], [0.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="weight must be a real number"):
        neuron_curve("1", 0.0)
