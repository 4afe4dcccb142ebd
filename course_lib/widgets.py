"""Interactive explorers for the notebooks, one function per explorer.

Each explorer is built on a pure function that computes its numbers (so tests and notebooks can call
it without a screen), and a small ipywidgets class that redraws a matplotlib figure into a PNG
``widgets.Image`` when a control changes. The figure is made once; a change only updates its artists
in place, which keeps a redraw well under 100 ms (``benchmarks/widget_latency.py`` measures it).
"""

import functools
import io

import ipywidgets as widgets
import matplotlib
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from ._checks import as_float, as_rng, choose
from .diagnostics import dead_fraction, propagate, saturated_fraction
from .init import get_initializer
from .nn import ACTIVATIONS

__all__ = ["init_explorer", "init_explorer_data", "InitExplorer", "EXPLORER_INITIALIZERS",
           "neuron_explorer", "neuron_curve", "NeuronExplorer"]

# The initializers offered by the init explorer, each at its library defaults (as a PyTorch user
# would call them): "normal" is N(0, 1), kaiming_* assume ReLU, xavier_* and orthogonal use gain 1.
EXPLORER_INITIALIZERS = (
    "zeros", "normal", "truncated_normal", "lecun_normal", "lecun_uniform", "xavier_normal",
    "xavier_uniform", "kaiming_normal", "kaiming_uniform", "orthogonal",
)
MAX_DEPTH = 20
WIDTH_RANGE = (16, 1024)


