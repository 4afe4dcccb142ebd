"""Chapter 10 (convolutional weights): the filter explorer, an epoch slider through snapshots of a CNN's first layer."""

import ipywidgets as widgets
import matplotlib
import numpy as np

from ..experiments.ch10_convolutional_weights import _check_biases, _check_snapshots, filter_frame
from ..mnist_tools import tile
from ._base import Explorer

__all__ = ["filter_explorer", "FilterExplorer"]


class FilterExplorer(Explorer):
    """An epoch slider through snapshots of the first conv layer, above three panels: the digit; the filters
    (channel 0 of each, red positive, blue negative, one colour scale for every snapshot), in rows of 4; and the
    feature maps of that snapshot, ``relu(conv2d(digit, W) + b)`` as the network computes them, or
    ``relu(conv2d(digit, W))`` when no ``biases`` are given (the panel's title says which; one grey scale per
    map, 0 white), in the same places as their filters.

    ``snapshots`` and ``biases`` are kept by reference, not copied; ``data`` holds the last result of
    ``filter_frame``; ``image.value`` the PNG bytes; ``epoch_slider.value`` is the snapshot's index, its label
    the epoch.
    """

    columns = 4  # filters (and maps) per row

    def __init__(self, snapshots, image, epochs=None, loss=None, index=None, biases=None):
        snapshots = _check_snapshots(snapshots)
        self.biases = _check_biases(biases, snapshots)
        count = len(snapshots)
        epochs = list(range(count)) if epochs is None else [float(e) for e in epochs]
        if len(epochs) != count or (loss is not None and len(loss) != count):
            raise ValueError(f"epochs and loss must have one entry per snapshot ({count})")
        index = count - 1 if index is None else index
        filter_frame(snapshots, index, image, self.biases)  # checks every argument before building anything
        self.snapshots, self.epochs = snapshots, epochs
        self.digit = np.asarray(image).reshape(-1, *np.shape(image)[-2:])
        self.loss = None if loss is None else [float(v) for v in loss]
        options = [(f"{e:.2f}".rstrip("0").rstrip(".") if e % 1 else f"{e:.0f}", i) for i, e in enumerate(epochs)]
        self.epoch_slider = widgets.SelectionSlider(options=options, value=index, description="epoch",
                                                    style={"description_width": "50px"},
                                                    layout=widgets.Layout(width="420px"))
        super().__init__([[self.epoch_slider]], figsize=(11.0, 3.7))

    def build_figure(self, fig):
        last = filter_frame(self.snapshots, len(self.snapshots) - 1, self.digit, self.biases)
        n = len(last["filters"])
        columns = min(n, self.columns)
        ax_digit, ax_filters, ax_maps = fig.subplots(1, 3, width_ratios=(0.9, 2.0, 2.0))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.80, wspace=0.05)
        ax_digit.imshow(self.digit[0], cmap="gray_r")
        ax_digit.set_title("the digit", fontsize=9)
        scale = float(np.abs(np.stack([S[:, 0] for S in self.snapshots])).max()) or 1.0
        cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
        self._filters = ax_filters.imshow(tile(last["filters"], columns), cmap=cmap, vmin=-scale, vmax=scale,
                                          interpolation="nearest")
        ax_filters.set_title(f"the {n} filters (channel 0)\nred +, blue -, scale +-{scale:.2g} at every epoch",
                             fontsize=9)
        grey = matplotlib.colormaps["gray_r"].with_extremes(bad="white")
        self._maps = ax_maps.imshow(tile(self._normalized(last["maps"]), columns), cmap=grey, vmin=0, vmax=1,
                                    interpolation="nearest")
        formula = "relu(conv2d(digit, W) + b)" if self.biases is not None else "relu(conv2d(digit, W)), no bias"
        ax_maps.set_title(f"the feature maps {formula}\neach map on its own scale, 0 white", fontsize=9)
        for ax in (ax_digit, ax_filters, ax_maps):
            ax.set_xticks([])
            ax.set_yticks([])
        self._title = fig.text(0.5, 0.94, "", ha="center", va="center", fontsize=10.5)
        return (self._filters, self._maps, self._title)

    @staticmethod
    def _normalized(maps):
        peak = maps.max(axis=(1, 2), keepdims=True)
        return np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)

    def compute(self):
        """The snapshot of the slider's position."""
        return filter_frame(self.snapshots, self.epoch_slider.value, self.digit, self.biases)

    def draw(self, data):
        columns = min(len(data["filters"]), self.columns)
        self._filters.set_data(tile(data["filters"], columns))
        self._maps.set_data(tile(self._normalized(data["maps"]), columns))
        loss = "" if self.loss is None or np.isnan(self.loss[data["index"]]) else (
            f"training loss since the last snapshot {self.loss[data['index']]:.3f}; ")
        self._title.set_text(f"epoch {self.epochs[data['index']]:.2f}: {loss}filters moved {data['change']:.2f} x "
                             f"their initial norm; L1 norms {data['norms'].min():.2f} to {data['norms'].max():.2f}")


def filter_explorer(snapshots, image, epochs=None, loss=None, index=None, biases=None):
    """Chapter 10's explorer: an epoch slider through snapshots of a CNN's first conv layer (``snapshots[i]``, of
    shape (C_out, C_in, kH, kW), [0] the initial one; ``biases[i]`` its bias (C_out,), ``epochs[i]`` the fraction
    of training done, ``loss[i]`` the training loss since the snapshot before, as ``train_with_snapshots``
    returns them). Shows the filters as images and the feature maps they make of ``image`` (one digit, (H, W) or
    (C_in, H, W)): ``relu(conv2d(image, W) + b)``, or without ``b`` if ``biases`` is None. Starts at the last
    snapshot, or at ``index``.

    Returns a ``FilterExplorer`` (an ipywidgets VBox) with ``.epoch_slider``, ``.image`` and the numbers in
    ``.data`` (``filter_frame``).
    """
    return FilterExplorer(snapshots, image, epochs, loss, index, biases)
