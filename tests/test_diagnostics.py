"""course_lib.diagnostics: per-layer statistics, on hand-made cases and on the chapter 01 experiment."""

import numpy as np
import pytest

from course_lib.diagnostics import (
    SATURATION_THRESHOLD,
    LayerStats,
    activation_statistics,
    dead_fraction,
    format_table,
    layer_statistics,
    propagate,
    saturated_fraction,
)
from course_lib.nn import MLP, softmax_cross_entropy
from course_lib.widgets import init_explorer_data


def hand_made_mlp(activation, W1, b1, W2, b2):
    model = MLP([len(W1), len(b1), len(b2)], activation=activation, rng=0, dtype="float64")
    for param, value in zip(model.params, (W1, b1, W2, b2)):
        param[...] = value
    return model


# --------------------------------------------------------------------------------------------------
# hand-made cases with known answers
# --------------------------------------------------------------------------------------------------


def test_dead_fraction_counts_units_zero_for_every_example():
    a = np.array([[0.0, 1.0, 0.0, 0.0],
                  [0.0, 0.0, 2.0, 0.0],
                  [0.0, 3.0, 0.0, 0.0]])
    assert dead_fraction(a) == 0.5  # columns 0 and 3; column 2 is 0 for two examples only


def test_saturated_fraction_uses_the_099_threshold():
    assert SATURATION_THRESHOLD == 0.99
    tanh_values = np.array([[-0.995, -0.98, 0.0, 0.991], [0.99, 1.0, -1.0, 0.5]])
    assert saturated_fraction(tanh_values, "tanh") == 4 / 8  # |a| > 0.99, strictly
    sigmoid_values = np.array([0.005, 0.01, 0.5, 0.99, 0.995, 1.0])
    assert saturated_fraction(sigmoid_values, "sigmoid") == 3 / 6  # a < 0.01 or a > 0.99


def test_saturated_fraction_bad_activation():
    with pytest.raises(ValueError, match="unknown activation 'relu'; valid: sigmoid, tanh"):
        saturated_fraction(np.zeros(3), "relu")


def test_layer_statistics_relu_with_a_dead_unit():
    # x is non-negative, so unit 1 (weights -1, -1) is 0 for every example: dead. Unit 2 is 0 for the first
    # example only (z = 0 exactly): alive. Dead fraction 1/3.
    x = np.array([[1.0, 0.0], [0.5, 0.5], [2.0, 1.0]])
    model = hand_made_mlp("relu", W1=[[1, -1, 0], [0, -1, 1]], b1=[0, 0, 0], W2=[[1, 0], [0, 1], [1, -1]],
                          b2=[0, 0.5])
    z1 = np.array([[1, -1, 0], [0.5, -1, 0.5], [2, -3, 1]])
    a1 = np.maximum(z1, 0)
    logits = a1 @ np.array([[1, 0], [0, 1], [1, -1]]) + [0, 0.5]
    first, last = layer_statistics(model, x)
    assert first == LayerStats(layer=1, pre_mean=0.0, pre_std=pytest.approx(z1.std()), act_mean=pytest.approx(5 / 9),
                               act_std=pytest.approx(a1.std()), dead_fraction=pytest.approx(1 / 3))
    assert first.saturated_fraction is None and first.grad_std is None
    assert last.layer == 2 and last.act_mean == pytest.approx(logits.mean()) and last.pre_std == last.act_std
    assert last.dead_fraction is None  # the logits have no nonlinearity: does not apply


def test_layer_statistics_tanh_saturation():
    # tanh(2.6) = 0.98903 (not saturated), tanh(2.7) = 0.99101 (saturated), tanh(5.2) = 0.99994.
    x = np.array([[2.6], [2.7], [-2.7], [0.5]])
    model = hand_made_mlp("tanh", W1=[[1.0, 2.0]], b1=[0, 0], W2=[[1, 0], [0, 1]], b2=[0, 0])
    first, last = layer_statistics(model, x)
    # column 1: 2.7 and -2.7; column 2 (z = 5.2, 5.4, -5.4, 1.0): three of four
    assert first.saturated_fraction == 5 / 8
    assert first.dead_fraction is None and last.saturated_fraction is None


def test_layer_statistics_sigmoid_saturation():
    # sigmoid(4.5) = 0.98901, sigmoid(4.7) = 0.99099, sigmoid(-4.7) = 0.00901; column 2 is never saturated.
    x = np.array([[4.5], [4.7], [-4.7], [1.0]])
    model = hand_made_mlp("sigmoid", W1=[[1.0, 0.5]], b1=[0, 0], W2=[[1, 0], [0, 1]], b2=[0, 0])
    first, _ = layer_statistics(model, x)
    assert first.saturated_fraction == 2 / 8
    assert first.act_mean == pytest.approx((1 / (1 + np.exp(-x @ [[1.0, 0.5]]))).mean())


