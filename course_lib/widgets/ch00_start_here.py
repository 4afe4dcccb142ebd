"""Chapter 00 (start here): the neuron explorer, one input, one weight, one bias."""

import ipywidgets as widgets

from ..experiments.ch00_start_here import neuron_curve
from ..nn import ACTIVATIONS
from ._base import Explorer

__all__ = ["neuron_explorer", "NeuronExplorer"]


class NeuronExplorer(Explorer):
    """Weight and bias sliders and an activation dropdown for one neuron; the plot shows z and a = f(z)."""

    def __init__(self, weight=1.0, bias=0.0, activation="relu"):
        self.weight_slider = widgets.FloatSlider(value=weight, min=-3, max=3, step=0.1, description="weight w")
        self.bias_slider = widgets.FloatSlider(value=bias, min=-3, max=3, step=0.1, description="bias b")
        self.activation_dropdown = widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                                    description="activation")
        super().__init__([[self.weight_slider, self.bias_slider, self.activation_dropdown]], figsize=(5.5, 3.2))

    def build_figure(self, fig):
        self.fig = fig
        self.ax = fig.subplots()
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.88)
        (self.z_line,) = self.ax.plot([], [], "--", color="gray", label="z = w x + b")
        (self.a_line,) = self.ax.plot([], [], color="C0", linewidth=2, label="a = f(z)")
        self.threshold_line = self.ax.axvline(0.0, color="C3", linewidth=1, label="z = 0")
        self.ax.set_xlim(-3, 3)
        self.ax.set_ylim(-3, 3)
        self.ax.set_xlabel("input x")
        self.ax.grid(True, alpha=0.3)
        legend = self.ax.legend(loc="upper left", fontsize=8)
        # y=1.0 fixes the title's place (where matplotlib would put it): left to itself, matplotlib places a title
        # anew at each full draw, and misplaces it while it is hidden for drawing the background
        self._title = self.ax.set_title("", fontsize=10, y=1.0)
        # the legend is drawn again after the curves, so that it stays on top of them
        return (self.z_line, self.a_line, self.threshold_line, legend, self._title)

    def compute(self):
        return neuron_curve(self.weight_slider.value, self.bias_slider.value, self.activation_dropdown.value)

    def draw(self, data):
        self.z_line.set_data(data["x"], data["z"])
        self.a_line.set_data(data["x"], data["a"])
        threshold = data["threshold"]
        self.threshold_line.set_visible(threshold is not None and abs(threshold) <= 3)
        if threshold is not None:
            self.threshold_line.set_xdata([threshold, threshold])
        where = "never 0" if threshold is None else f"0 at x = {threshold:.2f}"
        self._title.set_text(f"a = {self.activation_dropdown.value}({self.weight_slider.value:.1f} x "
                             f"+ {self.bias_slider.value:.1f});  z is {where}")


def neuron_explorer(weight=1.0, bias=0.0, activation="relu"):
    """Chapter 00's explorer: one neuron ``a = f(w x + b)``; move w and b and watch the curve.

    Returns a ``NeuronExplorer`` (an ipywidgets VBox) with ``.weight_slider``, ``.bias_slider``,
    ``.activation_dropdown``, ``.image`` and the numbers in ``.data``.
    """
    return NeuronExplorer(weight, bias, activation)
