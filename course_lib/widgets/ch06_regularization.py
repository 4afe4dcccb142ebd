"""Chapter 06 (regularization): the regularization explorer, an over-sized network on little data with an L1 or L2
penalty."""

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import NullLocator

from .._checks import as_float, choose
from ..experiments._common import _histogram, _seed_of
from ..experiments.ch06_regularization import (
    NEAR_ZERO,
    REGULARIZATION_KINDS,
    REGULARIZATION_STRENGTHS,
    WEIGHT_BIN_EDGES,
    regularization_curve,
    regularization_experiment,
)
from ._base import Explorer

__all__ = ["regularization_explorer", "RegularizationExplorer"]


def _strength_label(strength):
    return "0" if strength == 0 else f"{strength:.0e}".replace("e-0", "e-").replace("e+00", "")


class RegularizationExplorer(Explorer):
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
        self.curves = {}  # kind -> regularization_curve(kind), made the first time the kind is shown
        super().__init__([[self.kind_buttons, self.strength_slider]], figsize=(11.5, 3.7))

    def build_figure(self, fig):
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
        return (self._map, self._points, self._hist, self._gap, self._train_line, self._val_line,
                self._marker, self._current, self._acc_title, self._title)

    def compute(self):
        """Look up (or train) the network for the current penalty and strength, and its penalty's accuracy curve."""
        kind = self.kind_buttons.value
        data = regularization_experiment(kind, self.strength_slider.value, **self.settings)
        if kind not in self.curves:
            self.curves[kind] = regularization_curve(kind, **self.settings)
        return data

    def draw(self, data):
        kind, strength = self.kind_buttons.value, self.strength_slider.value
        curve = self.curves[kind]
        positions = np.arange(len(REGULARIZATION_STRENGTHS))
        index = REGULARIZATION_STRENGTHS.index(strength)
        self._map.set_data(data["grid_probability"])
        self._hist.set_data(np.maximum(data["weight_counts"], 0.8))
        self._train_line.set_data(positions, curve["train_accuracy"])
        self._val_line.set_data(positions, curve["val_accuracy"])
        self._gap.set_paths([np.column_stack([np.r_[positions, positions[::-1]],
                                              np.r_[curve["train_accuracy"], curve["val_accuracy"][::-1]]])])
        self._marker.set_xdata([index, index])
        self._current.set_data([index, index], [data["train_accuracy"], data["val_accuracy"]])
        self._acc_title.set_text(f"{kind}: accuracy against penalty strength")
        self._title.set_text(
            f"{kind} strength {_strength_label(strength)}: train {data['train_accuracy']:.1%}, validation "
            f"{data['val_accuracy']:.1%}, gap {100 * data['gap']:.1f} points;  {data['near_zero_fraction']:.0%} "
            f"of the weights have |w| < {NEAR_ZERO:g}")


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
