"""course_lib.mnist_tools: the confusion matrix and the image grid of chapter 08."""

import numpy as np
import pytest

from course_lib.mnist_tools import confusion_matrix, tile


def test_confusion_matrix_counts_every_pair_with_rows_true_and_columns_predicted():
    y_true = np.array([0, 0, 0, 1, 2, 2, 0])
    y_pred = np.array([0, 1, 1, 1, 2, 0, 0])
    C = confusion_matrix(y_true, y_pred, classes=4)
    expected = np.array([[2, 2, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(C, expected)  # (0, 1) twice; class 3 never occurs but keeps its row and column
    assert C.dtype == np.int64 and C.sum() == len(y_true)
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(y_true, minlength=4))  # rows: the true classes
    assert np.trace(C) / C.sum() == pytest.approx(np.mean(y_true == y_pred))


def test_confusion_matrix_agrees_with_a_loop_and_takes_lists():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    loop = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred):
        loop[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), loop)  # classes=10 by default
    np.testing.assert_array_equal(confusion_matrix([1, 0], [1, 1], classes=2), [[0, 1], [0, 1]])
    np.testing.assert_array_equal(confusion_matrix([], [], classes=3), np.zeros((3, 3)))


@pytest.mark.parametrize("args, error, message", [
    (([0, 1], [0], 2), ValueError, "y_true and y_pred must have the same length"),
    (([0, 5], [0, 1], 3), ValueError, r"y_true must hold labels in \[0, 3\)"),
    (([0, 1], [0, -1], 3), ValueError, r"y_pred must hold labels in \[0, 3\)"),
    (([0.0, 1.0], [0, 1], 2), TypeError, "y_true must hold integer class labels"),
    (([[0, 1]], [[0, 1]], 2), ValueError, "y_true must be a 1-D array"),
    (([0], [0], 0), ValueError, r"classes must be a positive int, got 0"),
    (([0], [0], 2.0), TypeError, r"classes must be a positive int, got 2.0"),
    (([0], [0], True), TypeError, r"classes must be a positive int, got True"),
])
def test_confusion_matrix_bad_inputs(args, error, message):
    with pytest.raises(error, match=message):
        confusion_matrix(*args)


def test_tile_places_each_image_and_pads():
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = tile(images, columns=2, pad=1)
    assert grid.shape == (3 * 3 - 1, 2 * 4 - 1)
    for k in range(5):
        top, left = (k // 2) * 3, (k % 2) * 4
        np.testing.assert_array_equal(grid[top:top + 2, left:left + 3], images[k])
    assert np.isnan(grid[2, :]).all() and np.isnan(grid[:, 3]).all()  # the padding
    assert np.isnan(grid[6:, 4:]).all()  # the empty last cell
    assert tile(images, columns=8).shape == (2, 5 * 4 - 1)  # more columns than images: one row
    np.testing.assert_array_equal(tile(images[:1], columns=3, pad=0), images[0])
    assert tile(np.zeros((2, 2, 2), dtype=np.uint8), 2, fill=-1).dtype == np.float32
    assert tile(np.zeros((2, 2, 2), dtype=np.float32), 2).dtype == np.float32
    assert tile(np.zeros((2, 2, 2)), 2).dtype == np.float64


@pytest.mark.parametrize("args, error, message", [
    ((np.zeros((4, 4)), 2), ValueError, r"images must be a non-empty array of shape \(n, height, width\)"),
    ((np.zeros((0, 4, 4)), 2), ValueError, "images must be a non-empty array"),
    ((np.array([[["a"]]]), 1), TypeError, "images must hold numbers"),
    ((np.zeros((2, 4, 4)), 0), ValueError, r"columns must be a positive int"),
    ((np.zeros((2, 4, 4)), 2.0), TypeError, r"columns must be a positive int, got 2.0"),
    ((np.zeros((2, 4, 4)), 2, -1), ValueError, "pad must be an int >= 0"),
    ((np.zeros((2, 4, 4)), 2, 1.0), TypeError, "pad must be an int >= 0, got 1.0"),
])
def test_tile_bad_inputs(args, error, message):
    with pytest.raises(error, match=message):
        tile(*args)
