"""Interactive explorers for the notebooks, one function per explorer.

Each explorer is built on a pure function that computes its numbers (so tests and notebooks can call
it without a screen), and a small ipywidgets class that redraws a matplotlib figure into a PNG
``widgets.Image`` when a control changes. The figure is made once; a change only updates its artists
in place, which keeps a redraw well under 100 ms (``benchmarks/widget_latency.py`` measures it).
"""

import functools
import io
import math

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
           "neuron_explorer", "neuron_curve", "NeuronExplorer", "lr_explorer", "lr_experiment", "LrExplorer",
           "bias_explorer", "neuron_2d", "BiasExplorer", "momentum_explorer", "momentum_experiment",
           "MomentumExplorer", "optimizer_explorer", "optimizer_race", "OptimizerExplorer",
           "regularization_explorer", "regularization_experiment", "regularization_curve", "RegularizationExplorer",
           "REGULARIZATION_KINDS", "REGULARIZATION_STRENGTHS", "pruning_explorer", "pruning_experiment",
           "pruning_curve", "pruning_setup", "PruningExplorer", "PRUNING_SCOPES", "PRUNING_SPARSITIES"]

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


# --------------------------------------------------------------------------------------------------
# Learning-rate explorer (chapter 02): gradient descent on a two-parameter regression
# --------------------------------------------------------------------------------------------------

LR_PROBLEM_SEED = 0


def _lr_problem():
    """Fit y = w x + b to 64 points with x ~ N(1, 1), y = 2x - 1 + noise, by mean squared error.

    The loss is a quadratic bowl in (w, b) with Hessian H = (2/n) [x 1]^T [x 1]; gradient descent
    converges for lr < 2 / lambda_max(H) and overshoots along the steepest direction for lr > 1 / lambda_max(H).
    """
    rng = np.random.default_rng(LR_PROBLEM_SEED)
    x = rng.normal(1.0, 1.0, 64)
    y = 2.0 * x - 1.0 + rng.normal(0.0, 0.3, 64)
    features = np.column_stack([x, np.ones_like(x)])
    hessian = 2.0 * features.T @ features / len(x)
    return features, y, hessian


def lr_experiment(lr, steps=40, start=(-2.0, 3.0)):
    """Gradient descent ``theta <- theta - lr * grad`` on the regression of ``_lr_problem`` from ``start``.

    Returns a dict: ``trajectory`` (steps + 1, 2) of (w, b), ``loss`` (steps + 1,), ``lr_max`` = 2/lambda_max
    (the stability limit), ``lr_best`` = 2/(lambda_max + lambda_min) (fastest worst-case rate) and
    ``verdict``: "good" (the excess loss over the minimum fell below 1% of its start), "too small" (not
    yet, at lr < lr_best), "too large (oscillates)" (not yet, at lr > lr_best: the steep direction
    overshoots back and forth), or "divergent" (the loss grows: lr > lr_max).
    Stops early once the loss passes 1e6.
    """
    lr = as_float(lr, "lr", positive=True)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10_000:
        raise ValueError(f"steps must be an int in [1, 10000], got {steps!r}")
    features, y, hessian = _lr_problem()
    eigenvalues = np.linalg.eigvalsh(hessian)
    theta = np.array(start, dtype=float)
    trajectory, losses = [theta.copy()], []
    for _ in range(steps + 1):
        residual = features @ theta - y
        losses.append(float(np.mean(residual**2)))
        if len(trajectory) > steps or losses[-1] > 1e6:
            break
        theta = theta - lr * (2.0 * features.T @ residual / len(y))
        trajectory.append(theta.copy())
    trajectory = np.array(trajectory[:len(losses)])
    losses = np.array(losses)
    minimum = float(np.mean((features @ np.linalg.lstsq(features, y, rcond=None)[0] - y) ** 2))
    excess = losses - minimum
    lr_best = 2.0 / (eigenvalues[0] + eigenvalues[-1])
    if excess[-1] > excess[0]:
        verdict = "divergent"
    elif excess[-1] <= 0.01 * excess[0]:
        verdict = "good"
    else:
        verdict = "too large (oscillates)" if lr > lr_best else "too small"
    return {"trajectory": trajectory, "loss": losses, "minimum": minimum, "verdict": verdict,
            "lr_max": float(2.0 / eigenvalues[-1]), "lr_best": float(lr_best)}


class _BlittedFigure:
    """A figure whose static parts (axes, labels, contours) are drawn once; ``render`` restores that
    background, draws the ``dynamic`` artists and returns PNG bytes (see ``_InitFigure``)."""

    def __init__(self, figsize):
        self.fig = Figure(figsize=figsize, dpi=80)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic = ()
        self.background = None

    def png(self):
        if self.background is None:
            for artist in self.dynamic:
                artist.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            for artist in self.dynamic:
                artist.set_visible(True)
        self.canvas.restore_region(self.background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        PIL.Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def _loss_axis(ax, steps, low, high, label="loss"):
    """A log-scale loss-per-step axis with fixed limits (so that the blitted background stays valid)."""
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.set_xlim(0, steps)
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("step")
    ax.set_ylabel(label)


def _contours(ax, w1, w2, surface, levels, extent, title, cmap="viridis", linewidth=0.8):
    """Loss contours on the (w1, w2) grid, the minimum marked, fixed limits."""
    ax.contour(w1, w2, surface, levels=levels, cmap=cmap, linewidths=linewidth)
    ax.set_xlim(*extent[:2])
    ax.set_ylim(*extent[2:])
    ax.set_title(title, fontsize=10)


class LrExplorer(widgets.VBox):
    """A log-scale learning-rate slider; left, the (w, b) trajectory on the loss contours; right, the loss curve."""

    def __init__(self, lr=0.05, steps=40):
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                                description="learning rate", readout_format=".3g",
                                                style={"description_width": "100px"},
                                                layout=widgets.Layout(width="500px"))
        self.steps = steps
        self.image = widgets.Image(format="png")
        self.data = None
        self._plot = _BlittedFigure((9.0, 3.6))
        fig = self._plot.fig
        ax_path, ax_loss = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        features, y, _ = _lr_problem()
        w_grid, b_grid = np.meshgrid(np.linspace(-3, 5, 121), np.linspace(-5, 4, 121))
        thetas = np.stack([w_grid.ravel(), b_grid.ravel()])
        surface = np.mean((features @ thetas - y[:, None]) ** 2, axis=0).reshape(w_grid.shape)
        _contours(ax_path, w_grid, b_grid, surface, np.geomspace(surface.min() + 0.05, surface.max(), 14),
                  (-3, 5, -5, 4), "gradient descent on the loss surface")
        best = np.linalg.lstsq(features, y, rcond=None)[0]
        ax_path.plot(*best, "k*", markersize=10)
        ax_path.set_xlabel("weight w")
        ax_path.set_ylabel("bias b")
        _loss_axis(ax_loss, steps, 1e-2, 1e4, "loss (MSE)")
        ax_loss.axhline(float(np.mean((features @ best - y) ** 2)), color="gray", linewidth=0.8, linestyle=":")
        (self._path,) = ax_path.plot([], [], "o-", color="C3", markersize=3, linewidth=1)
        (self._loss,) = ax_loss.plot([], [], "o-", color="C3", markersize=3)
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=11)
        self._plot.dynamic = (self._path, self._loss, self._title)
        self.lr_slider.observe(self.update, names="value")
        super().__init__([self.lr_slider, self.image])
        self.update()

    def update(self, change=None):
        """Rerun gradient descent at the slider's learning rate and redraw."""
        self.data = lr_experiment(self.lr_slider.value, self.steps)
        trajectory, loss = self.data["trajectory"], self.data["loss"]
        self._path.set_data(trajectory[:, 0], trajectory[:, 1])
        self._loss.set_data(np.arange(len(loss)), np.clip(loss, 1e-2, 1e4))
        self._title.set_text(f"lr = {self.lr_slider.value:.3g}: {self.data['verdict']}   "
                             f"(stable below {self.data['lr_max']:.3g}, fastest at {self.data['lr_best']:.3g})")
        self.image.value = self._plot.png()


def lr_explorer(lr=0.05, steps=40):
    """Chapter 02's explorer: a learning-rate slider (log scale, 0.001 to 1) for gradient descent on a
    two-parameter regression, showing the path on the loss contours and the loss curve, with a verdict:
    too small, good, too large (oscillates) or divergent. The numbers are in ``.data`` (``lr_experiment``)."""
    return LrExplorer(lr, steps)


# --------------------------------------------------------------------------------------------------
# Bias explorer (chapter 03): one neuron with two inputs
# --------------------------------------------------------------------------------------------------


def neuron_2d(w1, w2, b, x, y):
    """One sigmoid neuron ``a = sigmoid(w1 x1 + w2 x2 + b)`` on 2-D data ``x`` with labels ``y`` (0/1).

    Returns z, a, ``accuracy`` (a > 0.5 predicts class 1) and ``line``: two points of the decision line
    w . x + b = 0 (None when w = 0), whose distance from the origin is |b| / ||w||.
    """
    w1, w2, b = as_float(w1, "w1"), as_float(w2, "w2"), as_float(b, "b")
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (n, 2), got {x.shape}")
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},), got {y.shape}")
    z = x @ np.array([w1, w2]) + b
    a = ACTIVATIONS["sigmoid"](z)
    norm = np.hypot(w1, w2)
    line = None
    if norm > 0:
        foot = -b / norm**2 * np.array([w1, w2])  # the point of the line nearest the origin
        along = np.array([-w2, w1]) / norm * 100
        line = np.array([foot - along, foot + along])
    return {"z": z, "a": a, "accuracy": float(np.mean((a > 0.5) == (y == 1))), "line": line,
            "distance_from_origin": None if norm == 0 else abs(b) / norm}


