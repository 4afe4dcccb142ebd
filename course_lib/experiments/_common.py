"""Helpers used by the experiments of several chapters: histograms, seeds, read-only results, forward passes."""

import numpy as np

from .._checks import as_int, as_rng


def _histogram(values, edges):
    """Fraction of ``values`` in each of the equal-width bins ``edges``; values outside the range
    count in the end bins. (Arithmetic binning: several times faster than ``np.histogram``.)"""
    bins = len(edges) - 1
    position = (values.ravel() - edges[0]) * (bins / (edges[-1] - edges[0]))
    index = np.clip(np.nan_to_num(position), 0, bins - 1).astype(np.intp)
    return np.bincount(index, minlength=bins) / values.size


def _seed_of(rng):
    """An int seed from ``rng`` (an int is used as is, so that results can be cached by it)."""
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        as_rng(rng)  # rejects negative seeds with a clear message
        return int(rng)
    return int(as_rng(rng).integers(2**63))


def _readonly(array):
    """``array`` as a read-only numpy array, so that a cached result cannot be changed through what a caller got."""
    array = np.asarray(array)
    array.flags.writeable = False
    return array


def _forward_in_chunks(model, x, rows=64):
    """``model.forward(x)`` in blocks of ``rows`` examples. With 64 rows and 64-wide layers every matrix
    product stays below OpenBLAS's threshold for using several threads: on a busy 2-core machine a
    multi-threaded product can wait milliseconds for its second thread, many times a small product's cost."""
    return np.concatenate([model.forward(x[start:start + rows]) for start in range(0, len(x), rows)])


def _hidden_widths(hidden):
    """``hidden`` (the widths of the hidden layers, e.g. (64, 64)) as a tuple of ints in [1, 4096]."""
    if isinstance(hidden, (int, np.integer)) or not hasattr(hidden, "__iter__"):
        raise TypeError(f"hidden must be a tuple of layer widths, e.g. (64, 64), got {hidden!r}")
    return tuple(as_int(h, "hidden widths", 1, 4096) for h in hidden)
