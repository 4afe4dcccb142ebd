"""Chapter 01 (initialization): the init explorer, activations layer by layer for an initializer and a scale."""

import math

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import NullLocator

from ..experiments.ch01_initialization import EXPLORER_INITIALIZERS, MAX_DEPTH, WIDTH_RANGE, init_explorer_data
from ..nn import ACTIVATIONS
from ._base import Explorer

__all__ = ["init_explorer", "InitExplorer", "EXPLORER_WIDTHS"]

# The width slider's positions: doubling steps from 16 to 1024 (WIDTH_RANGE). What a width changes is the spread of
# the statistics, by orders of magnitude, so each notch is a visibly different network; and each is one the
# explorer draws fast (a first visit at width 1024 takes about 0.15 s, the median width under 50 ms:
# benchmarks/widget_latency.py). A step of 16 gave 64 positions, most of them new networks to draw: median 55 ms.
EXPLORER_WIDTHS = tuple(2**k for k in range(int(math.log2(WIDTH_RANGE[0])), int(math.log2(WIDTH_RANGE[1])) + 1))

# The explorer's batch holds this many values per layer (examples x width) at every width: 256 examples at the
# default width 256 (init_explorer_data's default batch), 64 at width 1024, so that the statistics and
# histograms of a layer cost the same at every width. (With 256 examples at width 1024, init_explorer_data took
# 95 ms for a change of scale; with 64, 25 ms.)
VALUES_PER_LAYER = 65536


