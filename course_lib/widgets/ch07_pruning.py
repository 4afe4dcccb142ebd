"""Chapter 07 (pruning and compression): the pruning explorer, a sparsity slider on a trained network; the
quantization explorer, bits and scheme against a layer's weight histogram and the accuracy."""

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.ticker import NullLocator

from .._checks import as_float, as_int, choose
from ..experiments.ch07_pruning import (
    PRUNING_SCOPES,
    PRUNING_SPARSITIES,
    QUANT_BIN_EDGES,
    QUANT_BITS,
    QUANT_GRANULARITIES,
    _pruning_inputs,
    pruning_curve,
    pruning_experiment,
    quantization_curve,
    quantization_experiment,
)
from ..quantization import SCHEMES
from ._base import Explorer

__all__ = ["pruning_explorer", "PruningExplorer", "quantization_explorer", "QuantizationExplorer"]


class PruningExplorer(Explorer):
    """A sparsity slider (0 to 0.99) and a scope switch (global / per-layer) above two parts: left, the
    weight matrices W1 (2 x 64, top), W2 (64 x 64) and W3 (64 x 3) as images of |w|, pruned weights white,
    each titled with its own sparsity; right, accuracy against sparsity for both scopes (on the validation set
    by default; computed once, at construction; the y-axis reads ``label``), the current setting marked.

    ``model`` is the trained network (never changed: each move prunes a copy); ``data`` holds the last result
    of ``pruning_experiment``; ``image.value`` the PNG bytes.
    """

    def __init__(self, sparsity=0.5, scope="global", model=None, x=None, y=None, label="validation accuracy"):
        sparsity = as_float(sparsity, "sparsity")
        if not isinstance(label, str) or not label.strip():
            raise TypeError(f"label must be a non-empty str (the accuracy axis' label), got {label!r}")
        self.accuracy_label = label
        if not 0.0 <= sparsity <= 0.99:
            raise ValueError(f"sparsity must be in [0, 0.99] (the slider's range), got {sparsity}")
        choose(scope, "scope", PRUNING_SCOPES)
        self.model, self.x, self.y = _pruning_inputs(model, x, y)
        self.curves = {s: pruning_curve(model, s, x=x, y=y) for s in PRUNING_SCOPES}
        self.dense_accuracy = float(self.curves["global"]["accuracy"][0])
        style = {"description_width": "70px"}
        self.sparsity_slider = widgets.FloatSlider(value=sparsity, min=0.0, max=0.99, step=0.01,
                                                   description="sparsity", readout_format=".0%", style=style,
                                                   layout=widgets.Layout(width="420px"))
        self.scope_buttons = widgets.ToggleButtons(options=list(PRUNING_SCOPES), value=scope,
                                                   description="scope", style=style)
        super().__init__([[self.scope_buttons, self.sparsity_slider]], figsize=(11.5, 4.0))

    def build_figure(self, fig):
        # Two grids, so that the accuracy panel's y-label has room of its own between W3 and the panel.
        grid = fig.add_gridspec(2, 2, width_ratios=(3.0, 0.35), height_ratios=(1.0, 5.0), left=0.03, right=0.5,
                                bottom=0.12, top=0.84, wspace=0.12, hspace=0.45)
        axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])]
        ax_acc = fig.add_subplot(fig.add_gridspec(1, 1, left=0.575, right=0.985, bottom=0.12, top=0.84)[0, 0])
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
        ax_acc.set_ylabel(self.accuracy_label)
        ax_acc.grid(True, alpha=0.3)
        ax_acc.legend(fontsize=8, loc="lower left")
        ax_acc.set_title("accuracy against sparsity, without fine-tuning", fontsize=10)
        self._marker = ax_acc.axvline(0, color="k", linewidth=1)
        (self._current,) = ax_acc.plot([], [], "o", color="k", markersize=7, fillstyle="none")
        self._title = fig.text(0.5, 0.955, "", ha="center", va="center", fontsize=10.5)
        return (*self._images, *self._layer_titles, self._marker, self._current, self._title)

    def compute(self):
        """Prune a copy of the model to the current sparsity and scope and evaluate it."""
        return pruning_experiment(self.model, self.sparsity_slider.value, self.scope_buttons.value, self.x, self.y)

    def draw(self, data):
        sparsity, scope = self.sparsity_slider.value, self.scope_buttons.value
        for i, (image, title, W, mask) in enumerate(zip(self._images, self._layer_titles, data["weights"],
                                                       data["masks"])):
            image.set_data(np.where(mask, np.abs(W), np.nan))
            name = f"W{i + 1} {W.shape[0]}x{W.shape[1]}"
            title.set_text(f"{name}: {data['layer_sparsity'][i]:.0%} pruned" if i < 2
                           else f"W{i + 1}\n{data['layer_sparsity'][i]:.0%}")
        self._marker.set_xdata([sparsity, sparsity])
        self._current.set_data([sparsity], [data["accuracy"]])
        layers = ", ".join(f"W{i + 1} {s:.0%}" for i, s in enumerate(data["layer_sparsity"]))
        self._title.set_text(
            f"{scope} pruning to {sparsity:.0%}: {self.accuracy_label} {data['accuracy']:.1%} (unpruned "
            f"{self.dense_accuracy:.1%}); {data['n_nonzero']} of {data['n_weights']} weights left "
            f"({layers} pruned)")


