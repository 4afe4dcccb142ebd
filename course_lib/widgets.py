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
           "MomentumExplorer", "optimizer_explorer", "optimizer_race", "OptimizerExplorer"]

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
