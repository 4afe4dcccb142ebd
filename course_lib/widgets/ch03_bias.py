"""Chapter 03 (bias): the bias explorer, one sigmoid neuron with two inputs."""

import ipywidgets as widgets
import numpy as np

from ..experiments.ch03_bias import neuron_2d
from ..nn import sigmoid
from ._base import Explorer

__all__ = ["bias_explorer", "BiasExplorer"]


class BiasExplorer(Explorer):
    """Sliders for w1, w2 and b of one sigmoid neuron; left, the data and the decision line; right,
    each example's activation on the sigmoid curve."""

    def __init__(self, x, y, w1=1.0, w2=1.0, b=0.0):
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y)
        style = {"description_width": "40px"}
        self.w1_slider = widgets.FloatSlider(value=w1, min=-3, max=3, step=0.1, description="w1", style=style)
        self.w2_slider = widgets.FloatSlider(value=w2, min=-3, max=3, step=0.1, description="w2", style=style)
        self.b_slider = widgets.FloatSlider(value=b, min=-12, max=12, step=0.25, description="bias b", style=style)
        super().__init__([[self.w1_slider, self.w2_slider, self.b_slider]], figsize=(9.0, 3.6))

    def build_figure(self, fig):
        ax_data, ax_act = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        colors = np.where(self.y == 1, "C1", "C0")
        ax_data.scatter(self.x[:, 0], self.x[:, 1], c=colors, s=10)
        ax_data.plot(0, 0, "k+", markersize=12)
        reach = np.abs(self.x).max() * 1.1
        ax_data.set_xlim(-reach, reach)
        ax_data.set_ylim(-reach, reach)
        ax_data.set_aspect("equal")
        ax_data.set_xlabel("x1")
        ax_data.set_ylabel("x2")
        ax_data.set_title("data, origin (+) and decision line w.x + b = 0", fontsize=10)
        grid = np.linspace(-8, 8, 200)
        ax_act.plot(grid, sigmoid(grid), color="gray")
        ax_act.set_xlim(-8, 8)
        ax_act.set_ylim(-0.05, 1.05)
        ax_act.set_xlabel("z = w.x + b")
        ax_act.set_ylabel("a = sigmoid(z)")
        ax_act.set_title("each example on the activation curve", fontsize=10)
        (self._line,) = ax_data.plot([], [], color="k", linewidth=1.5)
        self._points = ax_act.scatter(np.zeros(len(self.y)), np.zeros(len(self.y)), c=colors, s=8)
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=11)
        return (self._line, self._points, self._title)

    def compute(self):
        return neuron_2d(self.w1_slider.value, self.w2_slider.value, self.b_slider.value, self.x, self.y)

    def draw(self, data):
        line = data["line"]
        self._line.set_data(([], []) if line is None else (line[:, 0], line[:, 1]))
        self._points.set_offsets(np.column_stack([np.clip(data["z"], -8, 8), data["a"]]))
        distance = data["distance_from_origin"]
        where = "" if distance is None else f", line at distance {distance:.2f} from the origin"
        self._title.set_text(f"accuracy {data['accuracy']:.0%}{where}")


def bias_explorer(x=None, y=None, w1=1.0, w2=1.0, b=0.0):
    """Chapter 03's explorer: one sigmoid neuron on 2-D data (default: ``shifted_blobs``, whose boundary
    is far from the origin). Move w1, w2 and b: the weights turn the decision line, the bias moves it."""
    if x is None or y is None:
        from ..data import shifted_blobs

        x, y = shifted_blobs(n=200, rng=0)
    return BiasExplorer(x, y, w1, w2, b)