def test_grad_std_only_with_labels_and_equal_to_the_backward_pass():
    rng = np.random.default_rng(1)
    model = MLP([6, 8, 8, 3], activation="relu", bias_init=0.1, rng=rng, dtype="float64")
    x, y = rng.normal(size=(32, 6)), rng.integers(0, 3, 32)
    stats = layer_statistics(model, x)
    assert len(stats) == 3 and all(isinstance(s, LayerStats) for s in stats)
    assert [s.layer for s in stats] == [1, 2, 3]
    assert all(s.grad_std is None for s in stats)
    expected = np.maximum(x @ model.params[0] + model.params[1], 0)
    assert stats[0].act_std == pytest.approx(expected.std())

    with_labels = layer_statistics(model, x, y)
    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    grads = model.backward(dlogits)
    assert [s.grad_std for s in with_labels] == pytest.approx([float(np.std(g)) for g in grads[0::2]], rel=1e-12)
    assert all(s.grad_std > 0 for s in with_labels)
    # the rest of the statistics do not depend on the labels
    assert [(s.pre_std, s.act_std, s.dead_fraction) for s in with_labels] == [
        (s.pre_std, s.act_std, s.dead_fraction) for s in stats]


def test_layer_statistics_bad_input():
    model = MLP([3, 4, 2], rng=0)
    with pytest.raises(TypeError, match="model must be a course_lib.nn.MLP, got str"):
        layer_statistics("model", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        layer_statistics(model, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"y must hold labels in \[0, 2\)"):
        layer_statistics(model, np.zeros((2, 3)), np.array([0, 2]))


def test_propagate_is_the_forward_pass():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    biases = [rng.normal(size=4), rng.normal(size=2)]
    pre, act = propagate(x, weights, "tanh", biases)
    assert len(pre) == len(act) == 2
    np.testing.assert_allclose(pre[0], x @ weights[0] + biases[0])
    np.testing.assert_allclose(act[1], np.tanh(np.tanh(pre[0]) @ weights[1] + biases[1]))
    pre, act = propagate(x, weights, "relu")  # no biases; f on every layer, including the last
    np.testing.assert_allclose(act[1], np.maximum(np.maximum(x @ weights[0], 0) @ weights[1], 0))
    with pytest.raises(ValueError, match="layer 2: input has 4 features but W has shape"):
        propagate(x, [weights[0], weights[0]], "relu")
    with pytest.raises(ValueError, match="biases must have one entry per weight, got 1 for 2"):
        propagate(x, weights, "relu", biases[:1])
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        propagate(x, weights, "softplus")


def test_activation_statistics_report_what_applies():
    stats = activation_statistics(*propagate(np.ones((2, 2)), [np.eye(2) * 10], "tanh"), "tanh")
    assert stats[0].saturated_fraction == 1.0 and stats[0].dead_fraction is None
    stats = activation_statistics(*propagate(np.ones((2, 2)), [-np.eye(2)], "relu"), "relu")
    assert stats[0].dead_fraction == 1.0 and stats[0].saturated_fraction is None
    stats = activation_statistics(*propagate(np.ones((2, 2)), [np.eye(2)], "identity"), "identity")
    assert stats[0].saturated_fraction is None and stats[0].dead_fraction is None


# --------------------------------------------------------------------------------------------------
# format_table
# --------------------------------------------------------------------------------------------------


def test_format_table_marks_not_applicable_cells():
    table = format_table([LayerStats(1, 0.0, 1.0, 0.5, 0.25, dead_fraction=0.125),
                          LayerStats(2, 0.1, 2.0, 0.1, 2.0)])
    lines = table.splitlines()
    assert lines[0].split() == ["layer", "pre_mean", "pre_std", "act_mean", "act_std", "dead_fraction"]
    assert lines[1].split() == ["1", "0", "1", "0.5", "0.25", "0.125"]
    assert lines[2].split()[-1] == "-"
    assert len({len(line) for line in lines}) == 1  # fixed width


def test_format_table_of_layer_statistics():
    rng = np.random.default_rng(2)
    model = MLP([4, 5, 3], activation="relu", rng=rng, dtype="float64")
    x, y = rng.normal(size=(8, 4)), rng.integers(0, 3, 8)
    stats = layer_statistics(model, x, y)
    lines = format_table(stats, digits=2).splitlines()
    header = lines[0].split()
    assert header == ["layer", "pre_mean", "pre_std", "act_mean", "act_std", "dead_fraction", "grad_std"]
    assert "saturated_fraction" not in header  # a column that applies to no layer is left out
    last = dict(zip(header, lines[2].split()))
    assert last["dead_fraction"] == "-" and last["grad_std"] == f"{stats[1].grad_std:.2g}"
    assert dict(zip(header, lines[1].split()))["act_std"] == f"{stats[0].act_std:.2g}"


# --------------------------------------------------------------------------------------------------
# The chapter 01 experiment: 10 layers of 512 on unit-variance input, zero biases.
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "initializer, activation, low, high",
    [
        ("kaiming_normal", "relu", 0.75, 0.95),  # He keeps the signal
        ("xavier_normal", "relu", 0.015, 0.04),  # halves the second moment each layer: ~ sqrt(1/2)^10
        ("lecun_normal", "relu", 0.015, 0.04),
    ],
)
def test_chapter_01_layer_10_std(initializer, activation, low, high):
    data = init_explorer_data(initializer, 1.0, 10, 512, activation)
    assert data["std"].shape == (10,)
    assert low <= data["std"][-1] <= high


def test_chapter_01_standard_normal_saturates_tanh_at_every_layer():
    data = init_explorer_data("normal", 1.0, 10, 512, "tanh")
    assert data["saturated_fraction"].shape == (10,)
    assert np.all(data["saturated_fraction"] > 0.9)