def pruning_explorer(sparsity=0.5, scope="global", model=None, x=None, y=None, label="validation accuracy"):
    """Chapter 07's explorer: a sparsity slider (0 to 99%) and a scope switch for magnitude pruning of a
    trained 2-64-64-3 network on 3-class spirals (``pruning_setup()``, trained once and cached, scored on its
    validation set), or of your own ``model`` with the data to score it on, ``x``, ``y`` (a validation set: the
    explorer compares settings; ``label`` names that accuracy on the plot, "validation accuracy" unless you say
    otherwise). Shows which weights survive in each layer and the accuracy against sparsity, per layer and global.
    Construction trains the network the first time (about a second) and computes both accuracy curves; a slider
    move prunes a copy of the weights and redraws.

    Returns a ``PruningExplorer`` (an ipywidgets VBox) with ``.sparsity_slider``, ``.scope_buttons``,
    ``.image``, the trained ``.model`` and the numbers in ``.data`` (``pruning_experiment``).
    """
    return PruningExplorer(sparsity, scope, model, x, y, label)


# --------------------------------------------------------------------------------------------------
# The quantization explorer
# --------------------------------------------------------------------------------------------------


class QuantizationExplorer(Explorer):
    """A bits slider (2 to 8), a scheme switch (symmetric / affine), a granularity switch (one scale per tensor /
    per output unit) and a layer switch above two panels: left, the histogram of the chosen layer's weights
    (grey: float, colour: after quantization and dequantization), in units of the layer's largest |w|, so that
    the 2^b levels show as spikes; right, accuracy against bits for the four variants (computed once, at
    construction), the current setting marked.

    ``model`` is the trained network (never changed); ``data`` holds the last result of
    ``quantization_experiment``; ``image.value`` the PNG bytes.
    """

    def __init__(self, bits=4, scheme="symmetric", granularity="per channel", layer=1, model=None, x=None, y=None):
        bits = as_int(bits, "bits", QUANT_BITS[0], QUANT_BITS[-1])
        choose(scheme, "scheme", SCHEMES)
        choose(granularity, "granularity", QUANT_GRANULARITIES)
        self.model, self.x, self.y = _pruning_inputs(model, x, y)
        layer = as_int(layer, "layer", 0, len(self.model.weights) - 1)
        curve_model = model if model is not None else None
        self.curves = {(s, g): quantization_curve(curve_model, s, g, x, y)
                       for s in SCHEMES for g in QUANT_GRANULARITIES}
        self.float_accuracy = self.curves[SCHEMES[0], QUANT_GRANULARITIES[0]]["float_accuracy"]
        style = {"description_width": "80px"}
        self.bits_slider = widgets.IntSlider(value=bits, min=QUANT_BITS[0], max=QUANT_BITS[-1], step=1,
                                             description="bits", style=style, layout=widgets.Layout(width="330px"))
        self.scheme_buttons = widgets.ToggleButtons(options=list(SCHEMES), value=scheme, description="scheme",
                                                    style=style)
        self.granularity_buttons = widgets.ToggleButtons(options=list(QUANT_GRANULARITIES), value=granularity,
                                                         description="scale", style=style)
        layers = [(f"W{i + 1} {W.shape[0]}x{W.shape[1]}", i) for i, W in enumerate(self.model.weights)]
        self.layer_buttons = widgets.ToggleButtons(options=layers, value=layer, description="histogram of",
                                                   style=style)
        super().__init__([[self.bits_slider, self.scheme_buttons], [self.granularity_buttons, self.layer_buttons]],
                         figsize=(11.5, 3.9))

    def build_figure(self, fig):
        ax_hist, ax_acc = fig.subplots(1, 2, width_ratios=(1.25, 1.0))
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.14, top=0.83, wspace=0.2)
        edges, floor = QUANT_BIN_EDGES, 1e-5
        self._float_hist = ax_hist.stairs(np.full(len(edges) - 1, floor), edges, baseline=floor, color="0.55",
                                          linewidth=1.2, label="float weights")
        self._quant_hist = ax_hist.stairs(np.full(len(edges) - 1, floor), edges, baseline=floor, fill=True,
                                          color="C0", alpha=0.65, label="quantized, dequantized")
        ax_hist.set_yscale("log")
        ax_hist.set_ylim(3e-4, 1.0)
        ax_hist.yaxis.set_minor_locator(NullLocator())
        ax_hist.set_xlim(edges[0], edges[-1])
        ax_hist.set_xlabel("w / max|w| of the layer")
        ax_hist.set_ylabel("fraction of the layer's weights")
        ax_hist.legend(fontsize=8, loc="upper left")
        ax_hist.grid(True, alpha=0.3)
        self._floor = floor

        styles = {("symmetric", "per tensor"): ("C0", "o-"), ("symmetric", "per channel"): ("C0", "s--"),
                  ("affine", "per tensor"): ("C1", "o-"), ("affine", "per channel"): ("C1", "s--")}
        for (scheme, granularity), (color, style) in styles.items():
            curve = self.curves[scheme, granularity]
            ax_acc.plot(curve["bits"], curve["accuracy"], style, color=color, markersize=4,
                        label=f"{scheme}, {granularity}")
        ax_acc.axhline(self.float_accuracy, color="0.5", linestyle=":", linewidth=1)
        ax_acc.text(QUANT_BITS[0], self.float_accuracy + 0.01, "float", fontsize=8, color="0.4")
        ax_acc.set_xlim(QUANT_BITS[0] - 0.3, QUANT_BITS[-1] + 0.3)
        ax_acc.set_ylim(0.0, 1.05)
        ax_acc.set_xlabel("bits per weight")
        ax_acc.set_ylabel("accuracy")
        ax_acc.legend(fontsize=8, loc="lower right")
        ax_acc.grid(True, alpha=0.3)
        ax_acc.set_title("every weight matrix quantized", fontsize=10)
        (self._current,) = ax_acc.plot([], [], "o", color="k", markersize=9, fillstyle="none")
        self._title = fig.text(0.5, 0.935, "", ha="center", va="center", fontsize=10)
        return self._float_hist, self._quant_hist, self._current, self._title

    def compute(self):
        """Quantize a copy of the model with the current settings and evaluate it."""
        return quantization_experiment(self.model, self.bits_slider.value, self.scheme_buttons.value,
                                       self.granularity_buttons.value, self.layer_buttons.value, self.x, self.y)

    def draw(self, data):
        self._float_hist.set_data(np.maximum(data["histogram"], self._floor))
        self._quant_hist.set_data(np.maximum(data["quantized_histogram"], self._floor))
        self._current.set_data([data["bits"]], [data["accuracy"]])
        name = f"W{data['layer'] + 1}"
        self._title.set_text(
            f"{data['bits']}-bit {data['scheme']}, {data['granularity']}: accuracy {data['accuracy']:.1%} "
            f"(float {self.float_accuracy:.1%})\n{name}: {data['levels']} distinct values, max |w - w_hat| "
            f"{data['max_error']:.3g} <= S/2 = {data['half_step']:.3g}; {data['nbytes']} bytes instead of "
            f"{data['float32_nbytes']} (float32)")


def quantization_explorer(bits=4, scheme="symmetric", granularity="per channel", layer=1, model=None, x=None,
                          y=None):
    """Chapter 07's quantization explorer: bits (2 to 8), scheme (symmetric / affine) and scale granularity (per
    tensor / per output unit) for every weight matrix of a trained 2-64-64-3 spirals network
    (``pruning_setup()``, scored on its validation set), or of your own ``model`` with the data to score it on,
    ``x``, ``y`` (a validation set: the explorer compares settings). Shows one layer's
    weight histogram before and after quantization and the accuracy against bits for all four variants.

    Returns a ``QuantizationExplorer`` (an ipywidgets VBox) with ``.bits_slider``, ``.scheme_buttons``,
    ``.granularity_buttons``, ``.layer_buttons``, ``.image`` and the numbers in ``.data``
    (``quantization_experiment``).
    """
    return QuantizationExplorer(bits, scheme, granularity, layer, model, x, y)
