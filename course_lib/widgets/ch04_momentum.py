"""Chapter 04 (momentum): the momentum explorer, the heavy ball on an ill-conditioned quadratic."""

import ipywidgets as widgets
import numpy as np

from ..experiments.ch04_momentum import momentum_experiment
from ._base import Explorer, contours, loss_axis

__all__ = ["momentum_explorer", "MomentumExplorer"]


class MomentumExplorer(Explorer):
    """Learning-rate (log) and momentum sliders; left, the path on the contours; right, the loss curve."""

    def __init__(self, lr=0.05, momentum=0.0, steps=60, condition_number=10.0):
        style = {"description_width": "100px"}
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                                description="learning rate", readout_format=".3g", style=style)
        self.momentum_slider = widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                                                   description="momentum", style=style)
        self.nesterov_checkbox = widgets.Checkbox(value=False, description="Nesterov")
        self.steps, self.condition_number = steps, condition_number
        super().__init__([[self.lr_slider, self.momentum_slider, self.nesterov_checkbox]], figsize=(9.0, 3.6))

    def build_figure(self, fig):
        ax_path, ax_loss = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        A = momentum_experiment(self.lr_slider.value, 0.0, 1, self.condition_number)["A"]
        grid = np.linspace(-3, 3, 121)
        w1, w2 = np.meshgrid(grid, grid)
        points = np.stack([w1.ravel(), w2.ravel()], axis=1)
        surface = 0.5 * np.einsum("ni,ij,nj->n", points, A, points).reshape(w1.shape)
        contours(ax_path, w1, w2, surface, np.geomspace(0.01, surface.max(), 12), (-3, 3, -3, 3),
                 f"f(w) = w.A.w / 2, condition number {self.condition_number:g}")
        ax_path.plot(0, 0, "k*", markersize=10)
        ax_path.set_aspect("equal")
        loss_axis(ax_loss, self.steps, 1e-8, 1e3)
        (self._path,) = ax_path.plot([], [], "o-", color="C3", markersize=2.5, linewidth=1)
        (self._loss,) = ax_loss.plot([], [], "-", color="C3")
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=11)
        return (self._path, self._loss, self._title)

    def compute(self):
        return momentum_experiment(self.lr_slider.value, self.momentum_slider.value, self.steps,
                                   self.condition_number, self.nesterov_checkbox.value)

    def draw(self, data):
        path, loss = data["path"], data["loss"]
        self._path.set_data(path[:, 0], path[:, 1])
        self._loss.set_data(np.arange(len(loss)), np.clip(np.nan_to_num(loss, nan=1e3, posinf=1e3), 1e-8, 1e3))
        verdict = f"rate {data['rate']:.3f} per step" if data["stable"] else "unstable: lr * L > 2 + 2 momentum"
        self._title.set_text(f"lr {self.lr_slider.value:.3g}, momentum {self.momentum_slider.value:.2f}: {verdict}")


def momentum_explorer(lr=0.05, momentum=0.0, steps=60, condition_number=10.0):
    """Chapter 04's explorer: gradient descent with momentum on an ill-conditioned quadratic. Sliders
    for the learning rate and the momentum, a Nesterov switch; the numbers are in ``.data``."""
    return MomentumExplorer(lr, momentum, steps, condition_number)
