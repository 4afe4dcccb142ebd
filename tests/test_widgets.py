"""course_lib.widgets: set each control's .value and check that the numbers and the picture change."""

import io

import ipywidgets as widgets
import numpy as np
import PIL.Image
import pytest
import traitlets

from course_lib.experiments import ch01_initialization
from course_lib.init import get_initializer
from course_lib.widgets import (
    EXPLORER_INITIALIZERS,
    init_explorer,
    init_explorer_data,
    neuron_curve,
    neuron_explorer,
)
from course_lib.widgets.ch01_initialization import examples_for_width

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
    assert isinstance(explorer.width_slider, widgets.SelectionSlider)
    assert tuple(explorer.width_slider.options) == (16, 32, 64, 128, 256, 512, 1024)
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


def every_value(control):
    """Every value a control can take: its options, or its slider positions."""
    if hasattr(control, "options"):
        return list(control.options)
    if hasattr(control, "base"):  # FloatLogSlider: min, max and step are exponents
        return [float(control.base**exponent) for exponent in np.arange(control.min, control.max + 1e-9, control.step)]
    return list(range(control.min, control.max + 1, control.step))


def test_every_control_over_its_whole_range_redraws_with_finite_or_flagged_numbers(explorer):
    defaults = {control: control.value for control in explorer.controls}
    for control in explorer.controls:
        for value in every_value(control):
            if value == control.value or (isinstance(value, float) and np.isclose(value, control.value)):
                continue
            old_image = explorer.image.value
            control.value = value
            assert explorer.image.value != old_image, f"{control.description}={value} did not change the image"
            data, title = explorer.data, explorer._title.get_text()
            std = data["std"]
            assert np.all(np.isfinite(std)) or "overflow" in title
            assert np.all(np.isfinite(data["histograms"])) and np.allclose(data["histograms"].sum(axis=1), 1.0)
            for fraction in (data["dead_fraction"], data["saturated_fraction"]):
                assert fraction is None or np.all((0 <= fraction) & (fraction <= 1))
            # a std beyond the panel's log axis is drawn at its edge with an off-scale marker
            low, high = explorer.STD_RANGE
            outside = ~np.isfinite(std) | (std < low) | (std > high)
            assert len(explorer._off_scale.get_xdata()) == outside.sum()
        control.value = defaults[control]


def test_layer_axes_fit_the_depth(explorer):
    for depth in (1, 3, 10, 11, 20):
        if depth != explorer.depth_slider.value:
            change(explorer, explorer.depth_slider, depth)
        assert explorer.histogram_axes.get_ylim() == (depth + 0.5, 0.5)  # layer 1 on top
        assert explorer.std_axes.get_xlim() == (0.5, depth + 0.5)
        for ticks in (explorer.histogram_axes.get_yticks(), explorer.std_axes.get_xticks()):
            assert ticks[0] == 1 and ticks[-1] <= depth and 1 <= len(ticks) <= 5
        assert explorer._heatmap.get_array().shape[0] == depth  # a row per layer, none blank


@pytest.mark.parametrize("settings", [{}, {"activation": "tanh"}, {"activation": "sigmoid"},
                                      {"activation": "identity", "scale": 0.5},
                                      {"activation": "leaky_relu", "initializer": "xavier_uniform"},
                                      {"initializer": "normal", "scale": 100.0, "depth": 20, "activation": "identity"}])
def test_histogram_axis_is_labelled_with_activation_values(settings):
    explorer = init_explorer(**settings)
    axis = explorer.histogram_axes
    low, high = explorer.data["bin_edges"][[0, -1]]
    assert axis.get_xlim() == (low, high)
    mantissa = high / 10 ** np.floor(np.log10(high))
    assert any(np.isclose(mantissa, round_) for round_ in ch01_initialization.ROUND_MANTISSAS)  # a round range
    number = lambda text: float(text.replace("\u2212", "-"))  # noqa: E731 (matplotlib writes a true minus sign)
    multiplier = axis.xaxis.get_offset_text().get_text()  # a huge range: -4 ... 4, and "1e64" at the axis' end
    multiplier = number(multiplier) if multiplier else 1.0
    shown = [(location, label.get_text()) for location, label in zip(axis.get_xticks(), axis.get_xticklabels())
             if low <= location <= high]
    assert len(shown) >= 3
    for location, text in shown:
        assert number(text) * multiplier == pytest.approx(location, rel=1e-9, abs=1e-12)
    assert shown[0][0] == low and shown[-1][0] == high  # 0 and the range's ends are labelled
    assert low == 0 or 0 in [location for location, _ in shown]