class BiasExplorer(widgets.VBox):
    """Sliders for w1, w2 and b of one sigmoid neuron; left, the data and the decision line; right,
    each example's activation on the sigmoid curve."""

    def __init__(self, x, y, w1=1.0, w2=1.0, b=0.0):
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y)
        style = {"description_width": "40px"}
        self.w1_slider = widgets.FloatSlider(value=w1, min=-3, max=3, step=0.1, description="w1", style=style)
        self.w2_slider = widgets.FloatSlider(value=w2, min=-3, max=3, step=0.1, description="w2", style=style)
        self.b_slider = widgets.FloatSlider(value=b, min=-12, max=12, step=0.25, description="bias b", style=style)
        self.image = widgets.Image(format="png")
        self.data = None
        self._plot = _BlittedFigure((9.0, 3.6))
        fig = self._plot.fig
        ax_data, ax_act = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        colors = np.where(self.y == 1, "C1", "C0")
        ax_data.scatter(self.x[:, 0], self.x[:, 1], c=colors, s=10)
        ax_data.plot(0, 0, "k+", markersize=12)
        reach = np.abs(self.x).max() * 1.1
        ax_data.set_xlim(-reach, reach)
        ax_data.set_ylim(-reach, reach)
        ax_data.set_aspect("equal")
        ax_data.set_xlabel("x1")
        ax_data.set_ylabel("x2")
        ax_data.set_title("data, origin (+) and decision line w.x + b = 0", fontsize=10)
        grid = np.linspace(-8, 8, 200)
        ax_act.plot(grid, ACTIVATIONS["sigmoid"](grid), color="gray")
        ax_act.set_xlim(-8, 8)
        ax_act.set_ylim(-0.05, 1.05)
        ax_act.set_xlabel("z = w.x + b")
        ax_act.set_ylabel("a = sigmoid(z)")
        ax_act.set_title("each example on the activation curve", fontsize=10)
        (self._line,) = ax_data.plot([], [], color="k", linewidth=1.5)
        self._points = ax_act.scatter(np.zeros(len(self.y)), np.zeros(len(self.y)), c=colors, s=8)
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=11)
        self._plot.dynamic = (self._line, self._points, self._title)
        for control in (self.w1_slider, self.w2_slider, self.b_slider):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.w1_slider, self.w2_slider, self.b_slider]), self.image])
        self.update()

    def update(self, change=None):
        """Recompute the neuron's outputs for the current sliders and redraw."""
        self.data = neuron_2d(self.w1_slider.value, self.w2_slider.value, self.b_slider.value, self.x, self.y)
        line = self.data["line"]
        self._line.set_data(([], []) if line is None else (line[:, 0], line[:, 1]))
        self._points.set_offsets(np.column_stack([np.clip(self.data["z"], -8, 8), self.data["a"]]))
        distance = self.data["distance_from_origin"]
        where = "" if distance is None else f", line at distance {distance:.2f} from the origin"
        self._title.set_text(f"accuracy {self.data['accuracy']:.0%}{where}")
        self.image.value = self._plot.png()


def bias_explorer(x=None, y=None, w1=1.0, w2=1.0, b=0.0):
    """Chapter 03's explorer: one sigmoid neuron on 2-D data (default: ``shifted_blobs``, whose boundary
    is far from the origin). Move w1, w2 and b: the weights turn the decision line, the bias moves it."""
    if x is None or y is None:
        from .data import shifted_blobs

        x, y = shifted_blobs(n=200, rng=0)
    return BiasExplorer(x, y, w1, w2, b)


# --------------------------------------------------------------------------------------------------
# Momentum explorer (chapter 04): heavy ball on an ill-conditioned quadratic
# --------------------------------------------------------------------------------------------------

MOMENTUM_START = (-2.5, 1.5)


def momentum_experiment(lr, momentum, steps=60, condition_number=10.0, nesterov=False):
    """``SGD(lr, momentum)`` on f(w) = 1/2 w^T A w, A with eigenvalues 1 and ``condition_number`` (axes
    rotated by 30 degrees), from MOMENTUM_START. Returns the path, the loss per step, the measured rate,
    and ``stable``: lr * lambda_max < 2 + 2 momentum (the heavy-ball stability condition)."""
    from .convergence import measured_rate, quadratic, run_optimizer

    lr = as_float(lr, "lr", positive=True)
    momentum = as_float(momentum, "momentum", nonnegative=True)
    if momentum >= 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    A = quadratic(condition_number, angle=math.pi / 6)
    path = run_optimizer(A, MOMENTUM_START, steps, lr, momentum, nesterov and momentum > 0)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = 0.5 * np.einsum("ti,ij,tj->t", path, A, path)
    lam_max = float(np.linalg.eigvalsh(A)[-1])
    return {"path": path, "loss": loss, "A": A, "rate": measured_rate(path) if len(path) > 3 else float("inf"),
            "stable": lr * lam_max < 2 + 2 * momentum}


class MomentumExplorer(widgets.VBox):
    """Learning-rate (log) and momentum sliders; left, the path on the contours; right, the loss curve."""

    def __init__(self, lr=0.05, momentum=0.0, steps=60, condition_number=10.0):
        style = {"description_width": "100px"}
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                                description="learning rate", readout_format=".3g", style=style)
        self.momentum_slider = widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                                                   description="momentum", style=style)
        self.nesterov_checkbox = widgets.Checkbox(value=False, description="Nesterov")
        self.steps, self.condition_number = steps, condition_number
        self.image = widgets.Image(format="png")
        self.data = None
        self._plot = _BlittedFigure((9.0, 3.6))
        fig = self._plot.fig
        ax_path, ax_loss = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        A = momentum_experiment(lr, 0.0, 1, condition_number)["A"]
        grid = np.linspace(-3, 3, 121)
        w1, w2 = np.meshgrid(grid, grid)
        points = np.stack([w1.ravel(), w2.ravel()], axis=1)
        surface = 0.5 * np.einsum("ni,ij,nj->n", points, A, points).reshape(w1.shape)
        _contours(ax_path, w1, w2, surface, np.geomspace(0.01, surface.max(), 12), (-3, 3, -3, 3),
                  f"f(w) = w.A.w / 2, condition number {condition_number:g}")
        ax_path.plot(0, 0, "k*", markersize=10)
        ax_path.set_aspect("equal")
        _loss_axis(ax_loss, steps, 1e-8, 1e3)
        (self._path,) = ax_path.plot([], [], "o-", color="C3", markersize=2.5, linewidth=1)
        (self._loss,) = ax_loss.plot([], [], "-", color="C3")
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=11)
        self._plot.dynamic = (self._path, self._loss, self._title)
        for control in (self.lr_slider, self.momentum_slider, self.nesterov_checkbox):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.lr_slider, self.momentum_slider, self.nesterov_checkbox]), self.image])
        self.update()

    def update(self, change=None):
        """Rerun the optimizer for the current controls and redraw."""
        self.data = momentum_experiment(self.lr_slider.value, self.momentum_slider.value, self.steps,
                                        self.condition_number, self.nesterov_checkbox.value)
        path, loss = self.data["path"], self.data["loss"]
        self._path.set_data(path[:, 0], path[:, 1])
        self._loss.set_data(np.arange(len(loss)), np.clip(np.nan_to_num(loss, nan=1e3, posinf=1e3), 1e-8, 1e3))
        verdict = (f"rate {self.data['rate']:.3f} per step" if self.data["stable"]
                   else "unstable: lr * L > 2 + 2 momentum")
        self._title.set_text(f"lr {self.lr_slider.value:.3g}, momentum {self.momentum_slider.value:.2f}: {verdict}")
        self.image.value = self._plot.png()


def momentum_explorer(lr=0.05, momentum=0.0, steps=60, condition_number=10.0):
    """Chapter 04's explorer: gradient descent with momentum on an ill-conditioned quadratic. Sliders
    for the learning rate and the momentum, a Nesterov switch; the numbers are in ``.data``."""
    return MomentumExplorer(lr, momentum, steps, condition_number)


# --------------------------------------------------------------------------------------------------
# Optimizer explorer (chapter 05): five optimizers on one surface
# --------------------------------------------------------------------------------------------------

RACE_SCALES = np.array([1.0, 25.0])  # f(w) = 1/2 (w1^2 + 25 w2^2): axis-aligned, condition number 25
RACE_START = (-2.5, 1.5)


def optimizer_race(lr, beta1=0.9, beta2=0.999, steps=60):
    """Run SGD, SGD with momentum beta1, Nesterov, RMSprop (alpha = beta2) and Adam (beta1, beta2), all with
    learning rate ``lr``, on f(w) = 1/2 (w1^2 + 25 w2^2) from RACE_START. Returns {name: {"path", "loss"}}.
    Every run uses the course's optimizer classes; a run that overflows stops early."""
    from .optim import SGD, Adam, RMSprop

    lr = as_float(lr, "lr", positive=True)
    beta1, beta2 = as_float(beta1, "beta1"), as_float(beta2, "beta2")
    for name, value in (("beta1", beta1), ("beta2", beta2)):
        if not 0 <= value < 1:
            raise ValueError(f"{name} must be in [0, 1), got {value}")
    makers = {
        "SGD": lambda p: SGD(p, lr=lr),
        "momentum": lambda p: SGD(p, lr=lr, momentum=beta1),
        "Nesterov": lambda p: SGD(p, lr=lr, momentum=beta1, nesterov=beta1 > 0),
        "RMSprop": lambda p: RMSprop(p, lr=lr, alpha=beta2),
        "Adam": lambda p: Adam(p, lr=lr, betas=(beta1, beta2)),
    }
    results = {}
    for name, make in makers.items():
        w = np.array(RACE_START, dtype=float)
        opt = make([w])
        path = [w.copy()]
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(steps):
                grad = RACE_SCALES * w
                if not np.all(np.isfinite(grad)) or np.abs(w).max() > 1e6:
                    break
                opt.step([grad])
                path.append(w.copy())
        path = np.array(path)
        results[name] = {"path": path, "loss": 0.5 * (path**2 * RACE_SCALES).sum(axis=1)}
    return results