def examples_for_width(width):
    """The explorer's batch size at ``width``: VALUES_PER_LAYER // width, at most 4096 (16 at width 16)."""
    return min(4096, VALUES_PER_LAYER // width)


def layer_ticks(depth):
    """The layer numbers labelled on an axis of ``depth`` layers: 1, then every 1, 2 or 5 layers, at most 5 labels
    (depth 4: 1, 2, 3, 4; depth 8: 1, 2, 4, 6, 8; depth 10: 1, 5, 10; depth 20: 1, 5, 10, 15, 20)."""
    for step in (1, 2, 5):
        ticks = sorted({1, *range(step, depth + 1, step)})
        if len(ticks) <= 5:
            return ticks
    return ticks


def histogram_ticks(low, high):
    """Tick values for the histogram's axis from ``low`` to ``high``, where ``high`` is a round number and ``low``
    is 0 or -high (see ``init_explorer_data(round_range=True)``): steps of 1, 2, 2.5, 4 or 5 times a power of
    ten, the largest that divides ``high`` into whole steps and the axis into at least 3, so that 0 and both ends
    are labelled (0 to 4: step 1; -1 to 1: step 0.5; -3 to 3: step 1; -8 to 8: step 4)."""
    span = high - low
    power = 10.0 ** math.floor(math.log10(span))
    for step in (mantissa * power for mantissa in (5, 4, 2.5, 2, 1, 0.5, 0.4, 0.25, 0.2, 0.1)):
        steps = span / step
        if steps >= 3 - 1e-9 and abs(high / step - round(high / step)) < 1e-9 * abs(high / step):
            return low + step * np.arange(round(steps) + 1)
    return np.linspace(low, high, 5)  # not a round range: its ends and three values between


class InitExplorer(Explorer):
    """Controls (initializer, scale, depth, width, activation) above a PNG of two panels:
    left, each layer's activation histogram as one row of an image; right, the activation std per
    layer (log scale) with the dead (ReLU) or saturated (tanh/sigmoid) fraction.

    ``data`` holds the last result of ``init_explorer_data``; ``image.value`` the PNG bytes;
    ``histogram_axes`` and ``std_axes`` are the two panels.

    The layer axes fit the depth, and the histogram's x axis runs over the histogram's range, rounded to a round
    number (``round_range``) and labelled with activation values. These three axes are dynamic artists, drawn
    again only when they change (the layer axes with the depth, 11 ms; the histogram's axis with its range, 6 ms),
    not into the background (drawing the whole figure again takes 45 ms more).
    """

    STD_RANGE = (1e-6, 1e6)

    def __init__(self, initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                 n_examples=None, rng=0):
        if width not in EXPLORER_WIDTHS:
            raise ValueError(f"width must be one of the explorer's widths {EXPLORER_WIDTHS}, got {width!r}")
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
        self.width_slider = widgets.SelectionSlider(options=EXPLORER_WIDTHS, value=width, description="width",
                                                    continuous_update=False, style=style)
        self.n_examples = n_examples  # None: examples_for_width(width)
        self.rng = rng
        super().__init__([[self.initializer_dropdown, self.activation_dropdown],
                          [self.scale_slider, self.depth_slider, self.width_slider]], figsize=(9.0, 3.4))

    def build_figure(self, fig):
        self.histogram_axes, self.std_axes = fig.subplots(1, 2, width_ratios=(1.15, 1.0))
        ax_hist, ax_std = self.histogram_axes, self.std_axes
        fig.subplots_adjust(left=0.07, right=0.92, bottom=0.15, top=0.86, wspace=0.3)

        self._heatmap = ax_hist.imshow(np.zeros((1, 2)), aspect="auto", cmap=matplotlib.colormaps["magma"],
                                       norm=PowerNorm(0.5, vmin=0.0, vmax=1.0, clip=True), interpolation="nearest")
        ax_hist.set_xlabel("activation value")
        ax_hist.set_ylabel("layer")
        ax_hist.set_title("activation histogram per layer (each row scaled to its peak; ReLU: above 0)", fontsize=9)

        ax_std.set_yscale("log")
        ax_std.set_ylim(*self.STD_RANGE)
        ax_std.set_yticks([1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6], ["1e-6", "1e-4", "0.01", "1", "100", "1e4", "1e6"])
        ax_std.yaxis.set_minor_locator(NullLocator())
        ax_std.set_xlabel("layer")
        ax_std.set_ylabel("activation std", color="C0")
        ax_std.grid(True, alpha=0.3)
        (self._std_line,) = ax_std.plot([], [], "o-", color="C0", markersize=4)
        (self._off_scale,) = ax_std.plot([], [], "^", color="C0", markersize=7, linestyle="none")
        ax_frac = ax_std.twinx()
        ax_frac.set_ylim(-0.02, 1.02)
        ax_frac.set_ylabel("dead (ReLU) or saturated fraction", color="C3", fontsize=9)
        (self._frac_line,) = ax_frac.plot([], [], "s--", color="C3", markersize=3)
        self._title = fig.text(0.5, 0.95, "", ha="center", va="center", fontsize=11)
        # the axes that follow the depth, then the one that follows the histogram's range, which changes more often
        # (BlittedFigure draws an axis again only with the ones before it unchanged), then the rest
        return (ax_hist.yaxis, ax_std.xaxis, ax_hist.xaxis,
                self._heatmap, self._std_line, self._off_scale, self._frac_line, self._title)

    def compute(self):
        width = self.width_slider.value
        return init_explorer_data(
            initializer=self.initializer_dropdown.value, scale=self.scale_slider.value,
            depth=self.depth_slider.value, width=width, activation=self.activation_dropdown.value,
            n_examples=self.n_examples or examples_for_width(width), rng=self.rng, round_range=True,
        )

    def draw(self, data):
        activation = self.activation_dropdown.value
        std = data["std"]
        depth = len(std)
        layers = np.arange(1, depth + 1)

        low, high = data["bin_edges"][[0, -1]]
        # Each row is scaled to its largest bin. For ReLU, the largest bin above 0: the exact zeros (half of the
        # values, more with dead units) fill the first bin, which would otherwise darken the rest of the row; that
        # bin then shows at the brightest colour (clipped), and the dead fraction is in the right panel.
        counted = data["histograms"][:, 1:] if activation == "relu" else data["histograms"]
        peak = counted.max(axis=1, keepdims=True)
        self._heatmap.set_data(data["histograms"] / np.where(peak > 0, peak, 1.0))
        self._heatmap.set_extent((low, high, depth + 0.5, 0.5))
        self.histogram_axes.set_xlim(low, high)
        self.histogram_axes.set_xticks(histogram_ticks(low, high))  # a huge range: -4 ... 4 and "1e64" at the end
        self.histogram_axes.set_ylim(depth + 0.5, 0.5)
        self.histogram_axes.set_yticks(layer_ticks(depth))
        self.std_axes.set_xlim(0.5, depth + 0.5)
        self.std_axes.set_xticks(layer_ticks(depth))

        low, high = self.STD_RANGE
        finite_std = np.where(np.isfinite(std), std, high * 10)
        self._std_line.set_data(layers, np.clip(finite_std, low, high))
        outside = (finite_std < low) | (finite_std > high)
        self._off_scale.set_data(layers[outside], np.clip(finite_std, low, high)[outside])
        self._off_scale.set_marker("v" if np.all(finite_std[outside] < low) else "^")

        fraction = data["dead_fraction"] if data["dead_fraction"] is not None else data["saturated_fraction"]
        self._frac_line.set_data(([], []) if fraction is None else (layers, fraction))
        kind = {"relu": ", dead units", "tanh": ", saturated", "sigmoid": ", saturated"}.get(activation, "")
        last_std = "overflow" if not np.isfinite(std[-1]) else f"{std[-1]:.3g}"
        last_fraction = "" if fraction is None else f" {fraction[-1]:.0%}"
        self._title.set_text(f"{self.initializer_dropdown.value} x {self.scale_slider.value:.3g}, {activation}: "
                             f"layer {depth} std {last_std}{kind}{last_fraction}")


def init_explorer(initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                  n_examples=None, rng=0):
    """The initialization explorer of chapter 01: pick an initializer, a scale multiplier (log slider,
    0.01 to 100), depth (1 to 20), width (16, 32, ..., 1024: ``EXPLORER_WIDTHS``) and activation, and watch the
    activations layer by layer.

    The batch has ``n_examples`` examples; None takes ``examples_for_width(width)``: 65536 values per layer at
    every width, 256 examples at the default width 256 (the numbers of ``init_explorer_data()``).

    Returns an ``InitExplorer`` (an ipywidgets VBox); its sliders are ``.scale_slider``,
    ``.depth_slider``, ``.width_slider``, its dropdowns ``.initializer_dropdown`` and
    ``.activation_dropdown``, and the numbers behind the picture are in ``.data``.
    """
    return InitExplorer(initializer, scale, depth, width, activation, n_examples, rng)
