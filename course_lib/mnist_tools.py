"""Small tools for the MNIST capstone (chapter 08): the confusion matrix, and images laid out in a grid.

    C = confusion_matrix(y_test, model.predict(x_test))    C[i, j]: images of digit i predicted as j
    grid = tile(W1.T.reshape(-1, 28, 28), columns=8)        the first layer's weights, one 28x28 image per unit

Both check their arguments and raise a ``TypeError`` or ``ValueError`` that names the argument.
"""

import numpy as np

from ._checks import as_int

__all__ = ["confusion_matrix", "tile"]


def _labels(values, name, classes):
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= classes):
        raise ValueError(f"{name} must hold labels in [0, {classes}), got min {array.min()}, max {array.max()}")
    return array.astype(np.int64)


def confusion_matrix(y_true, y_pred, classes=10):
    """The ``classes x classes`` matrix of counts ``C[i, j] = #{n : y_true[n] = i and y_pred[n] = j}``.

    Rows are the true classes, columns the predicted ones (as ``sklearn.metrics.confusion_matrix``): the
    diagonal counts the correct predictions, row ``i`` sums to the number of examples of class ``i``, and
    ``trace(C) / C.sum()`` is the accuracy. Every class gets its row and column, even one that never
    occurs. Returns an int64 array.
    """
    classes = as_int(classes, "classes", low=1)
    y_true, y_pred = _labels(y_true, "y_true", classes), _labels(y_pred, "y_pred", classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same length, got {len(y_true)} and {len(y_pred)}")
    # np.bincount of i * classes + j counts every pair, repeats included (C[y_true, y_pred] += 1 would not)
    return np.bincount(y_true * classes + y_pred, minlength=classes * classes).reshape(classes, classes)


def tile(images, columns, pad=1, fill=np.nan):
    """Lay out ``images`` (n, h, w) in a grid of ``columns`` columns, ``pad`` pixels of ``fill`` between them.

    Image ``k`` goes to row ``k // columns``, column ``k % columns``; its top-left pixel lands at
    ``(row * (h + pad), column * (w + pad))`` of the result, of shape
    ``(rows * (h + pad) - pad, columns * (w + pad) - pad)`` with ``rows = ceil(n / columns)``. Empty cells
    of the last row are ``fill`` too. The result is float (float32, or float64 for float64 images). One array
    drawn by one ``imshow`` is much faster than n subplots.
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must be a non-empty array of shape (n, height, width), got shape {images.shape}")
    if not np.issubdtype(images.dtype, np.number):
        raise TypeError(f"images must hold numbers, got dtype {images.dtype}")
    columns, pad = as_int(columns, "columns", low=1), as_int(pad, "pad", low=0)
    n, h, w = images.shape
    columns = min(columns, n)
    rows = -(-n // columns)
    dtype = np.result_type(images.dtype, np.float32)  # float32 or float64: room for a nan fill
    out = np.full((rows * (h + pad) - pad, columns * (w + pad) - pad), fill, dtype=dtype)
    for k in range(n):
        top, left = (k // columns) * (h + pad), (k % columns) * (w + pad)
        out[top:top + h, left:left + w] = images[k]
    return out