class OptimizerExplorer(widgets.VBox):
    """Sliders for lr, beta1 and beta2; left, five optimizers' paths on the contours; right, their losses."""

    COLORS = {"SGD": "C0", "momentum": "C1", "Nesterov": "C2", "RMSprop": "C4", "Adam": "C3"}

    def __init__(self, lr=0.05, beta1=0.9, beta2=0.999, steps=60):
        style = {"description_width": "90px"}
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                                description="learning rate", readout_format=".3g", style=style)
        self.beta1_slider = widgets.FloatSlider(value=beta1, min=0.0, max=0.99, step=0.01, description="beta1",
                                                style=style)
        self.beta2_slider = widgets.FloatSlider(value=beta2, min=0.5, max=0.999, step=0.001, description="beta2",
                                                readout_format=".3f", style=style)
        self.steps = steps
        self.image = widgets.Image(format="png")
        self.data = None
        self._plot = _BlittedFigure((9.0, 3.8))
        fig = self._plot.fig
        ax_path, ax_loss = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.86, wspace=0.25)
        grid = np.linspace(-3, 3, 121)
        w1, w2 = np.meshgrid(grid, grid)
        surface = 0.5 * (w1**2 + RACE_SCALES[1] * w2**2)
        _contours(ax_path, w1, w2, surface, np.geomspace(0.01, surface.max(), 12), (-3, 3, -3, 3),
                  "f(w) = (w1^2 + 25 w2^2) / 2", cmap="Greys", linewidth=0.7)
        ax_path.plot(0, 0, "k*", markersize=10)
        ax_path.set_aspect("equal")
        _loss_axis(ax_loss, steps, 1e-8, 1e4)
        self._paths, self._losses = {}, {}
        for name, color in self.COLORS.items():
            (self._paths[name],) = ax_path.plot([], [], "o-", color=color, markersize=2, linewidth=1, label=name)
            (self._losses[name],) = ax_loss.plot([], [], "-", color=color, label=name)
        ax_loss.legend(fontsize=8, loc="lower left", ncols=2)
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=10)
        self._plot.dynamic = (*self._paths.values(), *self._losses.values(), self._title)
        for control in (self.lr_slider, self.beta1_slider, self.beta2_slider):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.lr_slider, self.beta1_slider, self.beta2_slider]), self.image])
        self.update()

    def update(self, change=None):
        """Rerun the five optimizers for the current sliders and redraw."""
        self.data = optimizer_race(self.lr_slider.value, self.beta1_slider.value, self.beta2_slider.value, self.steps)
        for name, run in self.data.items():
            self._paths[name].set_data(run["path"][:, 0], run["path"][:, 1])
            self._losses[name].set_data(np.arange(len(run["loss"])), np.clip(run["loss"], 1e-8, 1e4))
        final = ", ".join(f"{name} {run['loss'][-1]:.1e}" for name, run in self.data.items())
        self._title.set_text(f"loss after {self.steps} steps: {final}")
        self.image.value = self._plot.png()


def optimizer_explorer(lr=0.05, beta1=0.9, beta2=0.999, steps=60):
    """Chapter 05's explorer: SGD, momentum, Nesterov, RMSprop and Adam side by side on one surface, with
    sliders for the learning rate, beta1 (momentum, Adam's first moment) and beta2 (RMSprop's alpha, Adam's
    second moment). The numbers are in ``.data`` (``optimizer_race``)."""
    return OptimizerExplorer(lr, beta1, beta2, steps)


# --------------------------------------------------------------------------------------------------
# Regularization explorer (chapter 06): an over-sized network on little data, with an L1 or L2 penalty
# --------------------------------------------------------------------------------------------------

REGULARIZATION_KINDS = ("L1", "L2")
REGULARIZATION_STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
NEAR_ZERO = 1e-2  # |w| below this counts as "near zero" in near_zero_fraction
WEIGHT_BIN_EDGES = np.linspace(-1.0, 1.0, 82)  # 81 bins of width ~0.025; the middle one is centred on 0
REGULARIZATION_GRID_EXTENT = (-2.0, 3.0, -1.5, 2.0)  # x1 from -2 to 3, x2 from -1.5 to 2: all of the moons


