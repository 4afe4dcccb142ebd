"""Chapter 08 (MNIST): snapshots of the first layer's weights during training, the numbers behind
``widgets.first_layer_explorer``; the class templates of a one-hidden-layer network, its most confident
mistakes, the first-layer weights that training never moved, and the pre-activation scale that an
initialization gives on inputs that are not standardized."""

import math

import numpy as np

from .._checks import as_float, as_int

__all__ = ["first_layer_frame", "FIRST_LAYER_BINS", "class_templates", "most_confident_mistakes",
           "expected_preactivation_std", "frozen_first_layer_weights", "PIXEL_USE_EDGES"]

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
    accuracy (validation, say) per snapshot. Nothing is copied or changed.

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


def _float_matrix(value, name):
    if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"{name} must be a float numpy array, got {type(value).__name__}")
    if value.ndim != 2:
        raise ValueError(f"{name} must be 2-D, (fan_in, fan_out), got shape {value.shape}")
    return value


def class_templates(W1, W2):
    """The linear part of a one-hidden-layer network: one input-space template per class, as images.

    Template k is ``W1 @ W2[:, k]``, the fan_in-vector whose dot product with an image x is the logit of class k
    the network would compute if the ReLU were the identity and the biases 0: ``x @ W1 @ W2 = x @ (W1 @ W2)``.
    The ReLU is ignored, so a template is only the linear part of the story: which units fire depends on x.
    (For a linear softmax classifier, ``MLP([784, 10])``, its weight column ``W[:, k]`` is the whole story.)

    ``W1``: (fan_in, hidden), fan_in = side * side; ``W2``: (hidden, classes). Returns (classes, side, side).
    """
    W1, W2 = _float_matrix(W1, "W1"), _float_matrix(W2, "W2")
    if W1.shape[1] != W2.shape[0]:
        raise ValueError(f"W1 {W1.shape} and W2 {W2.shape} do not chain: W1 has {W1.shape[1]} columns, "
                         f"W2 {W2.shape[0]} rows")
    side = math.isqrt(W1.shape[0])
    if side * side != W1.shape[0]:
        raise ValueError(f"W1's fan_in {W1.shape[0]} is not a square number of pixels (28 x 28 = 784 for MNIST)")
    return (W1 @ W2).T.reshape(W2.shape[1], side, side)


