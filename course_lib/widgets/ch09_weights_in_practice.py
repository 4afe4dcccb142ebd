"""Chapter 09 (weights in practice): the importance explorer, a weight's size depends on its feature's units and on
its copies."""

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import NullLocator

from .._checks import as_float, as_int
from ..experiments.ch09_weights_in_practice import IMPORTANCE_MAX_COPIES, IMPORTANCE_SLOTS, importance_experiment
from ._base import Explorer

__all__ = ["importance_explorer", "ImportanceExplorer"]


class ImportanceExplorer(Explorer):
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
        as_int(copies, "copies", 1, IMPORTANCE_MAX_COPIES)
        importance_experiment(scale, copies, n, n_repeats, rng)  # checks the other arguments
        self.n, self.n_repeats, self.rng = n, n_repeats, rng
        style = {"description_width": "110px"}
        self.scale_slider = widgets.FloatLogSlider(value=scale, base=10, min=-2, max=2, step=0.25,
                                                   description="units of x1, x", readout_format=".3g", style=style)
        self.copies_slider = widgets.IntSlider(value=copies, min=1, max=IMPORTANCE_MAX_COPIES,
                                               description="copies of x2", style=style)
        super().__init__([[self.scale_slider, self.copies_slider]], figsize=(11.0, 3.9))

    def build_figure(self, fig):
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
        return (*self._weight_bars, *self._importance_bars, *self._weight_labels, *self._importance_labels,
                self._title)

    @staticmethod
    def _slots(values, copies):
        """Per column of ``importance_experiment``'s result -> per slot of IMPORTANCE_SLOTS (None where the column
        is absent), for ``copies`` copies of x2."""
        out = [None] * len(IMPORTANCE_SLOTS)
        for slot, value in zip([0, *range(1, 1 + copies), 5, 6], values):
            out[slot] = value
        return out

    def compute(self):
        """Refit the model for the current units and copies and measure the importance."""
        return importance_experiment(self.scale_slider.value, self.copies_slider.value, self.n, self.n_repeats,
                                     self.rng)

    def draw(self, data):
        low, high = self.WEIGHT_RANGE
        copies = data["copies"]
        for bar, label, w in zip(self._weight_bars, self._weight_labels, self._slots(data["weights"], copies)):
            size = low if w is None else float(np.clip(abs(w), low, high))
            bar.set_height(size - low)
            label.set_position((label.get_position()[0], size))
            label.set_text("" if w is None else f"{abs(w):.3g}")
        values = [*self._slots(data["importance"], copies), data["group_importance"]]
        for bar, label, v in zip(self._importance_bars, self._importance_labels, values):
            height = 0.0 if v is None else float(np.clip(v, 0.0, 0.35))
            bar.set_height(height)
            label.set_position((label.get_position()[0], height))
            label.set_text("" if v is None else f"{v:.3f}")
        w1, scale = data["weights"][0], data["scale"]
        self._title.set_text(  # short: text is the slowest thing to draw
            f"x1 x {scale:.3g}: w1 {w1:.3g}, w1 x {scale:.3g} = {w1 * scale:.3g};  x2 in {copies} column"
            f"{'s' if copies > 1 else ''};  accuracy {data['accuracy']:.1%};  same predictions "
            f"{data['same_predictions']:.0%}")


def importance_explorer(scale=1.0, copies=1, n=2000, n_repeats=5, rng=0):
    """Chapter 09's explorer: change the units of feature x1 (a log slider, x 0.01 to x 100) and the number of
    identical copies of feature x2 (1 to 4) of a synthetic task, refit a logistic regression exactly, and compare
    |weight| (which follows the units and splits among copies) with permutation importance (which ignores the units;
    for copies, shuffle them together). Each move refits and re-measures (a few milliseconds).

    Returns an ``ImportanceExplorer`` (an ipywidgets VBox) with ``.scale_slider``, ``.copies_slider``, ``.image``
    and the numbers in ``.data`` (``importance_experiment``).
    """
    return ImportanceExplorer(scale, copies, n, n_repeats, rng)
