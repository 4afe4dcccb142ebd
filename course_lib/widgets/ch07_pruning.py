"""Chapter 07 (pruning): the pruning explorer, a sparsity slider on a trained network."""

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.colors import PowerNorm

from .._checks import as_float, choose
from ..experiments.ch07_pruning import (
    PRUNING_SCOPES,
    PRUNING_SPARSITIES,
    _pruning_inputs,
    pruning_curve,
    pruning_experiment,
)
from ._base import Explorer

__all__ = ["pruning_explorer", "PruningExplorer"]


class PruningExplorer(Explorer):
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
        super().__init__([[self.scope_buttons, self.sparsity_slider]], figsize=(11.5, 4.0))

    def build_figure(self, fig):
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
            f"{scope} pruning to {sparsity:.0%}: accuracy {data['accuracy']:.1%} (unpruned "
            f"{self.dense_accuracy:.1%}); {data['n_nonzero']} of {data['n_weights']} weights left "
            f"({layers} pruned)")


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