def _check_int(value, name, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return int(value)


def _seed_of(rng):
    """An int seed from ``rng`` (an int is used as is, so that results can be cached by it)."""
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        as_rng(rng)  # rejects negative seeds with a clear message
        return int(rng)
    return int(as_rng(rng).integers(2**63))


def _readonly(array):
    array = np.asarray(array)
    array.flags.writeable = False
    return array


def _forward_in_chunks(model, x, rows=64):
    """``model.forward(x)`` in blocks of ``rows`` examples. With 64 rows and 64-wide layers every matrix
    product stays below OpenBLAS's threshold for using several threads: on a busy 2-core machine a
    multi-threaded product can wait milliseconds for its second thread, many times a small product's cost."""
    return np.concatenate([model.forward(x[start:start + rows]) for start in range(0, len(x), rows)])


@functools.lru_cache(maxsize=64)
def _regularization_run(kind, strength, n_train, n_val, noise, hidden, steps, lr, seed):
    """Train once and measure (see ``regularization_experiment``); cached, every array read-only."""
    from .data import moons
    from .nn import MLP, softmax_cross_entropy
    from .optim import SGD
    from .regularization import soft_threshold

    rng = np.random.default_rng(seed)
    x, y = moons(n_train, noise=noise, rng=rng)
    x_val, y_val = moons(n_val, noise=noise, rng=rng)
    # The same data and the same starting weights for every penalty. float64: in float32 the unpenalized run's
    # accuracies change with the CPU's code path (chapter 06 prints them; tools/numeric_env.py).
    model = MLP([2, *hidden, 2], rng=rng, dtype="float64")
    initial = np.concatenate([W.ravel() for W in model.weights]).astype(np.float64)
    optimizer = SGD(model.params, lr=lr)
    for _ in range(steps):
        _, dlogits = softmax_cross_entropy(model.forward(x), y)
        grads = model.backward(dlogits)
        if kind == "L2" and strength > 0:  # L2: add its gradient strength * W (= weight decay for SGD)
            grads = [g + strength * p if p.ndim == 2 else g for g, p in zip(grads, model.params)]
        optimizer.step(grads)
        if kind == "L1" and strength > 0:  # L1: its proximal step, which sets small weights exactly to 0
            for W in model.weights:
                W[...] = soft_threshold(W, lr * strength)

    train_logits, val_logits = _forward_in_chunks(model, x), _forward_in_chunks(model, x_val)
    train_loss, val_loss = softmax_cross_entropy(train_logits, y)[0], softmax_cross_entropy(val_logits, y_val)[0]
    train_accuracy = float(np.mean(train_logits.argmax(axis=1) == y))
    val_accuracy = float(np.mean(val_logits.argmax(axis=1) == y_val))
    weights = np.concatenate([W.ravel() for W in model.weights]).astype(np.float64)
    if kind == "L2":
        penalty = 0.5 * strength * float(np.sum(weights**2))
    else:
        penalty = strength * float(np.sum(np.abs(weights)))

    x0, x1, y0, y1 = REGULARIZATION_GRID_EXTENT
    g1, g2 = np.meshgrid(np.linspace(x0, x1, 100), np.linspace(y0, y1, 70))
    grid_logits = _forward_in_chunks(model, np.column_stack([g1.ravel(), g2.ravel()])).astype(np.float64)
    grid_probability = 1.0 / (1.0 + np.exp(np.clip(grid_logits[:, 0] - grid_logits[:, 1], -50, 50)))
    counts = np.round(_histogram(weights, WEIGHT_BIN_EDGES) * weights.size).astype(np.int64)
    return {
        "kind": kind, "strength": strength,
        "train_accuracy": train_accuracy, "val_accuracy": val_accuracy, "gap": train_accuracy - val_accuracy,
        "train_loss": float(train_loss), "val_loss": float(val_loss), "penalty": penalty,
        "weights": _readonly(weights), "initial_weights": _readonly(initial),
        "near_zero_fraction": float(np.mean(np.abs(weights) < NEAR_ZERO)),
        "zero_fraction": float(np.mean(weights == 0)),
        "weight_std": float(weights.std()),
        "weight_counts": _readonly(counts), "bin_edges": _readonly(WEIGHT_BIN_EDGES.copy()),
        "grid_probability": _readonly(grid_probability.reshape(g1.shape)), "grid_extent": REGULARIZATION_GRID_EXTENT,
        "x_train": _readonly(x), "y_train": _readonly(y),
    }


def regularization_experiment(kind="L2", strength=1e-3, n_train=40, n_val=1000, noise=0.3, hidden=(64, 64),
                              steps=500, lr=0.5, rng=0):
    """Over-fitting and its cure, measured: train a 2-64-64-2 ReLU network (far more weights, 4352, than the
    ``n_train`` = 40 training points need) on noisy ``moons`` with an L1 or L2 penalty of ``strength``, and
    compare accuracy on the training set and on ``n_val`` fresh validation points from the same distribution.

    Training is ``steps`` full-batch steps of plain SGD (``lr``) on the softmax cross-entropy plus the penalty
    on the weight matrices (not the biases; see ``course_lib.regularization``):

        L2:  a gradient step on  loss + (strength / 2) sum W^2,  i.e.  W <- (1 - lr strength) W - lr grad
             (for plain SGD, L2 is exactly weight decay)
        L1:  a gradient step on  loss, then  W <- soft_threshold(W, lr * strength)
             (the proximal step of  strength * sum |W|)

    L1 is applied by its proximal step because that is what sets weights *exactly* to 0; the subgradient
    ``strength * sign(W)`` would make small weights hop back and forth across 0 instead.
    ``rng`` (a seed) draws the data and the starting weights, so for one seed every setting starts from the
    same network on the same data and only the penalty differs. The network is float64, so that the
    accuracies do not depend on the CPU's numeric code path.

    With no penalty the network fits (nearly) every training point with a wiggly boundary that does worse
    on new data: the gap ``train_accuracy - val_accuracy`` is the over-fitting. A moderate
    strength narrows the gap; a large one under-fits (both accuracies fall, to chance when every weight is 0).
    L2 shrinks all weights, a narrower bell; L1 sets most of them exactly to 0, a spike at 0.

    Returns a dict: kind, strength, train_accuracy, val_accuracy, gap, train_loss and val_loss (data loss,
    no penalty), penalty (its value at the end), weights (all weight matrices, flattened; biases excluded)
    and initial_weights (the same at the start), near_zero_fraction (|w| < 0.01), zero_fraction (w == 0),
    weight_std, weight_counts over bin_edges (-1 to 1; weights beyond count in the end bins),
    grid_probability (P(class 1) on a 70 x 100 grid over grid_extent = (x1_min, x1_max, x2_min, x2_max)), and
    x_train, y_train. Results are cached by the arguments; the arrays are read-only.
    """
    kind = choose(kind, "kind", REGULARIZATION_KINDS)
    strength = as_float(strength, "strength", nonnegative=True)
    n_train = _check_int(n_train, "n_train", 4, 10_000)
    n_val = _check_int(n_val, "n_val", 2, 100_000)
    steps = _check_int(steps, "steps", 1, 100_000)
    noise = as_float(noise, "noise", nonnegative=True)
    lr = as_float(lr, "lr", positive=True)
    if isinstance(hidden, (int, np.integer)) or not hasattr(hidden, "__iter__"):
        raise TypeError(f"hidden must be a tuple of layer widths, e.g. (64, 64), got {hidden!r}")
    hidden = tuple(_check_int(h, "hidden widths", 1, 4096) for h in hidden)
    return dict(_regularization_run(kind, strength, n_train, n_val, noise, hidden, steps, lr, _seed_of(rng)))


def regularization_curve(kind="L2", strengths=REGULARIZATION_STRENGTHS, **kwargs):
    """``regularization_experiment`` at each of ``strengths`` (same seed, same data): arrays of strength,
    train_accuracy, val_accuracy, gap and near_zero_fraction, one entry per strength. ``kwargs`` go to
    ``regularization_experiment``."""
    runs = [regularization_experiment(kind, s, **kwargs) for s in strengths]
    return {"kind": kind, "strength": np.array([r["strength"] for r in runs]),
            **{key: np.array([r[key] for r in runs])
               for key in ("train_accuracy", "val_accuracy", "gap", "near_zero_fraction")}}


def _strength_label(strength):
    return "0" if strength == 0 else f"{strength:.0e}".replace("e-0", "e-").replace("e+00", "")


class RegularizationExplorer(widgets.VBox):
    """A penalty switch (L1 / L2) and a strength slider (0, then 1e-4 to 1 in steps of about x3) above three
    panels: the decision regions the network learned, with the training points; the histogram of its
    weights (log count; grey: at initialization); train and validation accuracy against the strength for
    the current penalty, the current strength marked.

    ``data`` holds the last result of ``regularization_experiment``; ``image.value`` the PNG bytes. Every
    result is cached, and the first time a penalty is shown its whole accuracy curve is computed (about one
    second); after that a slider move only redraws.
    """

    def __init__(self, kind="L2", strength=0.0, n_train=40, rng=0):
        choose(kind, "kind", REGULARIZATION_KINDS)
        strength = as_float(strength, "strength", nonnegative=True)
        if strength not in REGULARIZATION_STRENGTHS:
            raise ValueError(f"strength must be one of the slider's values {REGULARIZATION_STRENGTHS}, got {strength}")
        self.settings = {"n_train": n_train, "rng": _seed_of(rng)}  # a Generator: one seed for all settings
        style = {"description_width": "70px"}
        self.kind_buttons = widgets.ToggleButtons(options=list(REGULARIZATION_KINDS), value=kind,
                                                  description="penalty", style=style)
        self.strength_slider = widgets.SelectionSlider(
            options=[(_strength_label(s), s) for s in REGULARIZATION_STRENGTHS], value=strength,
            description="strength", style=style, layout=widgets.Layout(width="420px"))
        self.image = widgets.Image(format="png")
        self.data = None
        self.curves = {}  # kind -> regularization_curve(kind), made the first time the kind is shown
        self._build_figure()
        for control in (self.kind_buttons, self.strength_slider):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.kind_buttons, self.strength_slider]), self.image])
        self.update()

    def _build_figure(self):
        self._plot = _BlittedFigure((11.5, 3.7))
        fig = self._plot.fig
        ax_map, ax_hist, ax_acc = fig.subplots(1, 3, width_ratios=(1.0, 1.0, 1.0))
        fig.subplots_adjust(left=0.045, right=0.99, bottom=0.15, top=0.83, wspace=0.28)
        first = regularization_experiment("L2", 0.0, **self.settings)
        extent = first["grid_extent"]
        self._map = ax_map.imshow(first["grid_probability"], origin="lower", extent=extent, aspect="auto",
                                  cmap="RdBu", vmin=0.0, vmax=1.0, alpha=0.55, interpolation="bilinear")
        x, y = first["x_train"], first["y_train"]
        self._points = ax_map.scatter(x[:, 0], x[:, 1], c=np.where(y == 1, "C0", "C3"), s=14,
                                      edgecolors="k", linewidths=0.5)
        ax_map.set_xlim(*extent[:2])
        ax_map.set_ylim(*extent[2:])
        ax_map.set_xlabel("x1")
        ax_map.set_ylabel("x2")
        ax_map.set_title(f"decision regions, {len(y)} training points", fontsize=10)

        edges = WEIGHT_BIN_EDGES
        ax_hist.stairs(np.maximum(_histogram(first["initial_weights"], edges) * first["initial_weights"].size, 0.8),
                       edges, baseline=0.8, color="0.6", linewidth=1, label="at initialization")
        self._hist = ax_hist.stairs(np.full(len(edges) - 1, 0.8), edges, baseline=0.8, fill=True, color="C2",
                                    alpha=0.8, label="after training")
        ax_hist.axvspan(-NEAR_ZERO, NEAR_ZERO, color="0.85", zorder=0)
        ax_hist.set_yscale("log")
        ax_hist.set_ylim(0.8, 1e4)
        ax_hist.yaxis.set_minor_locator(NullLocator())
        ax_hist.set_xlim(edges[0], edges[-1])
        ax_hist.set_xlabel("weight value (beyond +-1: in the end bins)")
        ax_hist.set_ylabel("number of weights")
        ax_hist.set_title(f"all {first['weights'].size} weights", fontsize=10)
        ax_hist.legend(fontsize=8, loc="upper right")

        positions = np.arange(len(REGULARIZATION_STRENGTHS))
        ax_acc.set_xlim(-0.4, positions[-1] + 0.4)
        ax_acc.set_ylim(0.4, 1.02)
        ax_acc.set_xticks(positions, [_strength_label(s) for s in REGULARIZATION_STRENGTHS], fontsize=7)
        ax_acc.set_xlabel("penalty strength")
        ax_acc.set_ylabel("accuracy")
        ax_acc.axhline(0.5, color="0.6", linewidth=0.8, linestyle=":")
        ax_acc.grid(True, alpha=0.3)
        (self._train_line,) = ax_acc.plot([], [], "o-", color="C1", markersize=3, label="train")
        (self._val_line,) = ax_acc.plot([], [], "s-", color="C0", markersize=3, label="validation")
        self._marker = ax_acc.axvline(0, color="k", linewidth=1)
        (self._current,) = ax_acc.plot([], [], "o", color="k", markersize=6, fillstyle="none")
        self._gap = ax_acc.fill_between([0, 0], [0, 0], [0, 0], color="C3", alpha=0.15, label="gap")
        ax_acc.legend(handles=[self._train_line, self._val_line, self._gap], fontsize=8, loc="lower left")
        self._acc_title = ax_acc.text(0.5, 1.02, "", transform=ax_acc.transAxes, ha="center", va="bottom", fontsize=10)
        self._title = fig.text(0.5, 0.95, "", ha="center", va="center", fontsize=11)
        self._ax_acc = ax_acc
        self._plot.dynamic = (self._map, self._points, self._hist, self._gap, self._train_line, self._val_line,
                              self._marker, self._current, self._acc_title, self._title)

    def update(self, change=None):
        """Look up (or train) the network for the current penalty and strength and redraw."""
        kind, strength = self.kind_buttons.value, self.strength_slider.value
        self.data = regularization_experiment(kind, strength, **self.settings)
        if kind not in self.curves:
            self.curves[kind] = regularization_curve(kind, **self.settings)
        curve = self.curves[kind]
        positions = np.arange(len(REGULARIZATION_STRENGTHS))
        index = REGULARIZATION_STRENGTHS.index(strength)
        self._map.set_data(self.data["grid_probability"])
        self._hist.set_data(np.maximum(self.data["weight_counts"], 0.8))
        self._train_line.set_data(positions, curve["train_accuracy"])
        self._val_line.set_data(positions, curve["val_accuracy"])
        self._gap.set_paths([np.column_stack([np.r_[positions, positions[::-1]],
                                              np.r_[curve["train_accuracy"], curve["val_accuracy"][::-1]]])])
        self._marker.set_xdata([index, index])
        self._current.set_data([index, index], [self.data["train_accuracy"], self.data["val_accuracy"]])
        self._acc_title.set_text(f"{kind}: accuracy against penalty strength")
        d = self.data
        self._title.set_text(
            f"{kind} strength {_strength_label(strength)}: train {d['train_accuracy']:.1%}, validation "
            f"{d['val_accuracy']:.1%}, gap {100 * d['gap']:.1f} points;  {d['near_zero_fraction']:.0%} of the "
            f"weights have |w| < {NEAR_ZERO:g}")
        self.image.value = self._plot.png()


