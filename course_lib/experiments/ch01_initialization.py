"""Chapter 01 (initialization): activations layer by layer, the numbers behind ``widgets.init_explorer``."""

import math
from collections import OrderedDict

import numpy as np

from .._checks import as_float, as_int, choose
from ..diagnostics import dead_fraction, saturated_fraction
from ..init import get_initializer
from ..nn import ACTIVATIONS
from ._common import _readonly, _seed_of

__all__ = ["init_explorer_data", "EXPLORER_INITIALIZERS", "MAX_DEPTH", "WIDTH_RANGE"]

# The initializers offered by the init explorer, each at its library defaults (as a PyTorch user
# would call them): "normal" is N(0, 1), kaiming_* assume ReLU, xavier_* and orthogonal use gain 1.
EXPLORER_INITIALIZERS = (
    "zeros", "normal", "truncated_normal", "lecun_normal", "lecun_uniform", "xavier_normal",
    "xavier_uniform", "kaiming_normal", "kaiming_uniform", "orthogonal",
)
MAX_DEPTH = 20
WIDTH_RANGE = (16, 1024)

# The unit-scale networks last used are kept while their weights fit in this many bytes; the one in use is kept
# whatever its size (20 layers of 1024 x 1024 float64 take 168 MB). 128 MB holds all ten initializers at the
# explorer's default width (256) and full depth (20 layers: 10.5 MB each), or three at width 512.
WEIGHT_CACHE_BYTES = 128 * 2**20

# A "round" number is one of these times a power of ten: rounding a histogram range up to one wastes at most a
# third of the axis (1 -> 1.5, 2 -> 3), and each is a whole number of round tick steps (1, 2, 2.5, 4 or 5 times
# a power of ten), so an axis over it can label 0 and both its ends.
ROUND_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


class _UnitScaleNet:
    """The input batch and the unit-scale weights of one (initializer, width, n_examples, seed), drawn as
    ``init_explorer_data`` always drew them: x first, then W1, W2, ... from one ``np.random.default_rng(seed)``.

    Layers are drawn when a depth first needs them, and the generator is kept: a network of depth 20 after one
    of depth 10 draws only layers 11 to 20, and one of depth 10 after one of depth 20 draws nothing. The weights
    of layer l are therefore the same whatever depth asked for them first. Every array is read-only, so that a
    caller cannot change what the cache holds.
    """

    def __init__(self, initializer, width, n_examples, seed):
        self._rng = np.random.default_rng(seed)
        self._initializer = get_initializer(initializer)
        self.width = width
        self.x = _readonly(self._rng.standard_normal((n_examples, width)))
        self.weights = []

    def first_layers(self, depth):
        """The weights of layers 1 to ``depth``, drawing the ones not drawn yet."""
        while len(self.weights) < depth:
            layer = self._initializer((self.width, self.width), rng=self._rng)
            self.weights.append(_readonly(np.asarray(layer, dtype=np.float64)))
        return self.weights[:depth]

    def nbytes(self, depth=None):
        """Bytes held with ``depth`` layers drawn (default: the layers drawn so far)."""
        layers = len(self.weights) if depth is None else max(depth, len(self.weights))
        return self.x.nbytes + layers * self.width * self.width * 8


_UNIT_SCALE_NETS = OrderedDict()  # (initializer, width, n_examples, seed) -> _UnitScaleNet, least recently used first


def _unit_scale_net(initializer, depth, width, n_examples, seed):
    """The input batch x and the unit-scale weights of layers 1 to ``depth``, from a cache of ``_UnitScaleNet``.

    A change of scale, activation or depth reuses the weights already drawn. The least recently used networks
    are forgotten while the cache would hold more than WEIGHT_CACHE_BYTES, before the new layers are drawn (so
    that memory does not peak with an old network and a new one both held).
    """
    key = (initializer, width, n_examples, seed)
    net = _UNIT_SCALE_NETS.pop(key) if key in _UNIT_SCALE_NETS else _UnitScaleNet(*key)
    _UNIT_SCALE_NETS[key] = net  # now the most recently used
    while len(_UNIT_SCALE_NETS) > 1:
        held_by_others = sum(other.nbytes() for other in _UNIT_SCALE_NETS.values() if other is not net)
        if held_by_others + net.nbytes(depth) <= WEIGHT_CACHE_BYTES:
            break
        _UNIT_SCALE_NETS.popitem(last=False)  # the least recently used
    return net.x, net.first_layers(depth)


