"""Chapter 08 (MNIST): the first-layer explorer, an epoch slider through saved snapshots of an MNIST MLP's W1."""

import ipywidgets as widgets
import matplotlib
import numpy as np
from matplotlib.ticker import NullLocator

from ..experiments.ch08_mnist import _check_snapshots, first_layer_frame
from ._base import Explorer

__all__ = ["first_layer_explorer", "FirstLayerExplorer"]


class FirstLayerExplorer(Explorer):
    """An epoch slider through saved snapshots of W1 above two panels: left, the incoming weights of the first
    ``units`` hidden units as images (red positive, blue negative, one colour scale for every epoch); right,
    the histogram of all of W1 at that epoch (log scale) over the initial one (grey) and the last one (dashed).

    ``snapshots`` are kept by reference, not copied; ``data`` holds the last result of ``first_layer_frame``;
    ``image.value`` the PNG bytes.
    """

    def __init__(self, snapshots, epoch=None, units=32, accuracy=None, accuracy_label="test accuracy"):
        snapshots, _ = _check_snapshots(snapshots)
        if not isinstance(accuracy_label, str) or not accuracy_label:
            raise TypeError(f"accuracy_label must be a non-empty str, got {accuracy_label!r}")
        epoch = len(snapshots) - 1 if epoch is None else epoch
        first_layer_frame(snapshots, epoch, units, accuracy)  # checks every argument before building anything
        self.snapshots, self.units, self.accuracy = snapshots, units, accuracy
        self.accuracy_label = accuracy_label
        self.epoch_slider = widgets.IntSlider(value=epoch, min=0, max=len(snapshots) - 1, step=1,
                                              description="epoch", style={"description_width": "50px"},
                                              layout=widgets.Layout(width="420px"))
        super().__init__([[self.epoch_slider]], figsize=(11.0, 4.0))

    def build_figure(self, fig):
        first = first_layer_frame(self.snapshots, 0, self.units)
        last = first_layer_frame(self.snapshots, len(self.snapshots) - 1, self.units)
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
        return (self._tiles, self._hist, self._title)

    def compute(self):
        """The snapshot of the slider's epoch."""
        return first_layer_frame(self.snapshots, self.epoch_slider.value, self.units, self.accuracy)

    def draw(self, data):
        self._tiles.set_data(data["tiled"])
        counts = np.maximum(data["counts"], 0.5)
        self._hist.set_ydata(np.append(counts, counts[-1]))
        accuracy = "" if data["accuracy"] is None else f"{self.accuracy_label} {data['accuracy']:.1%}; "
        self._title.set_text(
            f"epoch {data['epoch']}: {accuracy}W1 std {data['std']:.3f}, moved "
            f"{data['change']:.2f} x its initial norm, {data['unchanged_fraction']:.1%} of it never moved")


def first_layer_explorer(snapshots, epoch=None, units=32, accuracy=None, accuracy_label="test accuracy"):
    """Chapter 08's explorer: an epoch slider through snapshots of the first layer's weights of an MNIST MLP
    (``snapshots[e]``: W1 after epoch e, ``snapshots[0]`` the initial one; fan_in 784 = 28 x 28). Shows the
    incoming weights of the first ``units`` hidden units as 28 x 28 images and the histogram of all of W1,
    with the ``accuracy`` of each epoch in the title if given, named ``accuracy_label`` there (chapter 08 passes
    the validation accuracy and "validation accuracy"). Starts at the last epoch.

    Returns a ``FirstLayerExplorer`` (an ipywidgets VBox) with ``.epoch_slider``, ``.image`` and the numbers
    in ``.data`` (``first_layer_frame``).
    """
    return FirstLayerExplorer(snapshots, epoch, units, accuracy, accuracy_label)
