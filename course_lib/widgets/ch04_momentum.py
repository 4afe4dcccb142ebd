"""Chapter 04 (momentum): the momentum explorer, the heavy ball and Nesterov on an ill-conditioned quadratic."""

import ipywidgets as widgets
import numpy as np

from ..experiments.ch04_momentum import momentum_experiment
from ._base import Explorer, loss_axis

__all__ = ["momentum_explorer", "MomentumExplorer"]

LIMIT_FORMULA = {"heavy ball": "2 + 2 beta", "Nesterov": "(2 + 2 beta)/(1 + 2 beta)", "gradient descent": "2"}


class MomentumExplorer(Explorer):
    """Learning-rate (log), momentum and condition-number (log) sliders and a Nesterov switch; left, the path
    on the contours; right, the loss curve (the first ``steps`` steps). The title says whether the method
    converges, by its own stability region, with the rate measured over the second half of a 1000-step run
    (``momentum_experiment``) beside the theory's."""

    def __init__(self, lr=0.05, momentum=0.0, steps=60, condition_number=10.0, nesterov=False):
        style = {"description_width": "100px"}
        self.lr_slider = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0, step=0.05,
                                                description="learning rate", readout_format=".3g", style=style)
        self.momentum_slider = widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01,
                                                   description="momentum", style=style)
        self.nesterov_checkbox = widgets.Checkbox(value=nesterov, description="Nesterov")
        self.condition_slider = widgets.FloatLogSlider(value=condition_number, base=10, min=0, max=3, step=0.1,
                                                       description="condition number", readout_format=".3g",
                                                       style=style)
        self.steps = steps
        self._contours, self._contour_kappa = None, None
        super().__init__([[self.lr_slider, self.momentum_slider, self.nesterov_checkbox], [self.condition_slider]],
                         figsize=(9.0, 3.6))

    def build_figure(self, fig):
        self._ax_path, ax_loss = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        self._ax_path.set_xlim(-3, 3)
        self._ax_path.set_ylim(-3, 3)
        self._ax_path.plot(0, 0, "k*", markersize=10)
        self._ax_path.set_aspect("equal")
        loss_axis(ax_loss, self.steps, 1e-8, 1e3)
        (self._path,) = self._ax_path.plot([], [], "o-", color="C3", markersize=2.5, linewidth=1)
        (self._loss,) = ax_loss.plot([], [], "-", color="C3")
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=10)
        return (self._path, self._loss, self._title)

    def _draw_contours(self, A, kappa):
        """The contours of the current quadratic, a static part: drawn again (and the background with them)
        only when the condition number changes."""
        if self._contours is not None:
            self._contours.remove()
        grid = np.linspace(-3, 3, 121)
        w1, w2 = np.meshgrid(grid, grid)
        points = np.stack([w1.ravel(), w2.ravel()], axis=1)
        surface = 0.5 * np.einsum("ni,ij,nj->n", points, A, points).reshape(w1.shape)
        self._contours = self._ax_path.contour(w1, w2, surface, levels=np.geomspace(0.01, surface.max(), 12),
                                               cmap="viridis", linewidths=0.8)
        self._ax_path.set_title(f"f(w) = w.A.w / 2, condition number {kappa:.3g}", fontsize=10)
        self._contour_kappa = kappa
        self._figure.invalidate()

    def compute(self):
        return momentum_experiment(self.lr_slider.value, self.momentum_slider.value, self.steps,
                                   self.condition_slider.value, self.nesterov_checkbox.value)

    def draw(self, data):
        if self._contour_kappa != self.condition_slider.value:
            self._draw_contours(data["A"], self.condition_slider.value)
        path, loss = data["path"], data["loss"]
        self._path.set_data(path[:, 0], path[:, 1])
        self._loss.set_data(np.arange(len(loss)), np.clip(np.nan_to_num(loss, nan=1e3, posinf=1e3), 1e-8, 1e3))
        method, lr_L = data["method"], self.lr_slider.value * data["L"]
        theory, window = data["direction_rates"].max(), data["rate_window"]
        if data["stable"] and window is None:
            verdict = f"converges, at the minimum within a few steps (theory rate {theory:.3f})"
        elif data["stable"] and data["rate"] < 1:
            verdict = (f"converges, rate {data['rate']:.3f} per step over steps {window[0]}-{window[1]} "
                       f"(theory {theory:.3f})")
        elif data["stable"]:  # a slow swing: the distance at the window's end is near a peak of its oscillation
            verdict = (f"converges (theory {theory:.3f}), still swinging over steps {window[0]}-{window[1]}: "
                       f"{data['rate']:.3f} per step")
        else:
            verdict = f"diverges: lr L = {lr_L:.3g} >= {LIMIT_FORMULA[method]} = {data['limit']:.3g}"
        self._title.set_text(f"{method}, lr {self.lr_slider.value:.3g}, momentum {self.momentum_slider.value:.2f}: "
                             f"{verdict}")


def momentum_explorer(lr=0.05, momentum=0.0, steps=60, condition_number=10.0, nesterov=False):
    """Chapter 04's explorer: gradient descent with momentum on an ill-conditioned quadratic (largest eigenvalue
    L = 10, smallest L / condition number). Sliders for the learning rate, the momentum and the condition number,
    a Nesterov switch; the numbers are in ``.data``."""
    return MomentumExplorer(lr, momentum, steps, condition_number, nesterov)
