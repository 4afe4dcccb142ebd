"""Chapter 01 (initialization): activations layer by layer, the numbers behind ``widgets.init_explorer``."""

import functools

import numpy as np

from .._checks import as_float, as_int, as_rng, choose
from ..diagnostics import dead_fraction, propagate, saturated_fraction
from ..init import get_initializer
from ..nn import ACTIVATIONS
from ._common import _histogram

__all__ = ["init_explorer_data", "EXPLORER_INITIALIZERS", "MAX_DEPTH", "WIDTH_RANGE"]

# The initializers offered by the init explorer, each at its library defaults (as a PyTorch user
# would call them): "normal" is N(0, 1), kaiming_* assume ReLU, xavier_* and orthogonal use gain 1.
EXPLORER_INITIALIZERS = (
    "zeros", "normal", "truncated_normal", "lecun_normal", "lecun_uniform", "xavier_normal",
    "xavier_uniform", "kaiming_normal", "kaiming_uniform", "orthogonal",
)
MAX_DEPTH = 20
WIDTH_RANGE = (16, 1024)


@functools.lru_cache(maxsize=4)
def _unit_scale_net(initializer, depth, width, n_examples, seed):
    """Input batch and weights at scale 1, cached: moving the scale slider only rescales them."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_examples, width))
    init = get_initializer(initializer)
    weights = [np.asarray(init((width, width), rng=rng), dtype=np.float64) for _ in range(depth)]
    for w in weights:
        w.flags.writeable = False
    x.flags.writeable = False
    return x, tuple(weights)


def init_explorer_data(initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                       n_examples=256, bins=48, rng=0):
    """Push a unit-variance batch through ``depth`` layers ``a = f(a @ (scale * W))`` and measure.

    Every layer is ``width`` wide, with W drawn by ``initializer`` at its defaults and multiplied by
    ``scale``; biases are zero. Computed in float64 so that exploding scales show as huge numbers
    rather than overflow. Returns a dict of numpy arrays, one entry per layer:

        std, mean             activation std and mean
        pre_std               pre-activation std
        histograms            (depth, bins): each layer's activation histogram, as fractions
        bin_edges             (bins + 1,): shared by all layers (see ``_histogram_range``)
        dead_fraction         ReLU units that output 0 for every example (None for other activations)
        saturated_fraction    tanh/sigmoid values with |a| > 0.99 or a outside [0.01, 0.99] (None otherwise)
    """
    choose(initializer, "initializer", EXPLORER_INITIALIZERS)
    choose(activation, "activation", ACTIVATIONS)
    scale = as_float(scale, "scale", positive=True)
    depth = as_int(depth, "depth", 1, MAX_DEPTH)
    width = as_int(width, "width", *WIDTH_RANGE)
    n_examples = as_int(n_examples, "n_examples", 2, 4096)
    bins = as_int(bins, "bins", 2, 1000)
    seed = int(as_rng(rng).integers(2**63)) if not isinstance(rng, (int, np.integer)) else int(rng)
    x, unit_weights = _unit_scale_net(initializer, depth, width, n_examples, seed)
    pre, act = propagate(x, [scale * w for w in unit_weights], activation)

    with np.errstate(over="ignore", invalid="ignore"):
        std = np.array([a.std() for a in act])
        low, high = _histogram_range(activation, std)
        edges = np.linspace(low, high, bins + 1)
        histograms = np.stack([_histogram(a, edges) for a in act])
        return {
            "std": std,
            "mean": np.array([a.mean() for a in act]),
            "pre_std": np.array([z.std() for z in pre]),
            "histograms": histograms,
            "bin_edges": edges,
            "dead_fraction": np.array([dead_fraction(a) for a in act]) if activation == "relu" else None,
            "saturated_fraction": (np.array([saturated_fraction(a, activation) for a in act])
                                   if activation in ("tanh", "sigmoid") else None),
        }


def _histogram_range(activation, std):
    """tanh: [-1, 1]; sigmoid: [0, 1]; others: 3 times the largest layer std (ReLU from 0)."""
    if activation == "tanh":
        return -1.0, 1.0
    if activation == "sigmoid":
        return 0.0, 1.0
    finite = std[np.isfinite(std)]
    reach = 3.0 * finite.max() if finite.size and finite.max() > 0 else 1.0
    return (0.0, reach) if activation == "relu" else (-reach, reach)
