"""Chapter 00 (start here): one neuron with one input, the numbers behind ``widgets.neuron_explorer``."""

import numpy as np

from .._checks import as_float, choose
from ..nn import ACTIVATIONS

__all__ = ["neuron_curve"]


def neuron_curve(weight, bias, activation="relu", x=None):
    """One neuron with one input: ``z = weight * x + bias``, ``a = f(z)``, over ``x`` (default: 201
    points in [-3, 3]). Returns a dict with x, z, a and ``threshold``, the input where z = 0
    (``-bias / weight``; None when weight is 0). The weight sets the slope, the bias shifts the curve."""
    weight, bias = as_float(weight, "weight"), as_float(bias, "bias")
    f, _ = ACTIVATIONS[choose(activation, "activation", ACTIVATIONS)]
    x = np.linspace(-3.0, 3.0, 201) if x is None else np.asarray(x, dtype=float)
    z = weight * x + bias
    return {"x": x, "z": z, "a": f(z), "threshold": None if weight == 0 else -bias / weight}