def init_explorer_data(initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                       n_examples=256, bins=48, rng=0, round_range=False):
    """Push a unit-variance batch through ``depth`` layers ``a = f(scale * (a @ W))`` and measure.

    Every layer is ``width`` wide, with W drawn by ``initializer`` at its defaults; biases are zero. The scale
    multiplies each layer's product ``a @ W``, which is ``a @ (scale * W)`` up to rounding, without a scaled
    copy of every weight matrix (at width 1024 and depth 10 those copies took 20 ms, as long as the products).
    The batch and the weights at scale 1 are drawn from ``rng`` (x first, then W1, W2, ...) and cached, so that
    moving the scale, the activation or the depth does not draw them again (see ``_UnitScaleNet``).
    Computed in float64 so that exploding scales show as huge numbers rather than overflow.
    Returns a dict of numpy arrays, one entry per layer:

        std, mean             activation std and mean
        pre_std               pre-activation std
        histograms            (depth, bins): each layer's activation histogram, as fractions
        bin_edges             (bins + 1,): shared by all layers (see ``_histogram_range``)
        dead_fraction         ReLU units that output 0 for every example (None for other activations)
        saturated_fraction    tanh/sigmoid values with |a| > 0.99 or a outside [0.01, 0.99] (None otherwise)

    ``round_range=True`` rounds the histogram range of identity, ReLU and leaky ReLU up to a round number
    (see ``_round_up``), so that an axis over it can be labelled with round values, as the explorer does.
    """
    choose(initializer, "initializer", EXPLORER_INITIALIZERS)
    choose(activation, "activation", ACTIVATIONS)
    scale = as_float(scale, "scale", positive=True)
    depth = as_int(depth, "depth", 1, MAX_DEPTH)
    width = as_int(width, "width", *WIDTH_RANGE)
    n_examples = as_int(n_examples, "n_examples", 2, 4096)
    bins = as_int(bins, "bins", 2, 1000)
    x, unit_weights = _unit_scale_net(initializer, depth, width, n_examples, _seed_of(rng))
    f, _ = ACTIVATIONS[activation]

    with np.errstate(over="ignore", invalid="ignore"):  # huge scales may overflow: reported, not raised
        activations, pre_std = [], []
        a = x
        for weight in unit_weights:
            z = a @ weight
            z *= scale
            pre_std.append(z.std())
            a = f(z)
            activations.append(a)
        std = np.array([a.std() for a in activations])
        low, high = _histogram_range(activation, std, round_range)
        edges = np.linspace(low, high, bins + 1)
        return {
            "std": std,
            "mean": np.array([a.mean() for a in activations]),
            "pre_std": np.array(pre_std),
            "histograms": _layer_histograms(activations, edges),
            "bin_edges": edges,
            "dead_fraction": np.array([dead_fraction(a) for a in activations]) if activation == "relu" else None,
            "saturated_fraction": (np.array([saturated_fraction(a, activation) for a in activations])
                                   if activation in ("tanh", "sigmoid") else None),
        }


def _layer_histograms(activations, edges):
    """Each layer's histogram over the equal-width bins ``edges``, as fractions: a row per layer, the numbers of
    ``_common._histogram`` (values outside the range count in the end bins, NaN in the first). fmax and fmin do
    what nan_to_num and clip do there (fmax(NaN, 0) is 0), in place. Measured over the scale slider's 81 values
    at the explorer's defaults: init_explorer_data takes 11.5 ms with this, 19 ms with ``_histogram``."""
    bins = len(edges) - 1
    histograms = np.empty((len(activations), bins))
    for layer, a in enumerate(activations):
        position = (a.ravel() - edges[0]) * (bins / (edges[-1] - edges[0]))
        np.fmax(position, 0, out=position)  # NaN and -inf: the first bin
        np.fmin(position, bins - 1, out=position)  # +inf: the last bin
        histograms[layer] = np.bincount(position.astype(np.intp), minlength=bins) / a.size
    return histograms


def _histogram_range(activation, std, round_range=False):
    """tanh: [-1, 1]; sigmoid: [0, 1]; others: 3 times the largest layer std (ReLU from 0), rounded up to a
    round number if ``round_range``."""
    if activation == "tanh":
        return -1.0, 1.0
    if activation == "sigmoid":
        return 0.0, 1.0
    finite = std[np.isfinite(std)]
    reach = 3.0 * finite.max() if finite.size and finite.max() > 0 else 1.0
    if round_range and np.isfinite(reach):
        reach = _round_up(reach)
    return (0.0, reach) if activation == "relu" else (-reach, reach)


def _round_up(value):
    """The smallest round number >= ``value`` > 0: 1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(mantissa * power for mantissa in ROUND_MANTISSAS if mantissa * power >= value)
