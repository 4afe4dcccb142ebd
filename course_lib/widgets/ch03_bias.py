"""Chapter 03 (bias): the bias explorer, one neuron (sigmoid or ReLU) with two inputs."""

import ipywidgets as widgets
import numpy as np

from ..experiments.ch03_bias import NEURON_ACTIVATIONS, neuron_2d
from ..nn import ACTIVATIONS
from ._base import Explorer

__all__ = ["bias_explorer", "BiasExplorer"]

Z_LIMIT = 8.0  # the activation panel shows z in [-8, 8]; examples beyond are drawn at its edge
REGION_PIXELS = 120  # the shaded side z > 0 is drawn on a grid of this many points per axis
CURVE_LIMITS = {"sigmoid": ((-0.05, 1.05), "a = sigmoid(z)"), "relu": ((-0.4, Z_LIMIT + 0.4), "a = relu(z)")}


class BiasExplorer(Explorer):
    """Sliders for w1, w2 and b of one neuron and a choice of its activation; left, the data, the line
    w.x + b = 0 and its side z > 0 (shaded); right, each example on the activation curve.

    For the sigmoid the line is the decision line; for ReLU it is the kink, and the shaded side is where the unit
    is active: there it passes its input and its gradient, elsewhere it outputs 0 and passes no gradient."""

    def __init__(self, x, y, w1=1.0, w2=1.0, b=0.0, activation="sigmoid"):
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y)
        style = {"description_width": "40px"}
        self.w1_slider = widgets.FloatSlider(value=w1, min=-3, max=3, step=0.1, description="w1", style=style)
        self.w2_slider = widgets.FloatSlider(value=w2, min=-3, max=3, step=0.1, description="w2", style=style)
        self.b_slider = widgets.FloatSlider(value=b, min=-12, max=12, step=0.25, description="bias b", style=style)
        self.activation_dropdown = widgets.Dropdown(options=list(NEURON_ACTIVATIONS), value=activation,
                                                    description="f", style=style)
        self._shown_activation = None
        super().__init__([[self.w1_slider, self.w2_slider, self.b_slider], [self.activation_dropdown]],
                         figsize=(9.0, 3.6))

    def build_figure(self, fig):
        ax_data, self._ax_act = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.25)
        colors = np.where(self.y == 1, "C1", "C0")
        reach = np.abs(self.x).max() * 1.1
        grid = np.linspace(-reach, reach, REGION_PIXELS)
        self._grid = np.stack(np.meshgrid(grid, grid), axis=-1)  # (row = x2, column = x1, 2)
        self._region = ax_data.imshow(np.zeros((REGION_PIXELS, REGION_PIXELS)), extent=(-reach, reach, -reach, reach),
                                      origin="lower", cmap="Greys", vmin=0, vmax=5, interpolation="nearest")
        data_points = ax_data.scatter(self.x[:, 0], self.x[:, 1], c=colors, s=10)
        ax_data.plot(0, 0, "k+", markersize=12)
        ax_data.set_xlim(-reach, reach)
        ax_data.set_ylim(-reach, reach)
        ax_data.set_aspect("equal")
        ax_data.set_xlabel("x1")
        ax_data.set_ylabel("x2")
        ax_data.set_title("data, origin (+), line w.x + b = 0, side z > 0 shaded", fontsize=10)
        self._z_grid = np.linspace(-Z_LIMIT, Z_LIMIT, 321)
        (self._curve,) = self._ax_act.plot(self._z_grid, np.zeros_like(self._z_grid), color="gray")
        self._ax_act.axvline(0.0, color="gray", linewidth=0.5, linestyle=":")
        self._ax_act.set_xlim(-Z_LIMIT, Z_LIMIT)
        self._ax_act.set_xlabel("z = w.x + b")
        self._ax_act.set_title("each example on the activation curve", fontsize=10)
        self._show_activation(self.activation_dropdown.value)
        (self._line,) = ax_data.plot([], [], color="k", linewidth=1.5)
        self._points = self._ax_act.scatter(np.zeros(len(self.y)), np.zeros(len(self.y)), c=colors, s=8)
        self._title = fig.text(0.5, 0.96, "", ha="center", va="center", fontsize=11)
        # the shading first, then the data on top of it (so the data are dynamic too, though they never move)
        return (self._region, data_points, self._line, self._points, self._title)

    def _show_activation(self, activation):
        """The activation curve and its axis, static parts: redrawn (with the background) when f changes."""
        f, _ = ACTIVATIONS[activation]
        limits, label = CURVE_LIMITS[activation]
        self._curve.set_ydata(f(self._z_grid))
        self._ax_act.set_ylim(*limits)
        self._ax_act.set_ylabel(label)
        self._shown_activation = activation

    def compute(self):
        return neuron_2d(self.w1_slider.value, self.w2_slider.value, self.b_slider.value, self.x, self.y,
                         activation=self.activation_dropdown.value)

    def draw(self, data):
        activation = self.activation_dropdown.value
        if activation != self._shown_activation:
            self._show_activation(activation)
            self._figure.invalidate()
        w = np.array([self.w1_slider.value, self.w2_slider.value])
        self._region.set_data((self._grid @ w + self.b_slider.value > 0).astype(float))
        line = data["line"]
        self._line.set_data(([], []) if line is None else (line[:, 0], line[:, 1]))
        f, _ = ACTIVATIONS[activation]
        z_shown = np.clip(data["z"], -Z_LIMIT, Z_LIMIT)
        self._points.set_offsets(np.column_stack([z_shown, f(z_shown)]))
        distance = data["distance_from_origin"]
        if activation == "sigmoid":
            where = "" if distance is None else f", line at distance {distance:.2f} from the origin"
            self._title.set_text(f"accuracy {data['accuracy']:.0%}{where}")
        elif data["active_fraction"] == 0:
            self._title.set_text("dead: z <= 0 on every example, so the unit outputs 0 and no gradient reaches w or b")
        else:
            where = "" if distance is None else f", kink at distance {distance:.2f} from the origin"
            active, total = int(np.sum(data["z"] > 0)), len(data["z"])
            self._title.set_text(f"active (z > 0) on {active} of {total} examples ({_percent(active, total)}){where}")


def _percent(part, total):
    """``part / total`` as a whole percentage that reads 0% or 100% only when it is exactly that: else "<1%", ">99%"."""
    rounded = f"{part / total:.0%}"
    if rounded == "0%" and part > 0:
        return "<1%"
    if rounded == "100%" and part < total:
        return ">99%"
    return rounded


def bias_explorer(x=None, y=None, w1=1.0, w2=1.0, b=0.0, activation="sigmoid"):
    """Chapter 03's explorer: one neuron, sigmoid or ReLU (``activation``), on 2-D data (default:
    ``shifted_blobs``, whose boundary is far from the origin). Move w1, w2 and b: the weights turn the line
    w.x + b = 0, the bias moves it; for a ReLU unit the line is its kink and the shaded side where it is active.

    Returns a ``BiasExplorer`` with ``.w1_slider``, ``.w2_slider``, ``.b_slider``, ``.activation_dropdown``,
    ``.image`` and the numbers in ``.data`` (``neuron_2d``'s dict).
    """
    if x is None or y is None:
        from ..data import shifted_blobs

        x, y = shifted_blobs(n=200, rng=0)
    return BiasExplorer(x, y, w1, w2, b, activation)
