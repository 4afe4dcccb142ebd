"""A fixed validation split carved out of a training set (chapters 08-10 and the MNIST benchmarks).

The test set is touched once, to report the chosen model; every choice (learning rate, schedule, epochs,
stopping, ...) is made on a validation set taken from the training data. ``validation_split`` takes the same
images every time for the same ``rng`` seed, so that every chapter and benchmark chooses on one split.
"""

import numpy as np

from .._checks import as_int, as_rng

__all__ = ["validation_split", "MNIST_VALIDATION_SIZE", "MNIST_VALIDATION_SEED"]

MNIST_VALIDATION_SIZE = 10_000  # as many as the test set (the split used by, e.g., Keras's mnist examples)
MNIST_VALIDATION_SEED = 0  # the course's one split: validation_split(x_train, y_train) everywhere


def validation_split(x, y, size=MNIST_VALIDATION_SIZE, rng=MNIST_VALIDATION_SEED):
    """Split ``(x, y)`` into ``(x_train, y_train), (x_val, y_val)``: ``size`` examples drawn at random for validation.

    A random permutation of the ``n`` row indices (``rng``: a seed or a ``numpy.random.Generator``); its first
    ``size`` indices are the validation set, the others the training set, each kept in their original order.
    With the default seed the split is the same on every call, on every machine (numpy's PCG64 is stable).
    Returns copies: changing one part never changes ``x`` or the other part.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 1 or y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per example) and x at least 1-D, got x {x.shape}, y {y.shape}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have one row per example, got {len(x)} rows in x and {len(y)} labels in y")
    if len(y) < 2:
        raise ValueError(f"x and y must hold at least 2 examples to split, got {len(y)}")
    size = as_int(size, "size", 1, len(y) - 1)
    order = as_rng(rng).permutation(len(y))
    val, train = np.sort(order[:size]), np.sort(order[size:])
    return (x[train], y[train]), (x[val], y[val])
