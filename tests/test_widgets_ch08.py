"""The explorer of chapter 08: first_layer_explorer (an epoch slider through snapshots of W1) and first_layer_frame."""

import numpy as np
import pytest

from course_lib.widgets import FIRST_LAYER_BINS, FirstLayerExplorer, first_layer_explorer, first_layer_frame

PNG = b"\x89PNG\r\n\x1a\n"


def fake_snapshots(epochs=4, fan_out=40, side=28, seed=0):
    """W1 of a 784-fan_out layer at epochs 0..epochs: random at first, then a growing stroke in every unit's image;
    the border pixels never change (as MNIST's always-black pixels)."""
    rng = np.random.default_rng(seed)
    W0 = rng.normal(0.0, 0.05, size=(side * side, fan_out)).astype(np.float32)
    stroke = np.zeros((side, side), dtype=np.float32)
    stroke[4:-4, side // 2] = 1.0
    snapshots = [W0]
    for e in range(1, epochs + 1):
        W = W0.copy()
        inside = np.zeros((side, side), dtype=bool)
        inside[2:-2, 2:-2] = True
        W[inside.ravel()] += 0.1 * e * rng.normal(size=(inside.sum(), fan_out)).astype(np.float32)
        W += 0.2 * e * stroke.reshape(-1, 1)
        snapshots.append(W)
    return snapshots


def test_frame_shows_the_units_of_the_chosen_snapshot():
    snapshots = fake_snapshots()
    frame = first_layer_frame(snapshots, 2, units=12)
    assert frame["epoch"] == 2
    assert frame["images"].shape == (12, 28, 28)
    np.testing.assert_array_equal(frame["images"][5], snapshots[2][:, 5].reshape(28, 28))  # unit 5 = column 5
    assert frame["tiled"].shape == (2 * 29 - 1, 8 * 29 - 1)  # 12 units in 2 rows of 8, 1 pixel apart
    np.testing.assert_array_equal(frame["tiled"][29:57, 29:57], frame["images"][9])
    assert frame["std"] == pytest.approx(float(snapshots[2].std()))
    assert frame["max_abs"] == pytest.approx(float(np.abs(snapshots[2]).max()))
    expected_change = np.linalg.norm(snapshots[2] - snapshots[0]) / np.linalg.norm(snapshots[0])
    assert frame["change"] == pytest.approx(expected_change, rel=1e-6)
    border = 1 - (24 * 24) / (28 * 28)  # everything but the 24 x 24 inside, less the stroke's column
    assert frame["unchanged_fraction"] == pytest.approx(border, abs=0.02)
    assert frame["counts"].sum() == snapshots[2].size and len(frame["counts"]) == FIRST_LAYER_BINS
    limit = max(float(np.abs(W).max()) for W in snapshots)
    np.testing.assert_allclose(frame["bin_edges"][[0, -1]], [-limit, limit])
    np.testing.assert_array_equal(frame["counts"], np.histogram(snapshots[2], frame["bin_edges"])[0])
    assert frame["accuracy"] is None


def test_frame_at_epoch_0_and_the_snapshots_left_alone():
    snapshots = fake_snapshots()
    copies = [W.copy() for W in snapshots]
    first = first_layer_frame(snapshots, 0, accuracy=[0.1, 0.5, 0.8, 0.9, 0.95])
    assert first["change"] == 0.0 and first["unchanged_fraction"] == 1.0 and first["accuracy"] == 0.1
    last = first_layer_frame(snapshots, 4, units=40)
    assert last["change"] > first_layer_frame(snapshots, 1)["change"] > 0  # the weights move further
    assert last["std"] > first["std"]
    np.testing.assert_array_equal(first["bin_edges"], last["bin_edges"])  # one axis for every epoch
    for W, W_copy in zip(snapshots, copies):
        np.testing.assert_array_equal(W, W_copy)
    assert first_layer_frame(tuple(snapshots), np.int64(1))["epoch"] == 1
    square = [np.zeros((9, 3))]  # any square fan_in works, and all-zero weights (change undefined)
    frame = first_layer_frame(square, 0, units=3)
    assert frame["images"].shape == (3, 3, 3) and np.isnan(frame["change"])


def test_the_slider_changes_the_data_and_the_image():
    snapshots = fake_snapshots()
    explorer = first_layer_explorer(snapshots, accuracy=[0.1, 0.5, 0.8, 0.9, 0.95])
    assert isinstance(explorer, FirstLayerExplorer)
    slider = explorer.epoch_slider
    assert (slider.min, slider.max, slider.value) == (0, 4, 4)  # starts at the last epoch
    assert explorer.data["epoch"] == 4 and explorer.data["accuracy"] == 0.95
    assert bytes(explorer.image.value).startswith(PNG)
    seen = {bytes(explorer.image.value)}
    for epoch in (0, 2, 1, 3):
        before = explorer.data
        slider.value = epoch
        assert explorer.data is not before and explorer.data["epoch"] == epoch
        np.testing.assert_array_equal(explorer.data["images"], first_layer_frame(snapshots, epoch)["images"])
        assert bytes(explorer.image.value) not in seen  # a new picture for every epoch
        seen.add(bytes(explorer.image.value))
    slider.value = 4
    again = first_layer_explorer(snapshots, accuracy=[0.1, 0.5, 0.8, 0.9, 0.95])
    assert bytes(again.image.value) == bytes(explorer.image.value)  # the same picture for the same epoch
    assert explorer.update() is None and explorer.update({"name": "value"}) is None
    assert first_layer_explorer(snapshots, epoch=1, units=8).epoch_slider.value == 1
    assert first_layer_explorer(snapshots[:1]).data["epoch"] == 0  # only the initial weights: a slider of one


def test_the_title_shows_the_accuracy_when_given():
    snapshots = fake_snapshots(epochs=2)
    with_accuracy = first_layer_explorer(snapshots, accuracy=[0.1, 0.6, 0.9])
    without = first_layer_explorer(snapshots)
    assert "test accuracy 90.0%" in with_accuracy._title.get_text()
    assert "accuracy" not in without._title.get_text()
    assert bytes(with_accuracy.image.value) != bytes(without.image.value)


def test_the_accuracy_label_names_what_was_measured():
    snapshots = fake_snapshots(epochs=2)
    explorer = first_layer_explorer(snapshots, accuracy=[0.1, 0.6, 0.9], accuracy_label="validation accuracy")
    assert "validation accuracy 90.0%" in explorer._title.get_text()
    assert "test" not in explorer._title.get_text()
    explorer.epoch_slider.value = 1
    assert "validation accuracy 60.0%" in explorer._title.get_text()
    for bad in ["", None, 3]:
        with pytest.raises(TypeError, match="accuracy_label must be a non-empty str"):
            first_layer_explorer(snapshots, accuracy_label=bad)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"snapshots": np.zeros((3, 784, 4))}, TypeError, "snapshots must be a list of weight matrices"),
    ({"snapshots": "W1"}, TypeError, "snapshots must be a list"),
    ({"snapshots": []}, ValueError, "snapshots is empty"),
    ({"snapshots": [np.zeros((784, 4), dtype=int)]}, TypeError, r"snapshots\[0\] must be a float numpy array"),
    ({"snapshots": [[0.0] * 4] * 784}, TypeError, r"snapshots\[0\] must be a float numpy array"),
    ({"snapshots": [np.zeros(784)]}, ValueError, r"snapshots\[0\] must be 2-D"),
    ({"snapshots": [np.zeros((784, 4)), np.zeros((784, 5))]}, ValueError, r"snapshots\[1\] has shape \(784, 5\)"),
    ({"snapshots": [np.zeros((780, 4))]}, ValueError, "fan_in 780 is not a square number"),
    ({"snapshots": [np.full((784, 4), np.nan)]}, ValueError, r"snapshots\[0\] contains nan or inf"),
    ({"epoch": 5}, ValueError, r"epoch must be an int in \[0, 4\]"),
    ({"epoch": -1}, ValueError, "epoch must be an int"),
    ({"epoch": 1.0}, TypeError, "epoch must be an int"),
    ({"epoch": True}, TypeError, "epoch must be an int"),
    ({"units": 0}, ValueError, r"units must be an int in \[1, 40\]"),
    ({"units": 41}, ValueError, r"units must be an int in \[1, 40\]"),
    ({"units": 2.5}, TypeError, "units must be an int"),
    ({"accuracy": [0.5] * 3}, ValueError, "accuracy must have one value per snapshot: 3 for 5 snapshots"),
    ({"accuracy": [0.5, 0.6, 0.7, 0.8, 98.0]}, ValueError, r"accuracy entries must be fractions in \[0, 1\]"),
    ({"accuracy": 0.9}, TypeError, "accuracy must be None or a list"),
    ({"accuracy": "0.9"}, TypeError, "accuracy must be None or a list"),
    ({"accuracy": [0.5, 0.6, 0.7, 0.8, "x"]}, TypeError, "accuracy entries must be a real number"),
])
def test_bad_inputs_name_the_argument(kwargs, error, message):
    arguments = {"snapshots": fake_snapshots(), "epoch": 1, "units": 32, "accuracy": None, **kwargs}
    with pytest.raises(error, match=message):
        first_layer_frame(**arguments)
    with pytest.raises(error, match=message):  # the explorer checks the same way, before building anything
        first_layer_explorer(**arguments)