def regularization_explorer(kind="L2", strength=0.0, n_train=40, rng=0):
    """Chapter 06's explorer: a 2-64-64-2 network trained on 40 noisy ``moons`` points with an L1 or L2
    penalty. Switch the penalty and move the strength (0, 1e-4, 3e-4, ..., 1) and watch the training and
    validation accuracy, the gap between them, the decision regions, and the weight histogram: L2 narrows
    the bell, L1 piles the weights up at exactly 0, a huge strength of either leaves nothing to learn with.

    Returns a ``RegularizationExplorer`` (an ipywidgets VBox) with ``.kind_buttons``, ``.strength_slider``,
    ``.image``, the numbers in ``.data`` (``regularization_experiment``) and the accuracy curves in
    ``.curves``. Construction trains 10 networks (about a second); each is cached.
    """
    return RegularizationExplorer(kind, strength, n_train, rng)


# --------------------------------------------------------------------------------------------------
# Pruning explorer (chapter 07): a sparsity slider on a trained network
# --------------------------------------------------------------------------------------------------

PRUNING_SCOPES = ("global", "per-layer")
PRUNING_SPARSITIES = tuple(round(0.01 * i, 2) for i in range(100))  # the slider's values, 0 to 0.99


@functools.lru_cache(maxsize=4)
def _pruning_setup(n_train, n_test, noise, hidden, epochs, lr, seed):
    """Train once (see ``pruning_setup``); cached, every array read-only."""
    from .data import spirals
    from .nn import MLP, softmax_cross_entropy
    from .optim import Adam

    rng = np.random.default_rng(seed)
    x, y = spirals(n_train, classes=3, noise=noise, rng=rng)
    x_test, y_test = spirals(n_test, classes=3, noise=noise, rng=rng)
    model = MLP([2, *hidden, 3], rng=rng)
    optimizer = Adam(model.params, lr=lr)
    batch_size = 64  # small batches: fast, and below the multi-threading threshold (see _forward_in_chunks)
    for _ in range(epochs):  # the loop of course_lib.train.train, without its per-step bookkeeping
        order = rng.permutation(n_train)
        for start in range(0, n_train, batch_size):
            batch = order[start:start + batch_size]
            _, dlogits = softmax_cross_entropy(model.forward(x[batch]), y[batch])
            optimizer.step(model.backward(dlogits))
    return {
        "sizes": tuple(model.sizes), "params": tuple(_readonly(p.copy()) for p in model.params),
        "x_train": _readonly(x), "y_train": _readonly(y), "x_test": _readonly(x_test), "y_test": _readonly(y_test),
        "train_accuracy": float(np.mean(_forward_in_chunks(model, x).argmax(axis=1) == y)),
        "accuracy": float(np.mean(_forward_in_chunks(model, x_test).argmax(axis=1) == y_test)),
    }


def _new_mlp(sizes, params, activation="relu"):
    """A new MLP of layer widths ``sizes`` whose parameters are copies of ``params`` ([W1, b1, W2, ...])."""
    from .nn import MLP

    model = MLP(list(sizes), activation=activation, dtype=params[0].dtype, rng=0)
    for destination, source in zip(model.params, params):
        destination[...] = source
    return model


def pruning_setup(n_train=600, n_test=1500, noise=0.2, hidden=(64, 64), epochs=200, lr=0.01, rng=0):
    """The network that chapter 07 prunes: a 2-64-64-3 ReLU MLP trained with Adam (``lr``, batches of 64,
    ``epochs`` passes) on ``n_train`` points of 3-class ``spirals``, to about 99% test accuracy in about a
    second. Trained once per set of arguments and cached; every call returns a *new* copy of the model,
    so pruning or fine-tuning it cannot change what the next caller gets.

    Returns a dict: model (an ``MLP``), x_train, y_train, x_test, y_test (read-only arrays), train_accuracy
    and accuracy (on the test set).
    """
    for name, value, low, high in (("n_train", n_train, 3, 100_000), ("n_test", n_test, 3, 100_000),
                                   ("epochs", epochs, 1, 10_000)):
        _check_int(value, name, low, high)
    noise, lr = as_float(noise, "noise", nonnegative=True), as_float(lr, "lr", positive=True)
    if isinstance(hidden, (int, np.integer)) or not hasattr(hidden, "__iter__"):
        raise TypeError(f"hidden must be a tuple of layer widths, e.g. (64, 64), got {hidden!r}")
    hidden = tuple(_check_int(h, "hidden widths", 1, 4096) for h in hidden)
    setup = _pruning_setup(int(n_train), int(n_test), noise, hidden, int(epochs), lr, _seed_of(rng))
    model = _new_mlp(setup["sizes"], setup["params"])
    return {"model": model, **{key: value for key, value in setup.items() if key not in ("sizes", "params")}}


def _pruning_inputs(model, x, y):
    """``(model, x, y)``: the course's trained spirals network and its test set when ``model`` is None."""
    from .nn import MLP

    if model is None:
        if x is not None or y is not None:
            raise ValueError("x and y go with a model of your own; with model=None the test set of "
                             "pruning_setup() is used")
        setup = pruning_setup()
        return setup["model"], setup["x_test"], setup["y_test"]
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a course_lib.nn.MLP or None, got {type(model).__name__}")
    if x is None or y is None:
        raise ValueError("with a model of your own, pass its test set too: x and y")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != model.sizes[0]:
        raise ValueError(f"x must have shape (n, {model.sizes[0]}), got {x.shape}")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold {len(x)} integer labels, got shape {y.shape}, dtype {y.dtype}")
    return model, x, y


