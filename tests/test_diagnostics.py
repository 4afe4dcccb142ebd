"""course_lib.diagnostics: per-layer statistics, on hand-made cases and on the chapter 01 experiment."""

import numpy as np
import pytest

from course_lib.diagnostics import (
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


def test_dead_fraction_counts_units_zero_for_every_example():
    a = np.array([[0.0, 1.0, 0.0, 0.0],
                  [0.0, 0.0, 2.0, 0.0],
                  [0.0, 3.0, 0.0, 0.0]])
    assert dead_fraction(a) == 0.5  # columns 0 and 3


def test_saturated_fraction_uses_the_099_threshold():
    tanh_values = np.array([[-0.995, -0.98, 0.0, 0.991], [0.99, 1.0, -1.0, 0.5]])
    assert saturated_fraction(tanh_values, "tanh") == 4 / 8  # |a| > 0.99, strictly
    sigmoid_values = np.array([0.005, 0.01, 0.5, 0.99, 0.995, 1.0])
    assert saturated_fraction(sigmoid_values, "sigmoid") == 3 / 6


def test_propagate_is_the_forward_pass():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    biases = [rng.normal(size=4), rng.normal(size=2)]
    pre, act = propagate(x, weights, "tanh", biases)
    np.testing.assert_allclose(pre[0], x @ weights[0] + biases[0])
    np.testing.assert_allclose(act[1], np.tanh(np.tanh(pre[0]) @ weights[1] + biases[1]))
    with pytest.raises(ValueError, match="layer 2: input has 4 features but W has shape"):
        propagate(x, [weights[0], weights[0]], "relu")
    with pytest.raises(ValueError, match="one entry per weight"):
        propagate(x, weights, "relu", biases[:1])
    with pytest.raises(ValueError, match="unknown activation"):
        propagate(x, weights, "softplus")


def test_layer_statistics_without_and_with_labels():
    rng = np.random.default_rng(1)
    model = MLP([6, 8, 8, 3], activation="relu", rng=rng, dtype="float64")
    x, y = rng.normal(size=(32, 6)), rng.integers(0, 3, 32)
    stats = layer_statistics(model, x)
    assert len(stats) == 3 and all(isinstance(s, LayerStats) for s in stats)
    assert all(s.grad_std is None for s in stats)
    assert stats[0].dead_fraction is not None and stats[-1].dead_fraction is None  # logits: not applicable
    assert stats[0].act_std == pytest.approx(np.maximum(x @ model.params[0] + model.params[1], 0).std())

    stats = layer_statistics(model, x, y)
    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    grads = model.backward(dlogits)
    assert [s.grad_std for s in stats] == pytest.approx([float(g.std()) for g in grads[0::2]])
    with pytest.raises(TypeError, match="model must be a course_lib.nn.MLP"):
        layer_statistics("model", x)


def test_saturation_is_reported_for_tanh_only():
    stats = activation_statistics(*propagate(np.ones((2, 2)), [np.eye(2) * 10], "tanh"), "tanh")
    assert stats[0].saturated_fraction == 1.0 and stats[0].dead_fraction is None
    stats = activation_statistics(*propagate(np.ones((2, 2)), [np.eye(2)], "identity"), "identity")
    assert stats[0].saturated_fraction is None and stats[0].dead_fraction is None


def test_format_table_marks_not_applicable_cells():
    table = format_table([LayerStats(1, 0.0, 1.0, 0.5, 0.25, dead_fraction=0.125),
                          LayerStats(2, 0.1, 2.0, 0.1, 2.0)])
    lines = table.splitlines()
    assert lines[0].split() == ["layer", "pre_mean", "pre_std", "act_mean", "act_std", "dead_fraction"]
    assert lines[1].split()[-1] == "0.125" and lines[2].split()[-1] == "-"


# The chapter 01 experiment: 10 layers of 512 on unit-variance input.
@pytest.mark.parametrize(
    "initializer, activation, low, high",
    [
        ("kaiming_normal", "relu", 0.75, 0.95),
        ("xavier_normal", "relu", 0.015, 0.04),
        ("lecun_normal", "relu", 0.015, 0.04),
    ],
)
def test_chapter_01_layer_10_std(initializer, activation, low, high):
    data = init_explorer_data(initializer, 1.0, 10, 512, activation)
    assert low <= data["std"][-1] <= high


def test_chapter_01_standard_normal_saturates_tanh():
    data = init_explorer_data("normal", 1.0, 10, 512, "tanh")
    assert np.all(data["saturated_fraction"] > 0.9)
