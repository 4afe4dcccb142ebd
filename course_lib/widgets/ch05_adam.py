"""Chapter 05 (Adam): the optimizer explorer, five optimizers on one surface."""

import ipywidgets as widgets
import numpy as np

from ..experiments.ch05_adam import RACE_SCALES, optimizer_race
from ._base import Explorer, contours, loss_axis

__all__ = ["optimizer_explorer", "OptimizerExplorer"]


class OptimizerExplorer(Explorer):
    """Sliders for lr, beta1 and beta2; left, five optimizers' paths on the contours; right, their losses."""

    COLORS = {"SGD": "C0", "momentum": "C1", "Nesterov": "C2", "RMSprop": "C4", "Adam": "C3"}

    def __init__(self, lr=0.05, beta1=0.9, beta2=0.999, steps=60):
        style = {"description_width": "90px"}
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                                description="learning rate", readout_format=".3g", style=style)
        self.beta1_slider = widgets.FloatSlider(value=beta1, min=0.0, max=0.99, step=0.01, description="beta1",
                                                style=style)
        self.beta2_slider = widgets.FloatSlider(value=beta2, min=0.5, max=0.999, step=0.001, description="beta2",
                                                readout_format=".3f", style=style)
        self.steps = steps
        super().__init__([[self.lr_slider, self.beta1_slider, self.beta2_slider]], figsize=(9.0, 3.8))

    def build_figure(self, fig):
        ax_path, ax_loss = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.86, wspace=0.25)
        grid = np.linspace(-3, 3, 121)
        w1, w2 = np.meshgrid(grid, grid)
        surface = 0.5 * (w1**2 + RACE_SCALES[1] * w2**2)
        contours(ax_path, w1, w2, surface, np.geomspace(0.01, surface.max(), 12), (-3, 3, -3, 3),
                 "f(w) = (w1^2 + 25 w2^2) / 2", cmap="Greys", linewidth=0.7)
        ax_path.plot(0, 0, "k*", markersize=10)
        ax_path.set_aspect("equal")
        loss_axis(ax_loss, self.steps, 1e-8, 1e4)
        self._paths, self._losses = {}, {}
        for name, color in self.COLORS.items():
            (self._paths[name],) = ax_path.plot([], [], "o-", color=color, markersize=2, linewidth=1, label=name)
            (self._losses[name],) = ax_loss.plot([], [], "-", color=color, label=name)
        ax_loss.legend(fontsize=8, loc="lower left", ncols=2)
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=10)
        return (*self._paths.values(), *self._losses.values(), self._title)

    def compute(self):
        return optimizer_race(self.lr_slider.value, self.beta1_slider.value, self.beta2_slider.value, self.steps)

    def draw(self, data):
        for name, run in data.items():
            self._paths[name].set_data(run["path"][:, 0], run["path"][:, 1])
            self._losses[name].set_data(np.arange(len(run["loss"])), np.clip(run["loss"], 1e-8, 1e4))
        final = ", ".join(f"{name} {run['loss'][-1]:.1e}" for name, run in data.items())
        self._title.set_text(f"loss after {self.steps} steps: {final}")


def optimizer_explorer(lr=0.05, beta1=0.9, beta2=0.999, steps=60):
    """Chapter 05's explorer: SGD, momentum, Nesterov, RMSprop and Adam side by side on one surface, with
    sliders for the learning rate, beta1 (momentum, Adam's first moment) and beta2 (RMSprop's alpha, Adam's
    second moment). The numbers are in ``.data`` (``optimizer_race``)."""
    return OptimizerExplorer(lr, beta1, beta2, steps)
