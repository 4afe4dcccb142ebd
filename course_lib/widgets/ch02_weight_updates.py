"""Chapter 02 (weight updates): the learning-rate explorer, gradient descent on a two-parameter regression."""

import ipywidgets as widgets
import numpy as np

from ..experiments.ch02_weight_updates import _lr_problem, lr_experiment
from ._base import Explorer, contours, loss_axis

__all__ = ["lr_explorer", "LrExplorer"]


class LrExplorer(Explorer):
    """A log-scale learning-rate slider; left, the (w, b) trajectory on the loss contours; right, the loss curve."""

    def __init__(self, lr=0.05, steps=40):
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                                description="learning rate", readout_format=".3g",
                                                style={"description_width": "100px"},
                                                layout=widgets.Layout(width="500px"))
        self.steps = steps
        super().__init__([[self.lr_slider]], figsize=(9.0, 3.6))

    def build_figure(self, fig):
        ax_path, ax_loss = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        features, y, _ = _lr_problem()
        w_grid, b_grid = np.meshgrid(np.linspace(-3, 5, 121), np.linspace(-5, 4, 121))
        thetas = np.stack([w_grid.ravel(), b_grid.ravel()])
        surface = np.mean((features @ thetas - y[:, None]) ** 2, axis=0).reshape(w_grid.shape)
        contours(ax_path, w_grid, b_grid, surface, np.geomspace(surface.min() + 0.05, surface.max(), 14),
                 (-3, 5, -5, 4), "gradient descent on the loss surface")
        best = np.linalg.lstsq(features, y, rcond=None)[0]
        ax_path.plot(*best, "k*", markersize=10)
        ax_path.set_xlabel("weight w")
        ax_path.set_ylabel("bias b")
        loss_axis(ax_loss, self.steps, 1e-2, 1e4, "loss (MSE)")
        ax_loss.axhline(float(np.mean((features @ best - y) ** 2)), color="gray", linewidth=0.8, linestyle=":")
        (self._path,) = ax_path.plot([], [], "o-", color="C3", markersize=3, linewidth=1)
        (self._loss,) = ax_loss.plot([], [], "o-", color="C3", markersize=3)
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=11)
        return (self._path, self._loss, self._title)

    def compute(self):
        return lr_experiment(self.lr_slider.value, self.steps)

    def draw(self, data):
        trajectory, loss = data["trajectory"], data["loss"]
        self._path.set_data(trajectory[:, 0], trajectory[:, 1])
        self._loss.set_data(np.arange(len(loss)), np.clip(loss, 1e-2, 1e4))
        self._title.set_text(f"lr = {self.lr_slider.value:.3g}: {data['verdict']}   "
                             f"(stable below {data['lr_max']:.3g}, fastest at {data['lr_best']:.3g})")


def lr_explorer(lr=0.05, steps=40):
    """Chapter 02's explorer: a learning-rate slider (log scale, 0.001 to 1) for gradient descent on a
    two-parameter regression, showing the path on the loss contours and the loss curve, with a verdict:
    too small, good, too large (oscillates) or divergent. The numbers are in ``.data`` (``lr_experiment``)."""
    return LrExplorer(lr, steps)
