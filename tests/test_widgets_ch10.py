"""The explorer of chapter 10: filter_explorer, an epoch slider through snapshots of a CNN's first conv layer."""

import numpy as np
import pytest

from course_lib.conv import conv2d
from course_lib.widgets import FilterExplorer, filter_explorer

PNG = b"\x89PNG\r\n\x1a\n"


def snapshots(count=4, filters=8, seed=0):
    """Filters that grow a vertical stroke from random noise."""
    rng = np.random.default_rng(seed)
    W0 = rng.normal(0.0, 0.3, size=(filters, 1, 5, 5)).astype(np.float32)
    stroke = np.zeros((5, 5), dtype=np.float32)
    stroke[:, 2] = 1.0
    return [W0 + 0.5 * e * stroke for e in range(count)]


def digit():
    image = np.zeros((28, 28), dtype=np.float32)
    image[4:24, 12:16] = 1.0
    return image


def test_the_epoch_slider_redraws_filters_and_maps():
    snaps = snapshots()
    explorer = filter_explorer(snaps, digit(), epochs=[0, 0.5, 1, 1.5], loss=[np.nan, 0.9, 0.5, 0.3])
    assert isinstance(explorer, FilterExplorer)
    assert explorer.epoch_slider.value == 3 and explorer.data["index"] == 3  # starts at the last snapshot
    assert bytes(explorer.image.value).startswith(PNG)
    last_png = bytes(explorer.image.value)
    explorer.epoch_slider.value = 0
    assert explorer.data["index"] == 0 and explorer.data["change"] == 0
    np.testing.assert_array_equal(explorer.data["filters"], snaps[0][:, 0])
    np.testing.assert_allclose(explorer.data["maps"], np.maximum(conv2d(digit()[None, None], snaps[0])[0], 0))
    assert bytes(explorer.image.value) != last_png
    assert "epoch 0.00" in explorer._title.get_text() and "training loss" not in explorer._title.get_text()
    explorer.epoch_slider.value = 2
    assert explorer.data["change"] > 0 and "training loss since the last snapshot 0.500" in explorer._title.get_text()
    assert [label for label, _ in explorer.epoch_slider.options] == ["0", "0.5", "1", "1.5"]
    assert explorer._maps.get_array().shape == (2 * 24 + 1, 4 * 24 + 3)  # 8 maps in 2 rows of 4
    assert explorer._filters.get_array().shape == (2 * 5 + 1, 4 * 5 + 3)
    assert "no bias" in explorer._maps.axes.get_title()


def test_the_maps_include_the_bias_when_given():
    snaps = snapshots()
    biases = [np.linspace(-1.0, 1.0, 8).astype(np.float32) * e for e in range(4)]
    explorer = filter_explorer(snaps, digit(), biases=biases)
    assert "relu(conv2d(digit, W) + b)" in explorer._maps.axes.get_title()
    want = np.maximum(conv2d(digit()[None, None], snaps[3], biases[3])[0], 0)
    np.testing.assert_allclose(explorer.data["maps"], want, rtol=1e-6)
    explorer.epoch_slider.value = 1
    want = np.maximum(conv2d(digit()[None, None], snaps[1], biases[1])[0], 0)
    np.testing.assert_allclose(explorer.data["maps"], want, rtol=1e-6)
    blank = explorer.data["maps"][:, 0, 0]  # the top-left window holds no ink: the map there is relu(b)
    np.testing.assert_allclose(blank, np.maximum(biases[1], 0), rtol=1e-6)
    with pytest.raises(TypeError, match="biases"):
        filter_explorer(snaps, digit(), biases=biases[:3])


def test_starting_index_and_bad_input():
    explorer = filter_explorer(snapshots(), digit()[None], index=1)
    assert explorer.epoch_slider.value == 1 and explorer.data["index"] == 1
    with pytest.raises(ValueError, match="one entry per snapshot"):
        filter_explorer(snapshots(), digit(), epochs=[0, 1])
    with pytest.raises(ValueError, match="index"):
        filter_explorer(snapshots(), digit(), index=4)
    with pytest.raises(TypeError, match="snapshots"):
        filter_explorer(np.zeros((8, 1, 5, 5)), digit())