def most_confident_mistakes(probabilities, labels, count=None):
    """The examples a classifier gets wrong, most confident first: ``(indices, confidence)``.

    ``probabilities``: (n, classes), each row a probability vector (a softmax output); ``labels``: (n,) the true
    classes. An example is a mistake when its most probable class (``argmax``; the first one on a tie) is not its
    label; its confidence is the probability given to that wrong answer. The mistakes are sorted by confidence,
    highest first (ties keep the order of the examples), and the first ``count`` returned (all if None).
    """
    probabilities = _float_matrix(probabilities, "probabilities")
    labels = np.asarray(labels)
    if labels.shape != (len(probabilities),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {len(probabilities)} integer classes, one per row of probabilities, "
                         f"got shape {labels.shape}, dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= probabilities.shape[1]):
        raise ValueError(f"labels must lie in [0, {probabilities.shape[1]}), "
                         f"got min {labels.min()}, max {labels.max()}")
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    order = np.argsort(-confidence, kind="stable")
    if count is not None:
        order = order[:as_int(count, "count", 0)]
    return wrong[order], confidence[order]


def expected_preactivation_std(x, weight_std):
    """The standard deviation that zero-mean weights of std ``weight_std`` give a unit's pre-activation on inputs x.

    With independent weights of mean 0 and variance ``Var(W)``, independent of the inputs, the pre-activation
    ``z = sum_i x_i W_i`` (bias 0) has ``Var(z) = fan_in * Var(W) * E[x^2]`` (He et al. 2015, "Delving Deep into
    Rectifiers", eq. 7): the input's mean SQUARE, not its variance, because a nonzero input mean does not cancel.
    ``E[x^2]`` is the mean of x**2 over every example and input. He's ``Var(W) = 2 / fan_in`` gives
    ``sqrt(2 E[x^2])``; it is 1 only when ``E[x^2] = 1/2`` (He's layers take ReLU outputs of unit-variance
    pre-activations). ``x``: (n, fan_in). Returns a float.
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.size == 0 or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"x must be a non-empty 2-D array of numbers, (n, fan_in), got shape {x.shape}")
    weight_std = as_float(weight_std, "weight_std", nonnegative=True)
    mean_square = float(np.mean(np.square(x, dtype=np.float64)))
    return math.sqrt(x.shape[1] * weight_std**2 * mean_square)


PIXEL_USE_EDGES = (0, 1, 11, 101, 1001)  # pixels lit in 0, 1-10, 11-100, 101-1,000, more than 1,000 images


def frozen_first_layer_weights(W1_start, W1_end, x, hidden, edges=PIXEL_USE_EDGES):
    """Where the first-layer weights that training left exactly at their initial value sit.

    ``W1[i, j]`` gets the gradient ``sum_n x[n, i] dz[n, j]`` (``dW1 = x.T @ dz``): 0 unless pixel i is lit
    (``x[n, i] != 0``) in an image on which unit j fires (ReLU: dz is 0 where the unit is off). Adam's step for a
    weight whose gradients were all 0 is 0, so such a weight keeps its initial value. Two reasons, told apart here:
    pixel i is lit in few images, or unit j is dead at the end (fires on none of ``x``; a unit that died during
    training moved before it died, so only part of its weights are frozen).

    ``W1_start``, ``W1_end``: (fan_in, units) before and after training; ``x``: (n, fan_in) the training inputs;
    ``hidden``: (n, units) the trained network's hidden activations on x (after the ReLU). ``edges``: increasing
    lower bounds of the pixel-use bins (images lighting the pixel), the first one 0.

    Returns a dict: frozen (bool, fan_in x units), lit_counts (images lighting each pixel), dead (bool per unit:
    fires on no image of x), and rows, one per bin: (label, e.g. "11-100", pixels in the bin, frozen weights of
    live units on them, frozen weights of dead units on them).
    """
    W1_start, W1_end = _float_matrix(W1_start, "W1_start"), _float_matrix(W1_end, "W1_end")
    if W1_start.shape != W1_end.shape:
        raise ValueError(f"W1_start {W1_start.shape} and W1_end {W1_end.shape} must have one shape")
    x, hidden = np.asarray(x), np.asarray(hidden)
    if x.ndim != 2 or x.shape[1] != W1_start.shape[0]:
        raise ValueError(f"x must be (n, {W1_start.shape[0]}), one row per training input, got shape {x.shape}")
    if hidden.shape != (len(x), W1_start.shape[1]):
        raise ValueError(f"hidden must be ({len(x)}, {W1_start.shape[1]}), the hidden activations on x, "
                         f"got shape {hidden.shape}")
    edges = [as_int(e, "edges entries", 0) for e in edges]
    if not edges or edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"edges must increase from 0, got {edges}")
    frozen = W1_end == W1_start
    lit_counts = np.count_nonzero(x, axis=0)
    dead = ~(hidden > 0).any(axis=0)
    rows = []
    for low, high in zip(edges, edges[1:] + [None]):  # high: the next bin's lower bound
        if high is None:
            label, pixels = f"more than {low - 1:,}", lit_counts >= low
        else:
            label = f"{low:,}" if high == low + 1 else f"{low:,}-{high - 1:,}"
            pixels = (lit_counts >= low) & (lit_counts < high)
        in_bin = frozen[pixels]
        rows.append((label, int(pixels.sum()), int(in_bin[:, ~dead].sum()), int(in_bin[:, dead].sum())))
    return {"frozen": frozen, "lit_counts": lit_counts, "dead": dead, "rows": rows}