def pruning_experiment(model=None, sparsity=0.5, scope="global", x=None, y=None):
    """Magnitude-prune a *copy* of ``model``'s weight matrices to ``sparsity`` and measure its accuracy.

    ``scope="per-layer"``: ``magnitude_prune`` on each weight matrix, so every layer loses exactly
    ``round(sparsity * size)`` weights. ``scope="global"``: ``global_magnitude_prune`` ranks the weights of
    all layers together and removes ``round(sparsity * total)`` in all, shared unevenly: layers whose weights
    are small (here the 64 x 64 hidden one) lose more, layers with few, large weights (the input and output
    layers) keep theirs. Biases are never pruned. ``model`` itself is never changed.

    ``model=None`` takes the trained spirals network of ``pruning_setup()`` and its test set; a model of
    your own (an ``MLP``) needs its test set ``x``, ``y``.

    Returns a dict: sparsity, scope, accuracy (on x, y), weights (the pruned matrices), masks (True =
    kept), layer_sparsity (fraction of zeros per matrix, from ``sparsity_report``), total_sparsity,
    n_nonzero (weights left), n_weights (all of them) and report (the ``sparsity_report`` rows).
    """
    from .pruning import global_magnitude_prune, magnitude_prune, sparsity_report

    sparsity = as_float(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    scope = choose(scope, "scope", PRUNING_SCOPES)
    model, x, y = _pruning_inputs(model, x, y)
    weights = list(model.weights)  # read only: magnitude_prune and global_magnitude_prune return new arrays
    if scope == "global":
        pruned, masks = global_magnitude_prune(weights, sparsity)
    else:
        pruned, masks = (list(t) for t in zip(*(magnitude_prune(W, sparsity) for W in weights)))
    params = list(model.params)
    params[0::2] = pruned
    logits = _forward_in_chunks(_new_mlp(model.sizes, params, model.activation), x)  # a pruned copy
    report = sparsity_report(pruned)
    n_weights = sum(W.size for W in pruned)
    return {
        "sparsity": sparsity, "scope": scope, "accuracy": float(np.mean(logits.argmax(axis=1) == y)),
        "weights": pruned, "masks": masks, "layer_sparsity": np.array([row[3] for row in report[:-1]]),
        "total_sparsity": report[-1][3], "n_nonzero": n_weights - report[-1][2], "n_weights": n_weights,
        "report": report,
    }


_PRUNING_CURVES = {}  # (scope, sparsities) -> accuracies, for the default network (model=None)


def pruning_curve(model=None, scope="global", sparsities=PRUNING_SPARSITIES, x=None, y=None):
    """Accuracy against sparsity: ``pruning_experiment`` at each of ``sparsities`` (default: the explorer's
    slider values, 0 to 0.99 in steps of 0.01). Returns a dict: scope, sparsity and accuracy (arrays).
    For the default network (``model=None``) the result is cached."""
    scope = choose(scope, "scope", PRUNING_SCOPES)
    sparsities = tuple(float(s) for s in sparsities)
    default, key = model is None, (scope, sparsities)
    if default and key in _PRUNING_CURVES:
        accuracy = _PRUNING_CURVES[key]
    else:
        model, x, y = _pruning_inputs(model, x, y)
        accuracy = _readonly([pruning_experiment(model, s, scope, x, y)["accuracy"] for s in sparsities])
        if default:
            _PRUNING_CURVES[key] = accuracy
    return {"scope": scope, "sparsity": np.array(sparsities), "accuracy": accuracy}


class PruningExplorer(widgets.VBox):
    """A sparsity slider (0 to 0.99) and a scope switch (global / per-layer) above two parts: left, the
    weight matrices W1 (2 x 64, top), W2 (64 x 64) and W3 (64 x 3) as images of |w|, pruned weights white,
    each titled with its own sparsity; right, test accuracy against sparsity for both scopes (computed once,
    at construction), the current setting marked.

    ``model`` is the trained network (never changed: each move prunes a copy); ``data`` holds the last result
    of ``pruning_experiment``; ``image.value`` the PNG bytes.
    """

    def __init__(self, sparsity=0.5, scope="global", model=None, x=None, y=None):
        sparsity = as_float(sparsity, "sparsity")
        if not 0.0 <= sparsity <= 0.99:
            raise ValueError(f"sparsity must be in [0, 0.99] (the slider's range), got {sparsity}")
        choose(scope, "scope", PRUNING_SCOPES)
        self.model, self.x, self.y = _pruning_inputs(model, x, y)
        self._own_model = model is not None
        curve_model = model if self._own_model else None
        self.curves = {s: pruning_curve(curve_model, s, x=x, y=y) for s in PRUNING_SCOPES}
        self.dense_accuracy = float(self.curves["global"]["accuracy"][0])
        style = {"description_width": "70px"}
        self.sparsity_slider = widgets.FloatSlider(value=sparsity, min=0.0, max=0.99, step=0.01,
                                                   description="sparsity", readout_format=".0%", style=style,
                                                   layout=widgets.Layout(width="420px"))
        self.scope_buttons = widgets.ToggleButtons(options=list(PRUNING_SCOPES), value=scope,
                                                   description="scope", style=style)
        self.image = widgets.Image(format="png")
        self.data = None
        self._build_figure()
        for control in (self.sparsity_slider, self.scope_buttons):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.scope_buttons, self.sparsity_slider]), self.image])
        self.update()

    def _build_figure(self):
        self._plot = _BlittedFigure((11.5, 4.0))
        fig = self._plot.fig
        grid = fig.add_gridspec(2, 3, width_ratios=(3.0, 0.35, 3.4), height_ratios=(1.0, 5.0), left=0.05,
                                right=0.985, bottom=0.12, top=0.84, wspace=0.12, hspace=0.45)
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])]
        ax_acc = fig.add_subplot(grid[:, 2])
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")
        self._images, self._layer_titles = [], []
        for i, (ax, W) in enumerate(zip(axes, self.model.weights)):
            vmax = float(np.abs(W).max()) or 1.0
            self._images.append(ax.imshow(np.abs(W), cmap=cmap, norm=PowerNorm(0.5, vmin=0.0, vmax=vmax),
                                          aspect="auto", interpolation="nearest"))
            ax.set_xticks([])
            ax.set_yticks([])
            self._layer_titles.append(ax.text(0.0 if i < 2 else 0.5, 1.04, "", transform=ax.transAxes, fontsize=9,
                                              ha="left" if i < 2 else "center", va="bottom"))
        axes[1].set_xlabel("rows: inputs (fan_in), columns: outputs (fan_out)\n"
                           "colour: |w| (dark: small), white: pruned", fontsize=8)

        positions = np.asarray(PRUNING_SPARSITIES)
        for scope, color in zip(PRUNING_SCOPES, ("C0", "C1")):
            ax_acc.plot(positions, self.curves[scope]["accuracy"], "-", color=color, label=scope)
        chance = 1.0 / self.model.sizes[-1]
        ax_acc.axhline(chance, color="0.6", linewidth=0.8, linestyle=":")
        ax_acc.text(0.01, chance + 0.01, "chance", fontsize=8, color="0.4")
        ax_acc.set_xlim(0, 1)
        ax_acc.set_ylim(0, 1.02)
        ax_acc.set_xlabel("sparsity (fraction of weights pruned)")
        ax_acc.set_ylabel("test accuracy")
        ax_acc.grid(True, alpha=0.3)
        ax_acc.legend(fontsize=8, loc="lower left")
        ax_acc.set_title("accuracy against sparsity, without fine-tuning", fontsize=10)
        self._marker = ax_acc.axvline(0, color="k", linewidth=1)
        (self._current,) = ax_acc.plot([], [], "o", color="k", markersize=7, fillstyle="none")
        self._title = fig.text(0.5, 0.955, "", ha="center", va="center", fontsize=10.5)
        self._plot.dynamic = (*self._images, *self._layer_titles, self._marker, self._current, self._title)

    def update(self, change=None):
        """Prune a copy of the model to the current sparsity and scope, evaluate it and redraw."""
        sparsity, scope = self.sparsity_slider.value, self.scope_buttons.value
        self.data = pruning_experiment(self.model, sparsity, scope, self.x, self.y)
        for i, (image, title, W, mask) in enumerate(zip(self._images, self._layer_titles, self.data["weights"],
                                                       self.data["masks"])):
            image.set_data(np.where(mask, np.abs(W), np.nan))
            name = f"W{i + 1} {W.shape[0]}x{W.shape[1]}"
            title.set_text(f"{name}: {self.data['layer_sparsity'][i]:.0%} pruned" if i < 2
                           else f"W{i + 1}\n{self.data['layer_sparsity'][i]:.0%}")
        self._marker.set_xdata([sparsity, sparsity])
        self._current.set_data([sparsity], [self.data["accuracy"]])
        layers = ", ".join(f"W{i + 1} {s:.0%}" for i, s in enumerate(self.data["layer_sparsity"]))
        self._title.set_text(
            f"{scope} pruning to {sparsity:.0%}: accuracy {self.data['accuracy']:.1%} (unpruned "
            f"{self.dense_accuracy:.1%}); {self.data['n_nonzero']} of {self.data['n_weights']} weights left "
            f"({layers} pruned)")
        self.image.value = self._plot.png()


def pruning_explorer(sparsity=0.5, scope="global", model=None, x=None, y=None):
    """Chapter 07's explorer: a sparsity slider (0 to 99%) and a scope switch for magnitude pruning of a
    trained 2-64-64-3 network on 3-class spirals (``pruning_setup()``, trained once and cached), or of your
    own ``model`` with its test set ``x``, ``y``. Shows which weights survive in each layer and the test
    accuracy against sparsity, per layer and global. Construction trains the network the first time (about
    a second) and computes both accuracy curves; a slider move prunes a copy of the weights and redraws.

    Returns a ``PruningExplorer`` (an ipywidgets VBox) with ``.sparsity_slider``, ``.scope_buttons``,
    ``.image``, the trained ``.model`` and the numbers in ``.data`` (``pruning_experiment``).
    """
    return PruningExplorer(sparsity, scope, model, x, y)


# --------------------------------------------------------------------------------------------------
# First-layer explorer (chapter 08): an epoch slider through saved snapshots of an MNIST MLP's W1
# --------------------------------------------------------------------------------------------------

FIRST_LAYER_BINS = 80  # histogram bins, over [-m, m] with m the largest |w| of all snapshots


def _check_snapshots(snapshots):
    """``snapshots`` as a list of 2-D float arrays of one shape whose fan_in is a square (side x side)."""
    if isinstance(snapshots, np.ndarray) or not isinstance(snapshots, (list, tuple)):
        raise TypeError(f"snapshots must be a list of weight matrices (one per epoch), got {type(snapshots).__name__}")
    if not snapshots:
        raise ValueError("snapshots is empty: save at least the initial W1, e.g. [model.weights[0].copy()]")
    shape = None
    for i, W in enumerate(snapshots):
        if not isinstance(W, np.ndarray) or not np.issubdtype(W.dtype, np.floating):
            raise TypeError(f"snapshots[{i}] must be a float numpy array, got {type(W).__name__}")
        if W.ndim != 2:
            raise ValueError(f"snapshots[{i}] must be 2-D, (fan_in, fan_out), got shape {W.shape}")
        if shape is not None and W.shape != shape:
            raise ValueError(f"snapshots[{i}] has shape {W.shape}, but snapshots[0] has shape {shape}")
        shape = W.shape
    side = math.isqrt(shape[0])
    if side * side != shape[0]:
        raise ValueError(f"snapshots hold W1 of shape {shape}: its fan_in {shape[0]} is not a square number of "
                         "pixels (28 x 28 = 784 for MNIST)")
    for i, W in enumerate(snapshots):
        if not np.all(np.isfinite(W)):
            raise ValueError(f"snapshots[{i}] contains nan or inf")
    return list(snapshots), side


def _check_accuracy(accuracy, count):
    if accuracy is None:
        return None
    if isinstance(accuracy, (str, bytes)) or not hasattr(accuracy, "__len__"):
        raise TypeError(f"accuracy must be None or a list of {count} accuracies (one per snapshot), "
                        f"got {type(accuracy).__name__}")
    values = [as_float(a, "accuracy entries") for a in accuracy]
    if len(values) != count:
        raise ValueError(f"accuracy must have one value per snapshot: {len(values)} for {count} snapshots")
    if any(not 0.0 <= a <= 1.0 for a in values):
        raise ValueError("accuracy entries must be fractions in [0, 1]")
    return values