def test_a_picture_is_the_same_however_the_controls_got_there(explorer):
    """The axes that follow the controls are kept as layers of pixels (BlittedFigure): none may be left stale."""
    moves = [("depth_slider", 3), ("scale_slider", 2.0), ("activation_dropdown", "tanh"), ("depth_slider", 20),
             ("scale_slider", 0.5), ("activation_dropdown", "identity"), ("width_slider", 64)]
    for name, value in moves:
        getattr(explorer, name).value = value
    fresh = init_explorer(depth=20, scale=0.5, activation="identity", width=64)
    pixels = [np.asarray(PIL.Image.open(io.BytesIO(e.image.value))) for e in (explorer, fresh)]
    np.testing.assert_array_equal(*pixels)


def test_the_batch_has_the_same_number_of_values_at_every_width():
    assert examples_for_width(256) == 256  # the default width: init_explorer_data's default batch
    assert examples_for_width(1024) == 64 and examples_for_width(16) == 4096
    explorer = init_explorer(width=1024, depth=2)
    assert explorer.data["histograms"].shape == (2, 48)


# --------------------------------------------------------------------------------------------------
# the pure function
# --------------------------------------------------------------------------------------------------


def test_weights_are_drawn_as_before_whatever_depth_asks_first():
    """x first, then W1, W2, ... from one default_rng(seed); the cache keeps the generator to draw deeper layers."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 32))
    draw = get_initializer("truncated_normal")  # rejection sampling: each layer uses a random amount of the stream
    reference = [draw((32, 32), rng=rng) for _ in range(20)]
    ch01_initialization._UNIT_SCALE_NETS.clear()
    for depth in (10, 20, 3, 20, 1):
        cached_x, weights = ch01_initialization._unit_scale_net("truncated_normal", depth, 32, 16, 5)
        np.testing.assert_array_equal(cached_x, x)
        assert len(weights) == depth
        for weight, expected in zip(weights, reference):
            np.testing.assert_array_equal(weight, expected)
            assert not weight.flags.writeable


def test_depth_d_is_the_first_d_layers_of_depth_20():
    deep = init_explorer_data("kaiming_uniform", 1.3, 20, 64, "tanh", n_examples=32, rng=2)
    for depth in (1, 7, 20):
        shallow = init_explorer_data("kaiming_uniform", 1.3, depth, 64, "tanh", n_examples=32, rng=2)
        for key in ("std", "mean", "pre_std", "saturated_fraction"):
            np.testing.assert_array_equal(shallow[key], deep[key][:depth])
    ch01_initialization._UNIT_SCALE_NETS.clear()  # drawn again from scratch: the same numbers
    fresh = init_explorer_data("kaiming_uniform", 1.3, 7, 64, "tanh", n_examples=32, rng=2)
    np.testing.assert_array_equal(fresh["std"], deep["std"][:7])


def test_weight_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(ch01_initialization, "WEIGHT_CACHE_BYTES", 2**20)  # 1 MB: 8 layers of 128 x 128
    nets = ch01_initialization._UNIT_SCALE_NETS
    nets.clear()
    for width, depth in [(64, 5), (128, 4), (64, 5), (256, 3), (32, 2), (64, 2)]:
        init_explorer_data(depth=depth, width=width, n_examples=16)
        held = sum(net.nbytes() for net in nets.values())
        assert held <= 2**20 or len(nets) == 1  # the one in use is kept whatever its size (256: 1.5 MB)
        assert list(nets)[-1][:2] == ("kaiming_normal", width)  # the most recently used last
    assert [key[1] for key in nets] == [32, 64]  # small networks stay cached together


def test_defaults_give_the_same_numbers_as_before():
    """Recorded from init_explorer_data before the weight cache kept its generator (scale 1: bit for bit)."""
    data = init_explorer_data()  # kaiming_normal, scale 1, depth 10, width 256, relu, 256 examples
    expected = {"std": 1.0815221211939179, "pre_std": 1.959032439355793, "mean": 0.686075619725923,
                "dead_fraction": 0.19921875}
    for key, value in expected.items():
        assert data[key][9] == pytest.approx(value, rel=1e-12)
    assert data["bin_edges"][-1] == pytest.approx(3.533566670475772, rel=1e-12)
    # the calls of chapter 01's text
    data = init_explorer_data("normal", scale=0.01, depth=10, width=512, activation="tanh")
    assert data["std"][9] == pytest.approx(3.3671886101882135e-07, rel=1e-12)
    assert data["saturated_fraction"][0] == 0.0
    data = init_explorer_data("normal", scale=1.0, depth=10, width=512, activation="tanh")
    assert data["std"][9] == pytest.approx(0.9818058942066722, rel=1e-12)
    assert data["saturated_fraction"][9] == pytest.approx(0.9050369262695312, rel=1e-12)
    for name, std in [("orthogonal", 0.024007247650047733), ("xavier_normal", 0.025785746727952856)]:
        data = init_explorer_data(name, scale=1.0, depth=10, width=512, activation="relu")
        assert data["std"][9] == pytest.approx(std, rel=1e-12)


def test_round_range():
    assert init_explorer_data(round_range=True)["bin_edges"][-1] == 4.0  # 3 x the largest std, 3.53, rounded up
    identity = init_explorer_data(activation="identity", scale=0.5, round_range=True)
    low, high = identity["bin_edges"][[0, -1]]
    assert low == -high and high >= 3 * identity["std"].max()
    assert tuple(init_explorer_data(activation="tanh", round_range=True)["bin_edges"][[0, -1]]) == (-1.0, 1.0)
    assert [ch01_initialization._round_up(v) for v in (1.0, 1.01, 1.76, 2.5, 7.9, 0.011, 3e63)] == pytest.approx(
        [1.0, 1.5, 2.0, 3.0, 8.0, 0.015, 3e63])



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


def test_init_explorer_width_must_be_a_slider_position():
    with pytest.raises(ValueError, match=r"width must be one of the explorer's widths \(16, 32, 64, .*, 1024\)"):
        init_explorer(width=100)


# --------------------------------------------------------------------------------------------------
# the busy sign: "computing..." while a redraw takes longer than Explorer.BUSY_AFTER
# --------------------------------------------------------------------------------------------------


def _status_seen_while(explorer, control, value):
    seen = []
    explorer.status.observe(lambda change: seen.append(change["new"]), names="value")
    control.value = value
    return seen


def test_a_slow_redraw_says_computing_and_clears_it_after():
    import time

    from course_lib.widgets._base import Explorer

    explorer = init_explorer()
    explorer.BUSY_AFTER = 0.05  # the sign's delay, and a redraw made 10 times longer (no clock is asserted)
    compute = explorer.compute
    explorer.compute = lambda: (time.sleep(0.5), compute())[1]
    seen = _status_seen_while(explorer, explorer.depth_slider, 5)
    assert seen == [Explorer.BUSY_TEXT, ""], seen
    assert explorer.status.value == "" and len(explorer.data["std"]) == 5
    assert explorer.status in explorer.children[-2].children  # shown at the end of the last row of controls


def test_a_redraw_faster_than_the_delay_shows_no_status():
    explorer = init_explorer()
    explorer.BUSY_AFTER = 60.0  # far longer than any redraw: the sign must not appear
    assert _status_seen_while(explorer, explorer.scale_slider, 2.0) == []
