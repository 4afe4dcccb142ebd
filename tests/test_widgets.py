"""course_lib.widgets: set each control's .value and check that the numbers and the picture change."""

import ipywidgets as widgets
import numpy as np
import pytest
import traitlets

from course_lib.widgets import (
    EXPLORER_INITIALIZERS,
    init_explorer,
    init_explorer_data,
    neuron_curve,
    neuron_explorer,
)

PNG = b"\x89PNG\r\n\x1a\n"


def change(explorer, control, value):
    """Set a control's value as a learner would; check that the picture changed; return the old data."""
    old_data, old_image = explorer.data, explorer.image.value
    assert control.value != value
    control.value = value
    assert control.value == value
    assert explorer.data is not old_data
    assert bytes(explorer.image.value).startswith(PNG)
    assert explorer.image.value != old_image, f"{control.description}={value} did not change the image"
    return old_data


@pytest.fixture()
def explorer():
    return init_explorer()  # kaiming_normal, scale 1, depth 10, width 256, relu


# --------------------------------------------------------------------------------------------------
# the widget
# --------------------------------------------------------------------------------------------------


def test_init_explorer_is_a_vbox_with_ordinary_controls(explorer):
    assert isinstance(explorer, widgets.VBox)
    assert isinstance(explorer.scale_slider, widgets.FloatLogSlider)
    assert (explorer.scale_slider.min, explorer.scale_slider.max, explorer.scale_slider.base) == (-2, 2, 10)
    assert isinstance(explorer.depth_slider, widgets.IntSlider)
    assert (explorer.depth_slider.min, explorer.depth_slider.max) == (1, 20)
    assert isinstance(explorer.width_slider, widgets.IntSlider)
    assert isinstance(explorer.initializer_dropdown, widgets.Dropdown)
    assert isinstance(explorer.activation_dropdown, widgets.Dropdown)
    assert tuple(explorer.initializer_dropdown.options) == EXPLORER_INITIALIZERS
    assert set(explorer.activation_dropdown.options) == {"identity", "relu", "leaky_relu", "tanh", "sigmoid"}
    assert isinstance(explorer.image, widgets.Image)
    assert bytes(explorer.image.value).startswith(PNG)
    # every control and the image are displayed inside the VBox
    shown = [w for child in explorer.children for w in getattr(child, "children", (child,))]
    for control in (explorer.scale_slider, explorer.depth_slider, explorer.width_slider,
                    explorer.initializer_dropdown, explorer.activation_dropdown, explorer.image):
        assert control in shown
    assert len(explorer.data["std"]) == 10


@pytest.mark.parametrize("activation", ["relu", "identity"])
def test_scale_slider(activation):
    explorer = init_explorer(activation=activation)
    old = change(explorer, explorer.scale_slider, 2.0)
    # relu and identity are positively homogeneous: doubling W doubles layer 1's output (and layer k's by 2^k)
    assert explorer.data["std"][0] == pytest.approx(2 * old["std"][0], rel=1e-9)
    assert explorer.data["std"][-1] == pytest.approx(2**10 * old["std"][-1], rel=1e-6)
    assert explorer.data["pre_std"][0] == pytest.approx(2 * old["pre_std"][0], rel=1e-9)
    old = change(explorer, explorer.scale_slider, 0.5)
    assert explorer.data["std"][0] == pytest.approx(old["std"][0] / 4, rel=1e-9)


def test_depth_slider(explorer):
    old = change(explorer, explorer.depth_slider, 5)
    assert len(old["std"]) == 10 and len(explorer.data["std"]) == 5
    assert explorer.data["histograms"].shape[0] == 5 and len(explorer.data["dead_fraction"]) == 5
    np.testing.assert_allclose(explorer.data["std"], old["std"][:5])  # the same first five layers
    change(explorer, explorer.depth_slider, 20)
    assert len(explorer.data["std"]) == 20


def test_width_slider(explorer):
    old = change(explorer, explorer.width_slider, 128)
    assert not np.allclose(old["std"], explorer.data["std"])
    assert explorer.data["std"][-1] == pytest.approx(0.83, abs=0.15)  # He + ReLU stays steady at any width


def test_initializer_dropdown(explorer):
    old = change(explorer, explorer.initializer_dropdown, "xavier_normal")
    assert explorer.data["std"][-1] < 0.2 * old["std"][-1]  # Xavier + ReLU decays, He does not
    change(explorer, explorer.initializer_dropdown, "zeros")
    assert np.all(explorer.data["std"] == 0) and np.all(explorer.data["dead_fraction"] == 1)


def test_activation_dropdown(explorer):
    old = change(explorer, explorer.activation_dropdown, "tanh")
    assert old["saturated_fraction"] is None and explorer.data["saturated_fraction"] is not None
    assert old["dead_fraction"] is not None and explorer.data["dead_fraction"] is None
    assert np.all(explorer.data["std"] < 1.0)  # tanh is bounded by 1
    assert explorer.data["bin_edges"][0] == -1.0 and explorer.data["bin_edges"][-1] == 1.0
    change(explorer, explorer.activation_dropdown, "sigmoid")
    assert np.all(explorer.data["mean"] > 0.3)  # sigmoid outputs are positive, centered near 0.5


def test_every_initializer_and_activation_draws():
    explorer = init_explorer(depth=3, width=32, n_examples=16)
    images = {explorer.image.value}
    for name in EXPLORER_INITIALIZERS:
        if name != explorer.initializer_dropdown.value:
            change(explorer, explorer.initializer_dropdown, name)
            images.add(explorer.image.value)
    for activation in explorer.activation_dropdown.options:
        if activation != explorer.activation_dropdown.value:
            change(explorer, explorer.activation_dropdown, activation)
            images.add(explorer.image.value)
    assert len(images) == len(EXPLORER_INITIALIZERS) + 4


