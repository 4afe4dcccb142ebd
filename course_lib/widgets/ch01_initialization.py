"""Chapter 01 (initialization): the init explorer, activations layer by layer for an initializer and a scale."""

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import NullLocator

from ..experiments.ch01_initialization import EXPLORER_INITIALIZERS, MAX_DEPTH, WIDTH_RANGE, init_explorer_data
from ..nn import ACTIVATIONS
from ._base import Explorer

__all__ = ["init_explorer", "InitExplorer"]


class InitExplorer(Explorer):
    """Controls (initializer, scale, depth, width, activation) above a PNG of two panels:
    left, each layer's activation histogram as one row of an image; right, the activation std per
    layer (log scale) with the dead (ReLU) or saturated (tanh/sigmoid) fraction.

    ``data`` holds the last result of ``init_explorer_data``; ``image.value`` the PNG bytes.
    The layer axes always run to MAX_DEPTH and the std axis spans STD_RANGE, so only a change of activation
    (the histogram's range) draws the figure's background again.
    """

    STD_RANGE = (1e-6, 1e6)

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
        self.n_examples = n_examples
        self.rng = rng
        self._background_activation = None
        super().__init__([[self.initializer_dropdown, self.activation_dropdown],
                          [self.scale_slider, self.depth_slider, self.width_slider]], figsize=(9.0, 3.4))

    def build_figure(self, fig):
        self._ax_hist, ax_std = fig.subplots(1, 2, width_ratios=(1.15, 1.0))
        fig.subplots_adjust(left=0.07, right=0.92, bottom=0.15, top=0.86, wspace=0.3)

        cmap = matplotlib.colormaps["magma"].with_extremes(bad="white")  # layers beyond the depth: blank
        self._heatmap = self._ax_hist.imshow(np.zeros((MAX_DEPTH, 2)), aspect="auto", cmap=cmap,
                                             norm=PowerNorm(0.5, vmin=0.0, vmax=1.0), interpolation="nearest")
        self._ax_hist.set_ylim(MAX_DEPTH + 0.5, 0.5)
        self._ax_hist.set_yticks([1, 5, 10, 15, 20])
        self._ax_hist.set_ylabel("layer")
        self._ax_hist.set_title("activation histogram per layer (each row scaled to its peak)", fontsize=9)
        self._hist_xlabel = self._ax_hist.set_xlabel("activation value")

        ax_std.set_yscale("log")
        ax_std.set_ylim(*self.STD_RANGE)
        ax_std.set_yticks([1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6], ["1e-6", "1e-4", "0.01", "1", "100", "1e4", "1e6"])
        ax_std.yaxis.set_minor_locator(NullLocator())
        ax_std.set_xlim(0.5, MAX_DEPTH + 0.5)
        ax_std.set_xticks([1, 5, 10, 15, 20])
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
        return (self._heatmap, self._std_line, self._off_scale, self._frac_line, self._title, self._hist_xlabel)

    def compute(self):
        return init_explorer_data(
            initializer=self.initializer_dropdown.value, scale=self.scale_slider.value,
            depth=self.depth_slider.value, width=self.width_slider.value,
            activation=self.activation_dropdown.value, n_examples=self.n_examples, rng=self.rng,
        )

    def _set_histogram_range(self, activation):
        """The histogram's x axis, a static part of the figure: its background is drawn again."""
        low, high = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "relu": (0.0, 1.0)}.get(activation, (-1.0, 1.0))
        self._heatmap.set_extent((low, high, MAX_DEPTH + 0.5, 0.5))
        self._ax_hist.set_xlim(low, high)
        self._figure.invalidate()
        self._background_activation = activation

    def draw(self, data):
        activation = self.activation_dropdown.value
        if activation != self._background_activation:
            self._set_histogram_range(activation)

        std = data["std"]
        depth = len(std)
        layers = np.arange(1, depth + 1)
        rows = np.full((MAX_DEPTH, data["histograms"].shape[1]), np.nan)
        peak = data["histograms"].max(axis=1, keepdims=True)
        rows[:depth] = data["histograms"] / np.where(peak > 0, peak, 1.0)
        self._heatmap.set_data(rows)
        edges = data["bin_edges"]
        if activation in ("tanh", "sigmoid"):
            self._hist_xlabel.set_text("activation value")
        else:  # the histogram range is +-3 times the largest std: label the axis in those units
            self._hist_xlabel.set_text(f"activation value, in units of {edges[-1]:.3g}")

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
                  n_examples=256, rng=0):
    """The initialization explorer of chapter 01: pick an initializer, a scale multiplier (log slider,
    0.01 to 100), depth (1 to 20), width and activation, and watch the activations layer by layer.

    Returns an ``InitExplorer`` (an ipywidgets VBox); its sliders are ``.scale_slider``,
    ``.depth_slider``, ``.width_slider``, its dropdowns ``.initializer_dropdown`` and
    ``.activation_dropdown``, and the numbers behind the picture are in ``.data``.
    """
    return InitExplorer(initializer, scale, depth, width, activation, n_examples, rng)
