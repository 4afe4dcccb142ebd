"""course_lib.pruning: exact sparsity, deterministic ties, global vs per-layer masks, the gradual schedule."""

import numpy as np
import pytest

from course_lib.pruning import global_magnitude_prune, gradual_sparsity, magnitude_prune, sparsity_report


@pytest.mark.parametrize("size", [1, 2, 7, 10, 99, 1000])
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.333, 0.5, 0.9, 0.999, 1.0])
def test_exact_sparsity(size, sparsity):
    w = np.random.default_rng(size).normal(size=size)
    pruned, mask = magnitude_prune(w, sparsity)
    assert np.count_nonzero(~mask) == round(sparsity * size) == np.count_nonzero(pruned == 0)
    if mask.any() and (~mask).any():
        assert np.abs(w[mask]).min() >= np.abs(w[~mask]).max()  # the smallest magnitudes went
    np.testing.assert_array_equal(pruned[mask], w[mask])


def test_shape_dtype_and_input_unchanged():
    w = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    original = w.copy()
    pruned, mask = magnitude_prune(w, 0.5)
    assert pruned.shape == mask.shape == (4, 5) and pruned.dtype == np.float32 and mask.dtype == bool
    np.testing.assert_array_equal(w, original)


def test_ties_are_broken_by_position():
    w = np.array([[1.0, -1.0], [1.0, 2.0]])
    _, mask = magnitude_prune(w, 0.5)
    np.testing.assert_array_equal(mask, [[False, False], [True, True]])  # the first two of the three |w| = 1
    _, masks = global_magnitude_prune([np.ones(2), np.ones(2)], 0.5)
    np.testing.assert_array_equal(np.concatenate(masks), [False, False, True, True])


def test_global_pruning_takes_more_from_layers_with_small_weights():
    rng = np.random.default_rng(1)
    small, large = rng.normal(scale=0.1, size=(50, 20)), rng.normal(scale=1.0, size=(20, 10))
    pruned, masks = global_magnitude_prune([small, large], 0.5)
    total = small.size + large.size
    assert sum(np.count_nonzero(~m) for m in masks) == round(0.5 * total)
    assert np.mean(~masks[0]) > 0.55 and np.mean(~masks[1]) < 0.1  # 589 of 1000 small weights, 11 of 200 large
    threshold = max(np.abs(w[~m]).max() for w, m in zip([small, large], masks))
    assert all(np.abs(w[m]).min() >= threshold for w, m in zip([small, large], masks))
    # per-layer pruning at the same sparsity removes exactly half of each layer instead
    assert [np.mean(~magnitude_prune(w, 0.5)[1]) for w in (small, large)] == [0.5, 0.5]


def test_global_equals_per_layer_for_a_single_array():
    w = np.random.default_rng(2).normal(size=(8, 8))
    np.testing.assert_array_equal(global_magnitude_prune([w], 0.3)[1][0], magnitude_prune(w, 0.3)[1])


def test_gradual_schedule_values():
    kwargs = dict(final_sparsity=0.9, initial_sparsity=0.0, start_step=100, num_prunes=10, prune_every=10)
    assert gradual_sparsity(0, **kwargs) == 0.0 and gradual_sparsity(100, **kwargs) == 0.0
    assert gradual_sparsity(150, **kwargs) == pytest.approx(0.9 + (0.0 - 0.9) * 0.5**3)
    assert gradual_sparsity(200, **kwargs) == pytest.approx(0.9) and gradual_sparsity(10_000, **kwargs) == 0.9
    values = [gradual_sparsity(t, **kwargs) for t in range(100, 201)]
    assert all(b >= a for a, b in zip(values, values[1:]))  # monotone
    assert np.all(np.diff(values) >= 0) and values[1] - values[0] > values[-1] - values[-2]  # fast, then slow
    assert gradual_sparsity(3, 0.5, num_prunes=5, prune_every=1) == pytest.approx(0.5 - 0.5 * 0.4**3)  # n < 10 works