def first_layer_frame(snapshots, epoch, units=32, accuracy=None):
    """What the first layer looks like at snapshot ``epoch``: the incoming weights of hidden units
    0 .. ``units``-1 as side x side images (W1[:, j] reshaped, j the unit), and statistics of all of W1.

    ``snapshots`` is a list of W1 arrays, (fan_in, fan_out) with fan_in = side * side (784 for MNIST), one per
    epoch: ``snapshots[0]`` the initial weights, ``snapshots[e]`` after epoch e. ``accuracy``, if given, has one
    (test) accuracy per snapshot. Nothing is copied or changed.

    Returns a dict: epoch, images (units, side, side), tiled (the images in a grid of 8 columns,
    ``course_lib.mnist_tools.tile``), std and max_abs of W1, change = ||W1(e) - W1(0)|| / ||W1(0)|| (Frobenius),
    unchanged_fraction (the fraction of W1's entries still exactly at their initial value: pixels that are 0 in
    every training image, and units that never fire, give their weights no gradient), counts and bin_edges (a
    histogram of all of W1 over [-m, m], m the largest |w| of all snapshots, so the frames share their axis), and
    accuracy (or None).
    """
    from .mnist_tools import tile

    snapshots, side = _check_snapshots(snapshots)
    count = len(snapshots)
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 0 <= epoch < count:
        raise ValueError(f"epoch must be an int in [0, {count - 1}] (an index into snapshots), got {epoch!r}")
    fan_out = snapshots[0].shape[1]
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or not 1 <= units <= fan_out:
        raise ValueError(f"units must be an int in [1, {fan_out}] (W1 has {fan_out} columns), got {units!r}")
    accuracy = _check_accuracy(accuracy, count)
    W, W0 = snapshots[int(epoch)], snapshots[0]
    limit = max(float(np.abs(S).max()) for S in snapshots) or 1.0
    edges = np.linspace(-limit, limit, FIRST_LAYER_BINS + 1)
    bins = np.clip(((W.ravel() + limit) * (FIRST_LAYER_BINS / (2 * limit))).astype(np.int64), 0, FIRST_LAYER_BINS - 1)
    images = W[:, :units].T.reshape(units, side, side)
    initial_norm = float(np.linalg.norm(W0))
    return {
        "epoch": int(epoch), "images": images, "tiled": tile(images, columns=8),
        "std": float(W.std()), "max_abs": float(np.abs(W).max()),
        "change": float(np.linalg.norm(W - W0)) / initial_norm if initial_norm else float("nan"),
        "unchanged_fraction": float(np.mean(W == W0)),
        "counts": np.bincount(bins, minlength=FIRST_LAYER_BINS), "bin_edges": edges,
        "accuracy": None if accuracy is None else accuracy[int(epoch)],
    }


class FirstLayerExplorer(widgets.VBox):
    """An epoch slider through saved snapshots of W1 above two panels: left, the incoming weights of the first
    ``units`` hidden units as images (red positive, blue negative, one colour scale for every epoch); right,
    the histogram of all of W1 at that epoch (log scale) over the initial one (grey) and the last one (dashed).

    ``snapshots`` are kept by reference, not copied; ``data`` holds the last result of ``first_layer_frame``;
    ``image.value`` the PNG bytes.
    """

    def __init__(self, snapshots, epoch=None, units=32, accuracy=None):
        snapshots, _ = _check_snapshots(snapshots)
        epoch = len(snapshots) - 1 if epoch is None else epoch
        first_layer_frame(snapshots, epoch, units, accuracy)  # checks every argument before building anything
        self.snapshots, self.units, self.accuracy = snapshots, units, accuracy
        self.epoch_slider = widgets.IntSlider(value=epoch, min=0, max=len(snapshots) - 1, step=1,
                                              description="epoch", style={"description_width": "50px"},
                                              layout=widgets.Layout(width="420px"))
        self.image = widgets.Image(format="png")
        self.data = None
        self._build_figure()
        self.epoch_slider.observe(self.update, names="value")
        super().__init__([self.epoch_slider, self.image])
        self.update()

    def _build_figure(self):
        first = first_layer_frame(self.snapshots, 0, self.units)
        last = first_layer_frame(self.snapshots, len(self.snapshots) - 1, self.units)
        self._plot = _BlittedFigure((11.0, 4.0))
        fig = self._plot.fig
        ax_img, ax_hist = fig.subplots(1, 2, width_ratios=(1.55, 1.0))
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.13, top=0.84, wspace=0.12)
        scale = float(np.percentile(np.abs(last["images"]), 99.5)) or 1.0  # the trained weights' scale, for all
        cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
        self._tiles = ax_img.imshow(last["tiled"], cmap=cmap, vmin=-scale, vmax=scale, interpolation="nearest")
        ax_img.set_xticks([])
        ax_img.set_yticks([])
        rows = -(-self.units // 8)
        ax_img.set_title(f"incoming weights of hidden units 0-{self.units - 1} ({rows} x 8), colour scale "
                         f"+-{scale:.2g} at every epoch", fontsize=9)
        edges = first["bin_edges"]
        ax_hist.stairs(np.maximum(first["counts"], 0.5), edges, fill=True, color="0.85", label="initial")
        ax_hist.stairs(np.maximum(last["counts"], 0.5), edges, color="0.4", linestyle="--", linewidth=1,
                       label=f"epoch {len(self.snapshots) - 1}")
        (self._hist,) = ax_hist.step(edges, np.append(np.maximum(first["counts"], 0.5), 0.5), where="post",
                                     color="C3", linewidth=1.5, label="this epoch")
        ax_hist.set_yscale("log")
        ax_hist.set_ylim(0.8, 2.0 * max(first["counts"].max(), last["counts"].max()))
        ax_hist.set_xlim(edges[0], edges[-1])
        ax_hist.yaxis.set_minor_locator(NullLocator())
        ax_hist.set_xlabel("weight value (all of W1)")
        ax_hist.set_ylabel("count")
        ax_hist.legend(fontsize=8, loc="upper right")
        ax_hist.grid(True, alpha=0.3)
        self._title = fig.text(0.5, 0.95, "", ha="center", va="center", fontsize=10.5)
        self._plot.dynamic = (self._tiles, self._hist, self._title)

    def update(self, change=None):
        """Show the snapshot of the slider's epoch."""
        self.data = first_layer_frame(self.snapshots, self.epoch_slider.value, self.units, self.accuracy)
        self._tiles.set_data(self.data["tiled"])
        counts = np.maximum(self.data["counts"], 0.5)
        self._hist.set_ydata(np.append(counts, counts[-1]))
        accuracy = "" if self.data["accuracy"] is None else f"test accuracy {self.data['accuracy']:.1%}; "
        self._title.set_text(
            f"epoch {self.data['epoch']}: {accuracy}W1 std {self.data['std']:.3f}, moved "
            f"{self.data['change']:.2f} x its initial norm, {self.data['unchanged_fraction']:.1%} of it never moved")
        self.image.value = self._plot.png()


def first_layer_explorer(snapshots, epoch=None, units=32, accuracy=None):
    """Chapter 08's explorer: an epoch slider through snapshots of the first layer's weights of an MNIST MLP
    (``snapshots[e]``: W1 after epoch e, ``snapshots[0]`` the initial one; fan_in 784 = 28 x 28). Shows the
    incoming weights of the first ``units`` hidden units as 28 x 28 images and the histogram of all of W1,
    with the test ``accuracy`` of each epoch in the title if given. Starts at the last epoch.

    Returns a ``FirstLayerExplorer`` (an ipywidgets VBox) with ``.epoch_slider``, ``.image`` and the numbers
    in ``.data`` (``first_layer_frame``).
    """
    return FirstLayerExplorer(snapshots, epoch, units, accuracy)


__all__ += ["first_layer_explorer", "first_layer_frame", "FirstLayerExplorer", "FIRST_LAYER_BINS"]


# --------------------------------------------------------------------------------------------------
# Importance explorer (chapter 09): a weight's size depends on its feature's units and on its copies
# --------------------------------------------------------------------------------------------------

IMPORTANCE_TRUE_WEIGHTS = (2.0, 1.0, 0.5, 0.0)  # the synthetic task's logit: 2 x1 + x2 + 0.5 x3 + 0 x4
IMPORTANCE_MAX_COPIES = 4
IMPORTANCE_SLOTS = ("x1", "x2", "x2 #2", "x2 #3", "x2 #4", "x3", "x4")  # every column the explorer can show


@functools.lru_cache(maxsize=4)
def _importance_data(n, seed):
    """Training and test sets of the synthetic task, read-only: four independent N(0, 1) features, labels drawn
    with p(y = 1) = sigmoid(2 x1 + x2 + 0.5 x3): noisy, so that the fitted weights are finite."""
    rng = np.random.default_rng(seed)
    w = np.array(IMPORTANCE_TRUE_WEIGHTS)
    sets = []
    for _ in range(2):
        x = rng.normal(size=(n, len(w)))
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ w)))
        sets += [_readonly(x), _readonly((rng.random(n) < p).astype(np.int64))]
    return tuple(sets)


def _importance_columns(x, scale, copies):
    """The columns the model sees: x1 times ``scale``, x2 and ``copies - 1`` exact copies of it, x3, x4."""
    return np.column_stack([x[:, 0] * scale] + [x[:, 1]] * copies + [x[:, 2], x[:, 3]])


def _importance_fit(x_train, y_train, scale, copies):
    from .importance import fit_logistic_regression

    w, b = fit_logistic_regression(_importance_columns(x_train, scale, copies), y_train)
    return w, b, lambda x: (x @ w + b > 0).astype(np.int64)


