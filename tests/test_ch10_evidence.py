"""Chapter 10's evidence (course_lib.experiments.ch10_convolutional_weights): a convolution is a sparse dense layer
with shared weights; the receptive-field fan keeps a deep conv stack's activations at scale (the channels-only fan
does not); snapshots are kept where asked; removing filters runs the smaller network from the cached layers."""

import numpy as np
import pytest

from course_lib import init
from course_lib.cnn import CNN
from course_lib.conv import conv2d
from course_lib.experiments.ch10_convolutional_weights import (
    conv_as_dense_matrix,
    conv_stack_activation_stds,
    filter_frame,
    filter_pruning_accuracy,
    train_with_snapshots,
)
from course_lib.optim import Adam


def test_conv_as_dense_matrix_is_the_convolution_sparse_and_shared():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(3, 2, 3, 2))
    M = conv_as_dense_matrix(W, (2, 6, 5), stride=2, padding=1)
    x = rng.normal(size=(4, 2, 6, 5))
    y = conv2d(x, W, stride=2, padding=1)
    assert M.shape == (2 * 6 * 5, y[0].size)
    np.testing.assert_allclose(x.reshape(4, -1) @ M, y.reshape(4, -1), atol=1e-12)
    assert set(np.unique(M[M != 0])) <= set(W.ravel())  # every nonzero entry is one of W's numbers
    M1 = conv_as_dense_matrix(W[:, :, :, :], (2, 6, 5))
    assert np.count_nonzero(M1) == W.size * 4 * 4  # output 4 x 4, stride 1, no padding: every weight at every position
    with pytest.raises(ValueError, match="input_shape"):
        conv_as_dense_matrix(W, (6, 5))


def _stack(start, channels=32, depth=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, channels, 16, 16))
    return conv_stack_activation_stds(x, [start((channels, channels, 3, 3), rng) for _ in range(depth)])


def test_receptive_field_fan_keeps_the_scale_and_channels_only_fan_explodes():
    he = np.exp(np.mean([np.log(_stack(lambda s, r: init.kaiming_normal(s, rng=r), seed=k)) for k in range(4)],
                        axis=0))
    wrong = _stack(lambda s, r: init.normal(s, std=np.sqrt(2 / s[1]), rng=r))
    xavier = _stack(lambda s, r: init.xavier_normal(s, rng=r))
    assert 0.3 < he[-1] < 1.5  # He with fan_in = C*9 stays at scale over 8 layers
    assert wrong[-1] / wrong[0] > 3 ** 7 / 10  # about 3x per layer (sqrt(9)), 7 steps
    assert xavier[-1] / xavier[0] < 0.2  # about 1/sqrt(2) per layer
    linear = _stack(lambda s, r: init.kaiming_normal(s, nonlinearity="linear", rng=r), depth=1)
    assert linear.shape == (1,)
    with pytest.raises(ValueError, match="activation"):
        conv_stack_activation_stds(np.zeros((1, 1, 4, 4)), [np.zeros((1, 1, 3, 3))], activation="tanh")
    with pytest.raises(ValueError, match="even kernel"):
        conv_stack_activation_stds(np.zeros((1, 1, 4, 4)), [np.zeros((1, 1, 2, 2))])


def _small_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, 12, 12)).astype(np.float32)
    y = (x[:, 0, :6].mean(axis=(1, 2)) > x[:, 0, 6:].mean(axis=(1, 2))).astype(np.int64)  # top brighter than bottom
    return x, y