# --------------------------------------------------------------------------------------------------
# Init explorer: the pure function
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _unit_scale_net(initializer, depth, width, n_examples, seed):
    """Input batch and weights at scale 1, cached: moving the scale slider only rescales them."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_examples, width))
    init = get_initializer(initializer)
    weights = [np.asarray(init((width, width), rng=rng), dtype=np.float64) for _ in range(depth)]
    for w in weights:
        w.flags.writeable = False
    x.flags.writeable = False
    return x, tuple(weights)


def init_explorer_data(initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                       n_examples=256, bins=48, rng=0):
    """Push a unit-variance batch through ``depth`` layers ``a = f(a @ (scale * W))`` and measure.

    Every layer is ``width`` wide, with W drawn by ``initializer`` at its defaults and multiplied by
    ``scale``; biases are zero. Computed in float64 so that exploding scales show as huge numbers
    rather than overflow. Returns a dict of numpy arrays, one entry per layer:

        std, mean             activation std and mean
        pre_std               pre-activation std
        histograms            (depth, bins): each layer's activation histogram, as fractions
        bin_edges             (bins + 1,): shared by all layers (see ``_histogram_range``)
        dead_fraction         ReLU units that output 0 for every example (None for other activations)
        saturated_fraction    tanh/sigmoid values with |a| > 0.99 or a outside [0.01, 0.99] (None otherwise)
    """
    choose(initializer, "initializer", EXPLORER_INITIALIZERS)
    choose(activation, "activation", ACTIVATIONS)
    scale = as_float(scale, "scale", positive=True)
    for name, value, low, high in (("depth", depth, 1, MAX_DEPTH), ("width", width, *WIDTH_RANGE),
                                   ("n_examples", n_examples, 2, 4096), ("bins", bins, 2, 1000)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    seed = int(as_rng(rng).integers(2**63)) if not isinstance(rng, (int, np.integer)) else int(rng)
    x, unit_weights = _unit_scale_net(initializer, int(depth), int(width), int(n_examples), seed)
    pre, act = propagate(x, [scale * w for w in unit_weights], activation)

    with np.errstate(over="ignore", invalid="ignore"):
        std = np.array([a.std() for a in act])
        low, high = _histogram_range(activation, std)
        edges = np.linspace(low, high, bins + 1)
        histograms = np.stack([_histogram(a, edges) for a in act])
        return {
            "std": std,
            "mean": np.array([a.mean() for a in act]),
            "pre_std": np.array([z.std() for z in pre]),
            "histograms": histograms,
            "bin_edges": edges,
            "dead_fraction": np.array([dead_fraction(a) for a in act]) if activation == "relu" else None,
            "saturated_fraction": (np.array([saturated_fraction(a, activation) for a in act])
                                   if activation in ("tanh", "sigmoid") else None),
        }


def _histogram_range(activation, std):
    """tanh: [-1, 1]; sigmoid: [0, 1]; others: 3 times the largest layer std (ReLU from 0)."""
    if activation == "tanh":
        return -1.0, 1.0
    if activation == "sigmoid":
        return 0.0, 1.0
    finite = std[np.isfinite(std)]
    reach = 3.0 * finite.max() if finite.size and finite.max() > 0 else 1.0
    return (0.0, reach) if activation == "relu" else (-reach, reach)


def _histogram(values, edges):
    """Fraction of ``values`` in each of the equal-width bins ``edges``; values outside the range
    count in the end bins. (Arithmetic binning: several times faster than ``np.histogram``.)"""
    bins = len(edges) - 1
    position = (values.ravel() - edges[0]) * (bins / (edges[-1] - edges[0]))
    index = np.clip(np.nan_to_num(position), 0, bins - 1).astype(np.intp)
    return np.bincount(index, minlength=bins) / values.size


# --------------------------------------------------------------------------------------------------
# Init explorer: the widget
# --------------------------------------------------------------------------------------------------


class InitExplorer(widgets.VBox):
    """Controls (initializer, scale, depth, width, activation) above a PNG of two panels:
    left, each layer's activation histogram as one row of an image; right, the activation std per
    layer (log scale) with the dead (ReLU) or saturated (tanh/sigmoid) fraction.

    ``data`` holds the last result of ``init_explorer_data``; ``image.value`` the PNG bytes.
    """

    def __init__(self, initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                 n_examples=256, rng=0):
        style = {"description_width": "80px"}
        self.initializer_dropdown = widgets.Dropdown(options=EXPLORER_INITIALIZERS, value=initializer,
                                                     description="initializer", style=style)
        self.activation_dropdown = widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                                    description="activation", style=style)
        self.scale_slider = widgets.FloatLogSlider(value=scale, base=10, min=-2, max=2, step=0.05,
                                                   description="scale", readout_format=".3g",
                                                   continuous_update=False, style=style)
        self.depth_slider = widgets.IntSlider(value=depth, min=1, max=MAX_DEPTH, description="depth",
                                              continuous_update=False, style=style)
        self.width_slider = widgets.IntSlider(value=width, min=WIDTH_RANGE[0], max=WIDTH_RANGE[1], step=16,
                                              description="width", continuous_update=False, style=style)
        self.image = widgets.Image(format="png")
        self.n_examples = n_examples
        self.rng = rng
        self.data = None
        self._figure = _InitFigure()
        self.controls = (self.initializer_dropdown, self.activation_dropdown, self.scale_slider,
                         self.depth_slider, self.width_slider)
        for control in self.controls:
            control.observe(self.update, names="value")
        super().__init__([
            widgets.HBox([self.initializer_dropdown, self.activation_dropdown]),
            widgets.HBox([self.scale_slider, self.depth_slider, self.width_slider]),
            self.image,
        ])
        self.update()

    def update(self, change=None):
        """Recompute the data for the current control values and redraw the image."""
        self.data = init_explorer_data(
            initializer=self.initializer_dropdown.value, scale=self.scale_slider.value,
            depth=self.depth_slider.value, width=self.width_slider.value,
            activation=self.activation_dropdown.value, n_examples=self.n_examples, rng=self.rng,
        )
        self.image.value = self._figure.render(self.data, self.activation_dropdown.value,
                                               self.initializer_dropdown.value, self.scale_slider.value)


class _InitFigure:
    """The explorer's figure, drawn in full only when the activation changes.

    Axes, ticks and labels do not depend on the slider values (the layer axis always runs to
    MAX_DEPTH, the std axis spans STD_RANGE), so they are drawn once into a background; a redraw
    restores it and draws only the changing artists on top (blitting), then encodes the PNG.
    Text is the slowest thing matplotlib draws, so this keeps a redraw to a few milliseconds.
    """

    STD_RANGE = (1e-6, 1e6)

    def __init__(self):
        self.fig = Figure(figsize=(9.0, 3.4), dpi=80)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax_hist, self.ax_std = self.fig.subplots(1, 2, width_ratios=(1.15, 1.0))
        self.fig.subplots_adjust(left=0.07, right=0.92, bottom=0.15, top=0.86, wspace=0.3)

        cmap = matplotlib.colormaps["magma"].with_extremes(bad="white")  # layers beyond the depth: blank
        self.heatmap = self.ax_hist.imshow(np.zeros((MAX_DEPTH, 2)), aspect="auto", cmap=cmap,
                                           norm=PowerNorm(0.5, vmin=0.0, vmax=1.0), interpolation="nearest")
        self.ax_hist.set_ylim(MAX_DEPTH + 0.5, 0.5)
        self.ax_hist.set_yticks([1, 5, 10, 15, 20])
        self.ax_hist.set_ylabel("layer")
        self.ax_hist.set_title("activation histogram per layer (each row scaled to its peak)", fontsize=9)
        self.hist_xlabel = self.ax_hist.set_xlabel("activation value")

        self.ax_std.set_yscale("log")
        self.ax_std.set_ylim(*self.STD_RANGE)
        self.ax_std.set_yticks([1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6],
                               ["1e-6", "1e-4", "0.01", "1", "100", "1e4", "1e6"])
        self.ax_std.yaxis.set_minor_locator(NullLocator())
        self.ax_std.set_xlim(0.5, MAX_DEPTH + 0.5)
        self.ax_std.set_xticks([1, 5, 10, 15, 20])
        self.ax_std.set_xlabel("layer")
        self.ax_std.set_ylabel("activation std", color="C0")
        self.ax_std.grid(True, alpha=0.3)
        (self.std_line,) = self.ax_std.plot([], [], "o-", color="C0", markersize=4)
        (self.off_scale,) = self.ax_std.plot([], [], "^", color="C0", markersize=7, linestyle="none")
        self.ax_frac = self.ax_std.twinx()
        self.ax_frac.set_ylim(-0.02, 1.02)
        self.ax_frac.set_ylabel("dead (ReLU) or saturated fraction", color="C3", fontsize=9)
        (self.frac_line,) = self.ax_frac.plot([], [], "s--", color="C3", markersize=3)
        self.title = self.fig.text(0.5, 0.95, "", ha="center", va="center", fontsize=11)

        self.dynamic = (self.heatmap, self.std_line, self.off_scale, self.frac_line, self.title, self.hist_xlabel)
        self.background = None
        self.background_activation = None

    def _draw_background(self, activation):
        low, high = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "relu": (0.0, 1.0)}.get(activation, (-1.0, 1.0))
        self.heatmap.set_extent((low, high, MAX_DEPTH + 0.5, 0.5))
        self.ax_hist.set_xlim(low, high)
        for artist in self.dynamic:
            artist.set_visible(False)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.background_activation = activation
        for artist in self.dynamic:
            artist.set_visible(True)

    def render(self, data, activation, initializer, scale):
        """Draw ``data`` (from ``init_explorer_data``) and return the PNG bytes."""
        if activation != self.background_activation:
            self._draw_background(activation)
        self.canvas.restore_region(self.background)

        std = data["std"]
        depth = len(std)
        layers = np.arange(1, depth + 1)
        rows = np.full((MAX_DEPTH, data["histograms"].shape[1]), np.nan)
        peak = data["histograms"].max(axis=1, keepdims=True)
        rows[:depth] = data["histograms"] / np.where(peak > 0, peak, 1.0)
        self.heatmap.set_data(rows)
        edges = data["bin_edges"]
        if activation in ("tanh", "sigmoid"):
            self.hist_xlabel.set_text("activation value")
        else:  # the histogram range is +-3 times the largest std: label the axis in those units
            self.hist_xlabel.set_text(f"activation value, in units of {edges[-1]:.3g}")

        low, high = self.STD_RANGE
        finite_std = np.where(np.isfinite(std), std, high * 10)
        self.std_line.set_data(layers, np.clip(finite_std, low, high))
        outside = (finite_std < low) | (finite_std > high)
        self.off_scale.set_data(layers[outside], np.clip(finite_std, low, high)[outside])
        self.off_scale.set_marker("v" if np.all(finite_std[outside] < low) else "^")

        fraction = data["dead_fraction"] if data["dead_fraction"] is not None else data["saturated_fraction"]
        self.frac_line.set_data(([], []) if fraction is None else (layers, fraction))
        kind = {"relu": ", dead units", "tanh": ", saturated", "sigmoid": ", saturated"}.get(activation, "")
        last_std = "overflow" if not np.isfinite(std[-1]) else f"{std[-1]:.3g}"
        last_fraction = "" if fraction is None else f" {fraction[-1]:.0%}"
        self.title.set_text(
            f"{initializer} x {scale:.3g}, {activation}: layer {depth} std {last_std}{kind}{last_fraction}")

        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def init_explorer(initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                  n_examples=256, rng=0):
    """The initialization explorer of chapter 01: pick an initializer, a scale multiplier (log slider,
    0.01 to 100), depth (1 to 20), width and activation, and watch the activations layer by layer.

    Returns an ``InitExplorer`` (an ipywidgets VBox); its sliders are ``.scale_slider``,
    ``.depth_slider``, ``.width_slider``, its dropdowns ``.initializer_dropdown`` and
    ``.activation_dropdown``, and the numbers behind the picture are in ``.data``.
    """
    return InitExplorer(initializer, scale, depth, width, activation, n_examples, rng)


# --------------------------------------------------------------------------------------------------
# Neuron explorer (chapter 00): one input, one weight, one bias
# --------------------------------------------------------------------------------------------------


def neuron_curve(weight, bias, activation="relu", x=None):
    """One neuron with one input: ``z = weight * x + bias``, ``a = f(z)``, over ``x`` (default: 201
    points in [-3, 3]). Returns a dict with x, z, a and ``threshold``, the input where z = 0
    (``-bias / weight``; None when weight is 0). The weight sets the slope, the bias shifts the curve."""
    weight, bias = as_float(weight, "weight"), as_float(bias, "bias")
    f = ACTIVATIONS[choose(activation, "activation", ACTIVATIONS)]
    x = np.linspace(-3.0, 3.0, 201) if x is None else np.asarray(x, dtype=float)
    z = weight * x + bias
    return {"x": x, "z": z, "a": f(z), "threshold": None if weight == 0 else -bias / weight}


class NeuronExplorer(widgets.VBox):
    """Weight and bias sliders and an activation dropdown for one neuron; the plot shows z and a = f(z)."""

    def __init__(self, weight=1.0, bias=0.0, activation="relu"):
        self.weight_slider = widgets.FloatSlider(value=weight, min=-3, max=3, step=0.1, description="weight w")
        self.bias_slider = widgets.FloatSlider(value=bias, min=-3, max=3, step=0.1, description="bias b")
        self.activation_dropdown = widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                                    description="activation")
        self.image = widgets.Image(format="png")
        self.data = None
        self.fig = Figure(figsize=(5.5, 3.2), dpi=80)
        self.ax = self.fig.subplots()
        self.fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.88)
        (self.z_line,) = self.ax.plot([], [], "--", color="gray", label="z = w x + b")
        (self.a_line,) = self.ax.plot([], [], color="C0", linewidth=2, label="a = f(z)")
        self.threshold_line = self.ax.axvline(0.0, color="C3", linewidth=1, label="z = 0")
        self.ax.set_xlim(-3, 3)
        self.ax.set_ylim(-3, 3)
        self.ax.set_xlabel("input x")
        self.ax.grid(True, alpha=0.3)
        self.ax.legend(loc="upper left", fontsize=8)
        for control in (self.weight_slider, self.bias_slider, self.activation_dropdown):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.weight_slider, self.bias_slider, self.activation_dropdown]),
                          self.image])
        self.update()

    def update(self, change=None):
        """Recompute the curve for the current slider values and redraw the image."""
        self.data = neuron_curve(self.weight_slider.value, self.bias_slider.value, self.activation_dropdown.value)
        self.z_line.set_data(self.data["x"], self.data["z"])
        self.a_line.set_data(self.data["x"], self.data["a"])
        threshold = self.data["threshold"]
        self.threshold_line.set_visible(threshold is not None and abs(threshold) <= 3)
        if threshold is not None:
            self.threshold_line.set_xdata([threshold, threshold])
        where = "never 0" if threshold is None else f"0 at x = {threshold:.2f}"
        self.ax.set_title(f"a = {self.activation_dropdown.value}({self.weight_slider.value:.1f} x "
                          f"+ {self.bias_slider.value:.1f});  z is {where}", fontsize=10)
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()


def neuron_explorer(weight=1.0, bias=0.0, activation="relu"):
    """Chapter 00's explorer: one neuron ``a = f(w x + b)``; move w and b and watch the curve.

    Returns a ``NeuronExplorer`` (an ipywidgets VBox) with ``.weight_slider``, ``.bias_slider``,
    ``.activation_dropdown``, ``.image`` and the numbers in ``.data``.
    """
    return NeuronExplorer(weight, bias, activation)