def test_sparsity_report():
    rows = sparsity_report([np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([1.0, 2.0])], names=["W1", "W2"])
    assert rows == [("W1", (2, 2), 3, 0.75), ("W2", (2,), 0, 0.0), ("all", (6,), 3, 0.5)]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: magnitude_prune(np.ones(3), 1.5), ValueError, r"sparsity must be in \[0, 1\]"),
        (lambda: magnitude_prune(np.ones(3), -0.1), ValueError, r"sparsity must be in \[0, 1\]"),
        (lambda: magnitude_prune(np.array([1.0, np.nan]), 0.5), ValueError, "nan or inf"),
        (lambda: magnitude_prune([1.0, 2.0], 0.5), TypeError, "w must be a float numpy array"),
        (lambda: magnitude_prune(np.ones(3, dtype=int), 0.5), TypeError, "float numpy array"),
        (lambda: global_magnitude_prune([], 0.5), ValueError, "weights is empty"),
        (lambda: global_magnitude_prune([np.ones(2), np.array([np.inf])], 0.5), ValueError, r"weights\[1\]"),
        (lambda: gradual_sparsity(5, 0.5, num_prunes=0), ValueError, "num_prunes must be a positive int"),
        (lambda: gradual_sparsity(-1, 0.5), ValueError, "step must be an int >= 0"),
        (lambda: gradual_sparsity(5, 1.2), ValueError, "sparsity must be in"),
        (lambda: sparsity_report([np.ones(2)], names=["a", "b"]), ValueError, "one entry per array"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------------
# Pruner and structured pruning
# --------------------------------------------------------------------------------------------------

from course_lib import data  # noqa: E402
from course_lib.nn import MLP  # noqa: E402
from course_lib.optim import SGD  # noqa: E402
from course_lib.pruning import Pruner, mask_units, structured_prune  # noqa: E402
from course_lib.train import train  # noqa: E402


def test_pruner_keeps_pruned_weights_at_zero_during_training():
    x, y = data.moons(n=200, rng=0)
    model = MLP([2, 32, 32, 2], rng=0, dtype="float64")
    _, masks = global_magnitude_prune(model.weights, 0.7)
    pruner = Pruner(model, masks)
    history = train(model, SGD(model.params, lr=0.1, momentum=0.9, weight_decay=1e-3), x, y, epochs=20, rng=0,
                    pruner=pruner, progress=False)
    for W, m in zip(model.weights, masks):
        assert np.all(W[~m] == 0)  # no regrowth, even with momentum and weight decay
    assert sum(np.count_nonzero(~m) for m in masks) == round(0.7 * sum(W.size for W in model.weights))
    assert history.accuracy[-1] > 0.85  # fine-tuning with 30% of the weights still fits the moons


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_structured_pruning_equals_masking(activation):
    rng = np.random.default_rng(0)
    model = MLP([5, 16, 12, 3], activation=activation, bias_init=0.1, rng=0, dtype="float64")
    smaller, kept = structured_prune(model, 0.5)
    assert smaller.sizes == [5, 8, 6, 3] and [len(k) for k in kept] == [8, 6]
    assert [p.shape for p in smaller.params] == [(5, 8), (8,), (8, 6), (6,), (6, 3), (3,)]
    x = rng.normal(size=(20, 5))
    np.testing.assert_allclose(smaller.forward(x), mask_units(model, kept).forward(x), rtol=1e-12, atol=1e-12)
    norms = np.linalg.norm(model.weights[0], axis=0)  # the units kept have the largest incoming norms
    assert norms[kept[0]].min() >= np.delete(norms, kept[0]).max()


def test_pruner_bad_masks():
    model = MLP([2, 3, 2], rng=0)
    with pytest.raises(ValueError, match="one entry per weight matrix"):
        Pruner(model, [np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"masks\[1\] has shape \(2, 3\) but W2 has shape \(3, 2\)"):
        Pruner(model, [np.ones((2, 3)), np.ones((2, 3))])


def test_pruner_refuses_a_model_whose_weights_are_not_its_params():
    from course_lib.weightnorm import WeightNormMLP

    model = WeightNormMLP([4, 5, 3], rng=0)
    masks = [np.ones(W.shape, dtype=bool) for W in model.weights]
    with pytest.raises(TypeError, match="Pruner needs a model whose params are"):
        Pruner(model, masks)


# --------------------------------------------------------------------------------------------------
# compressed sparse rows
# --------------------------------------------------------------------------------------------------


def test_csr_round_trip_stores_only_the_non_zeros():
    from course_lib.pruning import from_csr, to_csr

    w = np.random.default_rng(3).normal(size=(5, 300))
    w[np.abs(w) < 1.0] = 0.0
    w[2] = 0.0  # an empty row
    values, indices, indptr = to_csr(w)
    assert values.size == indices.size == np.count_nonzero(w) and indptr.size == 6
    assert indices.dtype == np.uint16  # 300 columns need more than a byte
    assert indptr[2] == indptr[3]  # row 2 is empty
    np.testing.assert_array_equal(values[indptr[1]:indptr[2]], w[1][w[1] != 0])
    np.testing.assert_array_equal(from_csr(values, indices, indptr, w.shape), w)
    small = to_csr(np.eye(4))
    assert small[1].dtype == small[2].dtype == np.uint8
    with pytest.raises(ValueError, match="2-D"):
        to_csr(np.ones(3))
    with pytest.raises(ValueError, match="indptr"):
        from_csr(values, indices, indptr, (4, 300))