def test_train_with_snapshots_keeps_the_first_layer_where_asked():
    x, y = _small_data()
    model = CNN(channels=(4, 6), kernel_size=3, num_classes=2, input_shape=(1, 12, 12), rng=0)
    W0 = model.params[0].copy()
    run = train_with_snapshots(model, Adam(model.params, lr=0.01), x, y, epochs=2, batch_size=16, rng=0,
                               snapshots_per_epoch=3)
    assert len(run["snapshots"]) == 7 and run["steps"] == [0, 2, 4, 6, 8, 10, 12]
    np.testing.assert_allclose(run["epochs"], [0, 1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2])
    np.testing.assert_array_equal(run["snapshots"][0], W0)
    np.testing.assert_array_equal(run["snapshots"][-1], model.params[0])
    assert run["snapshots"][-1] is not model.params[0]  # copies
    assert len(run["biases"]) == 7 and np.all(run["biases"][0] == 0)  # the first layer's biases, from 0
    np.testing.assert_array_equal(run["biases"][-1], model.params[1])
    assert run["biases"][-1] is not model.params[1] and np.any(run["biases"][-1] != 0)
    assert np.isnan(run["loss"][0]) and np.all(np.isfinite(run["loss"][1:]))
    with pytest.raises(ValueError, match="snapshots_per_epoch"):
        train_with_snapshots(model, Adam(model.params), x, y, epochs=1, batch_size=64, snapshots_per_epoch=3)


def test_filter_frame_shows_the_filters_and_their_maps():
    rng = np.random.default_rng(1)
    snapshots = [rng.normal(size=(5, 1, 3, 3)) for _ in range(3)]
    image = rng.random((10, 9))
    frame = filter_frame(snapshots, 2, image)
    np.testing.assert_array_equal(frame["filters"], snapshots[2][:, 0])
    np.testing.assert_allclose(frame["maps"], np.maximum(conv2d(image[None, None], snapshots[2])[0], 0))
    np.testing.assert_allclose(frame["norms"], np.abs(snapshots[2]).sum(axis=(1, 2, 3)))
    assert frame["change"] == pytest.approx(np.linalg.norm(snapshots[2] - snapshots[0]) / np.linalg.norm(snapshots[0]))
    assert filter_frame(snapshots, 0, image)["change"] == 0
    assert frame["bias"] is None
    biases = [rng.normal(size=5) for _ in range(3)]
    with_bias = filter_frame(snapshots, 2, image, biases)  # the maps as the network computes them
    np.testing.assert_allclose(with_bias["maps"], np.maximum(conv2d(image[None, None], snapshots[2], biases[2])[0], 0))
    np.testing.assert_array_equal(with_bias["bias"], biases[2])
    blank = filter_frame(snapshots, 1, np.zeros((10, 9)), biases)["maps"]  # no ink: every map is relu(b)
    np.testing.assert_allclose(blank, np.broadcast_to(np.maximum(biases[1], 0)[:, None, None], blank.shape))
    with pytest.raises(TypeError, match="biases"):
        filter_frame(snapshots, 0, image, biases[:2])
    with pytest.raises(ValueError, match="biases"):
        filter_frame(snapshots, 0, image, [np.zeros(4)] * 3)
    with pytest.raises(ValueError, match="image"):
        filter_frame(snapshots, 0, rng.random((2, 10, 9)))
    with pytest.raises(ValueError, match="shape"):
        filter_frame([snapshots[0], rng.normal(size=(4, 1, 3, 3))], 0, image)


def test_filter_pruning_accuracy_matches_the_pruned_network():
    x, y = _small_data(n=64)
    model = CNN(channels=(4, 6), kernel_size=3, num_classes=2, input_shape=(1, 12, 12), hidden=(5,), rng=3)
    orders = [[5, 0, 2, 1], [1, 3, 4, 0]]
    got = filter_pruning_accuracy(model, x, y, 1, orders, [0, 1, 3], batch_size=24)
    assert got.shape == (2, 3)
    for r, order in enumerate(orders):
        for c, k in enumerate([0, 1, 3]):
            net = model.without_filters(1, order[:k]) if k else model
            assert got[r, c] == pytest.approx(np.mean(net.predict(x) == y))
    first = filter_pruning_accuracy(model, x, y, 0, [3, 1], [0, 2])
    assert first[0, 1] == pytest.approx(np.mean(model.without_filters(0, [3, 1]).predict(x) == y))
    with pytest.raises(ValueError, match="distinct"):
        filter_pruning_accuracy(model, x, y, 1, [1, 1, 2], [2])