@functools.lru_cache(maxsize=4)
def _importance_reference(n, seed):
    """The test predictions of the model fitted on the original features (scale 1, no copies), read-only."""
    x_train, y_train, x_test, _ = _importance_data(n, seed)
    predict = _importance_fit(x_train, y_train, 1.0, 1)[2]
    return _readonly(predict(_importance_columns(x_test, 1.0, 1)))


def importance_experiment(scale=1.0, copies=1, n=2000, n_repeats=5, rng=0):
    """Fit a logistic regression on a synthetic task whose features are rescaled or copied, and compare what its
    weights and permutation importance say about the features.

    The task (``n`` training and ``n`` test examples, drawn once per ``rng`` and cached): four independent N(0, 1)
    features x1..x4, labels with p(y = 1) = sigmoid(2 x1 + x2 + 0.5 x3); x4 is noise. The model sees x1 times
    ``scale`` (the same quantity in other units), ``copies`` identical columns of x2 (1 = just x2), x3 and x4, and
    is fitted exactly (``importance.fit_logistic_regression``). Permutation importance is the test accuracy lost
    when a column is shuffled (``n_repeats`` shuffles each; x1 and the group of x2 columns get the same shuffles
    for every setting, so that their importance does not move with the random draws).

    Returns a dict: columns (names), scale, copies, weights (one per column), bias, standardized_weights (weight
    times the column's std), importance and importance_std (per column), group_importance (x2 and its copies
    shuffled together), accuracy (on the test set) and same_predictions (the fraction of test predictions equal
    to those of the model fitted on the original features).
    """
    from .importance import permutation_importance

    scale = as_float(scale, "scale", positive=True)
    copies = _check_int(copies, "copies", 1, IMPORTANCE_MAX_COPIES)
    n = _check_int(n, "n", 10, 100_000)
    n_repeats = _check_int(n_repeats, "n_repeats", 1, 100)
    seed = _seed_of(rng)
    x_train, y_train, x_test, y_test = _importance_data(n, seed)
    w, b, predict = _importance_fit(x_train, y_train, scale, copies)
    test = _importance_columns(x_test, scale, copies)
    columns = permutation_importance(predict, test, y_test, n_repeats=n_repeats, rng=seed + 1)
    group = permutation_importance(predict, test, y_test, features=[list(range(1, 1 + copies))], n_repeats=n_repeats,
                                   rng=seed + 2)  # a generator of its own: the same shuffles for any copies
    return {
        "columns": ["x1", "x2", *(f"x2 #{k}" for k in range(2, copies + 1)), "x3", "x4"],
        "scale": scale, "copies": copies, "weights": w, "bias": b,
        "standardized_weights": w * _importance_columns(x_train, scale, copies).std(axis=0),
        "importance": columns.mean, "importance_std": columns.std, "group_importance": float(group.mean[0]),
        "accuracy": columns.baseline,
        "same_predictions": float(np.mean(predict(test) == _importance_reference(n, seed))),
    }


class ImportanceExplorer(widgets.VBox):
    """A log slider for the units of x1 (its values multiplied by 0.01 to 100) and a slider for the number of
    copies of x2 (1 to 4), above two bar charts of the fitted logistic regression: left, |weight| per column
    (log scale); right, permutation importance per column and for x2 with its copies shuffled together.

    ``data`` holds the last result of ``importance_experiment``; ``image.value`` the PNG bytes.
    """

    WEIGHT_RANGE = (1e-3, 1e3)

    def __init__(self, scale=1.0, copies=1, n=2000, n_repeats=5, rng=0):
        scale = as_float(scale, "scale", positive=True)
        if not 0.01 <= scale <= 100:
            raise ValueError(f"scale must be in [0.01, 100] (the slider's range), got {scale}")
        _check_int(copies, "copies", 1, IMPORTANCE_MAX_COPIES)
        importance_experiment(scale, copies, n, n_repeats, rng)  # checks the other arguments
        self.n, self.n_repeats, self.rng = n, n_repeats, rng
        style = {"description_width": "110px"}
        self.scale_slider = widgets.FloatLogSlider(value=scale, base=10, min=-2, max=2, step=0.25,
                                                   description="units of x1, x", readout_format=".3g", style=style)
        self.copies_slider = widgets.IntSlider(value=copies, min=1, max=IMPORTANCE_MAX_COPIES,
                                               description="copies of x2", style=style)
        self.image = widgets.Image(format="png")
        self.data = None
        self._build_figure()
        for control in (self.scale_slider, self.copies_slider):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.scale_slider, self.copies_slider]), self.image])
        self.update()

    def _build_figure(self):
        self._plot = _BlittedFigure((11.0, 3.9))
        fig = self._plot.fig
        ax_w, ax_i = fig.subplots(1, 2, width_ratios=(7, 8))
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.14, top=0.78, wspace=0.15)
        slots = np.arange(len(IMPORTANCE_SLOTS))
        low, high = self.WEIGHT_RANGE
        ax_w.set_yscale("log")
        ax_w.set_ylim(low, high)
        ax_w.yaxis.set_minor_locator(NullLocator())
        self._weight_bars = ax_w.bar(slots, np.zeros(len(slots)), bottom=low, color="C0", width=0.7, linewidth=0)
        ax_w.set_xticks(slots, IMPORTANCE_SLOTS, fontsize=8)
        ax_w.set_title("|weight| of each column (log scale)", fontsize=10)
        ax_w.grid(True, axis="y", alpha=0.3)
        group_slots = np.arange(len(IMPORTANCE_SLOTS) + 1)
        self._importance_bars = ax_i.bar(group_slots, np.zeros(len(group_slots)), color=["C1"] * len(slots) + ["C3"],
                                         width=0.7, linewidth=0)
        ax_i.set_xticks(group_slots, [*IMPORTANCE_SLOTS, "x2 + copies\ntogether"], fontsize=8)
        ax_i.set_ylim(0, 0.35)
        ax_i.set_ylabel("accuracy lost when shuffled", fontsize=9)
        ax_i.set_title("permutation importance (test set)", fontsize=10)
        ax_i.grid(True, axis="y", alpha=0.3)
        self._weight_labels = [ax_w.text(s, low, "", ha="center", va="bottom", fontsize=7.5) for s in slots]
        self._importance_labels = [ax_i.text(s, 0, "", ha="center", va="bottom", fontsize=7.5) for s in group_slots]
        self._title = fig.text(0.5, 0.945, "", ha="center", va="center", fontsize=10)
        fig.text(0.5, 0.885, "x1 x c: the model sees x1 times c and fits weight w1 (w1 x c: the weight per original "
                 "unit); same predictions: test predictions equal to those of the model of the original features",
                 ha="center", va="center", fontsize=7.5, color="0.35")  # static: drawn once, into the background
        self._plot.dynamic = (*self._weight_bars, *self._importance_bars, *self._weight_labels,
                              *self._importance_labels, self._title)

    def _slots(self, values):
        """Per column of ``data`` -> per slot of IMPORTANCE_SLOTS (None where the column is absent)."""
        copies = self.data["copies"]
        out = [None] * len(IMPORTANCE_SLOTS)
        for slot, value in zip([0, *range(1, 1 + copies), 5, 6], values):
            out[slot] = value
        return out

    def update(self, change=None):
        """Refit the model for the current units and copies, measure the importance and redraw."""
        self.data = importance_experiment(self.scale_slider.value, self.copies_slider.value, self.n,
                                          self.n_repeats, self.rng)
        low, high = self.WEIGHT_RANGE
        for bar, label, w in zip(self._weight_bars, self._weight_labels, self._slots(self.data["weights"])):
            size = low if w is None else float(np.clip(abs(w), low, high))
            bar.set_height(size - low)
            label.set_position((label.get_position()[0], size))
            label.set_text("" if w is None else f"{abs(w):.3g}")
        values = [*self._slots(self.data["importance"]), self.data["group_importance"]]
        for bar, label, v in zip(self._importance_bars, self._importance_labels, values):
            height = 0.0 if v is None else float(np.clip(v, 0.0, 0.35))
            bar.set_height(height)
            label.set_position((label.get_position()[0], height))
            label.set_text("" if v is None else f"{v:.3f}")
        w1, scale, copies = self.data["weights"][0], self.data["scale"], self.data["copies"]
        self._title.set_text(  # short: text is the slowest thing to draw
            f"x1 x {scale:.3g}: w1 {w1:.3g}, w1 x {scale:.3g} = {w1 * scale:.3g};  x2 in {copies} column"
            f"{'s' if copies > 1 else ''};  accuracy {self.data['accuracy']:.1%};  same predictions "
            f"{self.data['same_predictions']:.0%}")
        self.image.value = self._plot.png()


def importance_explorer(scale=1.0, copies=1, n=2000, n_repeats=5, rng=0):
    """Chapter 09's explorer: change the units of feature x1 (a log slider, x 0.01 to x 100) and the number of
    identical copies of feature x2 (1 to 4) of a synthetic task, refit a logistic regression exactly, and compare
    |weight| (which follows the units and splits among copies) with permutation importance (which ignores the units;
    for copies, shuffle them together). Each move refits and re-measures (a few milliseconds).

    Returns an ``ImportanceExplorer`` (an ipywidgets VBox) with ``.scale_slider``, ``.copies_slider``, ``.image``
    and the numbers in ``.data`` (``importance_experiment``).
    """
    return ImportanceExplorer(scale, copies, n, n_repeats, rng)


__all__ += ["importance_explorer", "importance_experiment", "ImportanceExplorer", "IMPORTANCE_SLOTS",
            "IMPORTANCE_TRUE_WEIGHTS", "IMPORTANCE_MAX_COPIES"]
