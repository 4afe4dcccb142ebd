"""Chapter 08 (MNIST): snapshots of the first layer's weights during training, the numbers behind
``widgets.first_layer_explorer``."""

import math

import numpy as np

from .._checks import as_float, as_int

__all__ = ["first_layer_frame", "FIRST_LAYER_BINS"]

FIRST_LAYER_BINS = 80  # histogram bins, over [-m, m] with m the largest |w| of all snapshots


def _check_snapshots(snapshots):
    """``snapshots`` as a list of 2-D float arrays of one shape whose fan_in is a square (side x side)."""
    if isinstance(snapshots, np.ndarray) or not isinstance(snapshots, (list, tuple)):
        raise TypeError(f"snapshots must be a list of weight matrices (one per epoch), got {type(snapshots).__name__}")
    if not snapshots:
        raise ValueError("snapshots is empty: save at least the initial W1, e.g. [model.weights[0].copy()]")
    shape = None
    for i, W in enumerate(snapshots):
        if not isinstance(W, np.ndarray) or not np.issubdtype(W.dtype, np.floating):
            raise TypeError(f"snapshots[{i}] must be a float numpy array, got {type(W).__name__}")
        if W.ndim != 2:
            raise ValueError(f"snapshots[{i}] must be 2-D, (fan_in, fan_out), got shape {W.shape}")
        if shape is not None and W.shape != shape:
            raise ValueError(f"snapshots[{i}] has shape {W.shape}, but snapshots[0] has shape {shape}")
        shape = W.shape
    side = math.isqrt(shape[0])
    if side * side != shape[0]:
        raise ValueError(f"snapshots hold W1 of shape {shape}: its fan_in {shape[0]} is not a square number of "
                         "pixels (28 x 28 = 784 for MNIST)")
    for i, W in enumerate(snapshots):
        if not np.all(np.isfinite(W)):
            raise ValueError(f"snapshots[{i}] contains nan or inf")
    return list(snapshots), side


def _check_accuracy(accuracy, count):
    if accuracy is None:
        return None
    if isinstance(accuracy, (str, bytes)) or not hasattr(accuracy, "__len__"):
        raise TypeError(f"accuracy must be None or a list of {count} accuracies (one per snapshot), "
                        f"got {type(accuracy).__name__}")
    values = [as_float(a, "accuracy entries") for a in accuracy]
    if len(values) != count:
        raise ValueError(f"accuracy must have one value per snapshot: {len(values)} for {count} snapshots")
    if any(not 0.0 <= a <= 1.0 for a in values):
        raise ValueError("accuracy entries must be fractions in [0, 1]")
    return values


def first_layer_frame(snapshots, epoch, units=32, accuracy=None):
    """What the first layer looks like at snapshot ``epoch``: the incoming weights of hidden units
    0 .. ``units``-1 as side x side images (W1[:, j] reshaped, j the unit), and statistics of all of W1.

    ``snapshots`` is a list of W1 arrays, (fan_in, fan_out) with fan_in = side * side (784 for MNIST), one per
    epoch: ``snapshots[0]`` the initial weights, ``snapshots[e]`` after epoch e. ``accuracy``, if given, has one
    (test) accuracy per snapshot. Nothing is copied or changed.

    Returns a dict: epoch, images (units, side, side), tiled (the images in a grid of 8 columns,
    ``course_lib.mnist_tools.tile``), std and max_abs of W1, change = ||W1(e) - W1(0)|| / ||W1(0)|| (Frobenius),
    unchanged_fraction (the fraction of W1's entries still exactly at their initial value: pixels that are 0 in
    every training image, and units that never fire, give their weights no gradient), counts and bin_edges (a
    histogram of all of W1 over [-m, m], m the largest |w| of all snapshots, so the frames share their axis), and
    accuracy (or None).
    """
    from ..mnist_tools import tile

    snapshots, side = _check_snapshots(snapshots)
    count = len(snapshots)
    epoch = as_int(epoch, "epoch", 0, count - 1)  # an index into snapshots
    units = as_int(units, "units", 1, snapshots[0].shape[1])  # at most W1's number of columns
    accuracy = _check_accuracy(accuracy, count)
    W, W0 = snapshots[epoch], snapshots[0]
    limit = max(float(np.abs(S).max()) for S in snapshots) or 1.0
    edges = np.linspace(-limit, limit, FIRST_LAYER_BINS + 1)
    bins = np.clip(((W.ravel() + limit) * (FIRST_LAYER_BINS / (2 * limit))).astype(np.int64), 0, FIRST_LAYER_BINS - 1)
    images = W[:, :units].T.reshape(units, side, side)
    initial_norm = float(np.linalg.norm(W0))
    return {
        "epoch": epoch, "images": images, "tiled": tile(images, columns=8),
        "std": float(W.std()), "max_abs": float(np.abs(W).max()),
        "change": float(np.linalg.norm(W - W0)) / initial_norm if initial_norm else float("nan"),
        "unchanged_fraction": float(np.mean(W == W0)),
        "counts": np.bincount(bins, minlength=FIRST_LAYER_BINS), "bin_edges": edges,
        "accuracy": None if accuracy is None else accuracy[epoch],
    }
