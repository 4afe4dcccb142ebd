"""Chapter 03 (bias): one sigmoid neuron with two inputs, the numbers behind ``widgets.bias_explorer``."""

import numpy as np

from .._checks import as_float
from ..nn import sigmoid

__all__ = ["neuron_2d"]


def neuron_2d(w1, w2, b, x, y):
    """One sigmoid neuron ``a = sigmoid(w1 x1 + w2 x2 + b)`` on 2-D data ``x`` with labels ``y`` (0/1).

    Returns z, a, ``accuracy`` (a > 0.5 predicts class 1) and ``line``: two points of the decision line
    w . x + b = 0 (None when w = 0), whose distance from the origin is |b| / ||w||.
    """
    w1, w2, b = as_float(w1, "w1"), as_float(w2, "w2"), as_float(b, "b")
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (n, 2), got {x.shape}")
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},), got {y.shape}")
    z = x @ np.array([w1, w2]) + b
    a = sigmoid(z)
    norm = np.hypot(w1, w2)
    line = None
    if norm > 0:
        foot = -b / norm**2 * np.array([w1, w2])  # the point of the line nearest the origin
        along = np.array([-w2, w1]) / norm * 100
        line = np.array([foot - along, foot + along])
    return {"z": z, "a": a, "accuracy": float(np.mean((a > 0.5) == (y == 1))), "line": line,
            "distance_from_origin": None if norm == 0 else abs(b) / norm}