# --------------------------------------------------------------------------------------------------
# the pure function
# --------------------------------------------------------------------------------------------------


def test_init_explorer_data_is_pure():
    a = init_explorer_data("orthogonal", 0.5, 4, 64, "sigmoid", rng=3)
    init_explorer_data("orthogonal", 2.0, 4, 64, "sigmoid", rng=3)  # a call in between changes nothing
    init_explorer_data("orthogonal", 0.5, 4, 64, "sigmoid", rng=4)
    b = init_explorer_data("orthogonal", 0.5, 4, 64, "sigmoid", rng=3)
    assert a.keys() == b.keys()
    for key in a:
        if a[key] is None:
            assert b[key] is None
        else:
            np.testing.assert_array_equal(a[key], b[key])
    c = init_explorer_data("orthogonal", 0.5, 4, 64, "sigmoid", rng=4)
    assert not np.array_equal(a["std"], c["std"])  # and the seed matters


@pytest.mark.parametrize("activation", ["identity", "relu", "leaky_relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("initializer, scale", [("kaiming_normal", 1.0), ("normal", 1.0), ("xavier_uniform", 0.01),
                                                ("zeros", 1.0), ("lecun_normal", 100.0)])
def test_histograms_are_fractions(activation, initializer, scale):
    data = init_explorer_data(initializer, scale, 6, 64, activation, n_examples=32, bins=20)
    assert data["histograms"].shape == (6, 20) and data["bin_edges"].shape == (21,)
    np.testing.assert_allclose(data["histograms"].sum(axis=1), 1.0)
    assert np.all(data["histograms"] >= 0)
    assert np.all(np.diff(data["bin_edges"]) > 0)


def test_histogram_ranges():
    assert tuple(init_explorer_data(activation="sigmoid")["bin_edges"][[0, -1]]) == (0.0, 1.0)
    assert tuple(init_explorer_data(activation="tanh")["bin_edges"][[0, -1]]) == (-1.0, 1.0)
    relu = init_explorer_data(activation="relu")
    assert relu["bin_edges"][0] == 0.0 and relu["bin_edges"][-1] == pytest.approx(3 * relu["std"].max())


def test_exploding_scale_is_reported_not_raised():
    data = init_explorer_data("normal", 100.0, 20, 1024, "identity")
    assert np.isfinite(data["std"]).all() and data["std"][-1] > 1e60


@pytest.mark.parametrize(
    "kwargs, error, match",
    [({"depth": 0}, ValueError, r"depth must be an int in \[1, 20\], got 0"),
     ({"depth": 21}, ValueError, r"depth must be an int in \[1, 20\]"),
     ({"depth": 2.0}, TypeError, "depth must be an int"), ({"depth": True}, TypeError, "depth must be an int"),
     ({"width": 8}, ValueError, r"width must be an int in \[16, 1024\]"),
     ({"n_examples": 1}, ValueError, "n_examples must be"), ({"bins": 1}, ValueError, "bins must be"),
     ({"initializer": "he"}, ValueError, "unknown initializer 'he'; valid: kaiming_normal, .*zeros"),
     ({"initializer": "nope"}, ValueError, "unknown initializer"),
     ({"activation": "gelu"}, ValueError, "unknown activation 'gelu'"),
     ({"scale": 0.0}, ValueError, "scale must be > 0"), ({"scale": -1.0}, ValueError, "scale must be > 0"),
     ({"scale": float("inf")}, ValueError, "scale must be finite")],
)
def test_init_explorer_data_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        init_explorer_data(**kwargs)


def test_init_explorer_bad_input():
    with pytest.raises(traitlets.TraitError):
        init_explorer(initializer="nope")
    explorer = init_explorer(depth=3, width=32)
    with pytest.raises(traitlets.TraitError):
        explorer.activation_dropdown.value = "gelu"


# --------------------------------------------------------------------------------------------------
# the neuron explorer (chapter 00)
# --------------------------------------------------------------------------------------------------


def test_neuron_explorer():
    explorer = neuron_explorer(weight=1.0, bias=0.0)
    assert isinstance(explorer, widgets.VBox)
    assert explorer.data["threshold"] == 0.0
    old_image = explorer.image.value
    assert bytes(old_image).startswith(PNG)
    explorer.bias_slider.value = 1.0
    assert explorer.data["threshold"] == pytest.approx(-1.0) and explorer.image.value != old_image
    old_image = explorer.image.value
    explorer.weight_slider.value = 2.0
    assert explorer.data["threshold"] == pytest.approx(-0.5) and explorer.image.value != old_image
    old_image = explorer.image.value
    explorer.activation_dropdown.value = "tanh"
    np.testing.assert_allclose(explorer.data["a"], np.tanh(2.0 * explorer.data["x"] + 1.0))
    assert explorer.image.value != old_image
    explorer.weight_slider.value = 0.0
    assert explorer.data["threshold"] is None


def test_neuron_curve():
    curve = neuron_curve(2.0, -1.0, "relu", x=np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(curve["z"], [-1.0, 0.0, 1.0])
    np.testing.assert_allclose(curve["a"], [0.0, 0.0, 1.0])
    assert curve["threshold"] == 0.5
    default = neuron_curve(1.0, 0.0)
    assert default["x"].shape == (201,) and default["x"][0] == -3.0 and default["x"][-1] == 3.0
    with pytest.raises(TypeError, match="weight must be a real number"):
        neuron_curve("1", 0.0)
    with pytest.raises(ValueError, match="bias must be finite"):
        neuron_curve(1.0, float("nan"))
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        neuron_curve(1.0, 0.0, "gelu")
