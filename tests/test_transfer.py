"""course_lib.transfer: reusing layers, freezing them (bit for bit), and training only the rest."""

import numpy as np
import pytest

from course_lib.data import spirals
from course_lib.nn import MLP, softmax_cross_entropy
from course_lib.optim import SGD, Adam, AdamW
from course_lib.transfer import fine_tune, layer_output, reuse_layers, trainable_params


@pytest.fixture
def task():
    x, y = spirals(120, classes=3, rng=0)
    return x, y


def copies(model):
    return [p.copy() for p in model.params]


def test_reuse_layers_copies_the_bottom_layers_and_initializes_the_rest():
    source = MLP([2, 8, 6, 3], rng=0, dtype="float64")
    model = reuse_layers(source, [2, 8, 6, 4], n_layers=2, rng=1)
    assert model.sizes == [2, 8, 6, 4] and model.dtype == source.dtype and model.activation == source.activation
    for i in range(4):
        np.testing.assert_array_equal(model.params[i], source.params[i])
        assert not np.shares_memory(model.params[i], source.params[i])  # copies, not the same arrays
    assert model.params[4].shape == (6, 4)
    fresh = MLP([2, 8, 6, 4], rng=1, dtype="float64")
    np.testing.assert_array_equal(model.params[4], fresh.params[4])  # the head: as a new MLP would draw it
    model.params[0][...] = 0.0
    assert np.any(source.params[0] != 0)  # the source is untouched
    assert reuse_layers(source, [2, 5], n_layers=0, rng=0).sizes == [2, 5]


@pytest.mark.parametrize("args, error, message", [
    (("not a model", [2, 8, 3]), TypeError, "source must be a course_lib.nn.MLP"),
    ((None, [2, 9, 3]), ValueError, r"sizes must start like source's to reuse 1 layer\(s\): \[2, 8\]"),
    ((None, [2, 8, 3], 2), ValueError, r"n_layers must be an int in \[0, 1\]"),
    ((None, [2, 8, 3], -1), ValueError, "n_layers must be an int"),
    ((None, [2, 8, 3], True), TypeError, "n_layers must be an int"),
    ((None, [2, 8, 3], 1, "seed"), TypeError, "rng must be"),
])
def test_reuse_layers_bad_input(args, error, message):
    source = MLP([2, 8, 3], rng=0)
    args = (source if args[0] is None else args[0], *args[1:])
    with pytest.raises(error, match=message):
        reuse_layers(*args)


def test_trainable_params_and_bad_frozen_lists():
    model = MLP([2, 4, 4, 3], rng=0)
    indices, params = trainable_params(model, [0, 2])
    assert indices == [2, 3] and params[0] is model.params[2] and params[1] is model.params[3]
    assert trainable_params(model)[0] == list(range(6))
    with pytest.raises(TypeError, match="frozen must be a list of layer indices"):
        trainable_params(model, 0)
    with pytest.raises(ValueError, match=r"each of frozen \(a layer index\) must be an int in \[0, 2\]"):
        trainable_params(model, [3])
    with pytest.raises(TypeError, match="model must be a course_lib.nn.MLP"):
        trainable_params("model", [0])


def test_layer_output():
    model = MLP([2, 4, 3], rng=0, dtype="float64")
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(layer_output(model, x, 0), x)
    np.testing.assert_allclose(layer_output(model, x, 1), np.maximum(x @ model.params[0] + model.params[1], 0))
    with pytest.raises(ValueError, match=r"n_layers must be an int in \[0, 1\]"):
        layer_output(model, x, 2)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 2\)"):
        layer_output(model, np.zeros((3, 5)), 1)


@pytest.mark.parametrize("frozen", [[0], [0, 1], [1], [2]])
def test_frozen_layers_do_not_change_bit_for_bit_and_the_others_do(task, frozen):
    x, y = task
    model = MLP([2, 16, 16, 3], rng=0, dtype="float64")
    before = copies(model)
    losses = fine_tune(model, x, y, frozen=frozen, steps=60, batch_size=32, lr=1e-2, rng=1)
    assert len(losses) == 60 and np.mean(losses[-10:]) < np.mean(losses[:10])
    for i, (p, q) in enumerate(zip(model.params, before)):
        if i // 2 in frozen:
            np.testing.assert_array_equal(p, q)  # bit for bit
        else:
            assert not np.array_equal(p, q), f"param {i} was not trained"


def naive_fine_tune(model, x, y, frozen, steps, batch_size, lr, rng):
    """The loop without feature extraction: every step goes through the frozen layers."""
    indices, params = trainable_params(model, frozen)
    optimizer, rng, n = Adam(params, lr=lr), np.random.default_rng(rng), len(y)
    order, position = rng.permutation(n), 0
    for _ in range(steps):
        if position + batch_size > n:
            order, position = rng.permutation(n), 0
        batch = order[position:position + batch_size]
        position += batch_size
        _, dlogits = softmax_cross_entropy(model.forward(x[batch]), y[batch])
        grads = model.backward(dlogits)
        optimizer.step([grads[i] for i in indices])


def test_computing_the_frozen_bottom_once_is_the_same_training(task):
    x, y = task
    fast, slow = MLP([2, 16, 8, 3], rng=0, dtype="float64"), MLP([2, 16, 8, 3], rng=0, dtype="float64")
    fine_tune(fast, x, y, frozen=[0], steps=50, batch_size=25, lr=1e-2, rng=3)
    naive_fine_tune(slow, x, y, [0], 50, 25, 1e-2, 3)
    for p, q in zip(fast.params, slow.params):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


def test_fine_tune_with_nothing_frozen_trains_everything_and_small_sets_use_one_batch(task):
    x, y = task
    model = MLP([2, 8, 3], rng=0, dtype="float64")
    before = copies(model)
    fine_tune(model, x[:10], y[:10], steps=5, batch_size=50, rng=0)  # 10 examples: batches of 10
    assert all(not np.array_equal(p, q) for p, q in zip(model.params, before))


def test_zeroed_gradients_do_not_freeze_with_adamw_or_momentum(task):
    """Why fine_tune gives the optimizer only the trainable parameters."""
    x, y = task
    model = MLP([2, 8, 3], rng=0, dtype="float64")
    W1 = model.params[0].copy()
    opt = AdamW(model.params, lr=1e-2, weight_decay=0.1)
    for _ in range(5):
        _, dlogits = softmax_cross_entropy(model.forward(x), y)
        grads = model.backward(dlogits)
        grads[0][...] = 0.0
        opt.step(grads)
    np.testing.assert_allclose(model.params[0], W1 * (1 - 1e-2 * 0.1) ** 5, rtol=1e-12)  # decayed, not frozen
    model = MLP([2, 8, 3], rng=0, dtype="float64")
    opt = SGD(model.params, lr=0.1, momentum=0.9)
    for step in range(6):
        _, dlogits = softmax_cross_entropy(model.forward(x), y)
        grads = model.backward(dlogits)
        if step == 3:
            W1 = model.params[0].copy()
        if step >= 3:
            grads[0][...] = 0.0  # "frozen" from step 3 on ...
        opt.step(grads)
    assert not np.array_equal(model.params[0], W1)  # ... but the momentum buffer keeps moving it


@pytest.mark.parametrize("frozen", [[], [0]])
def test_the_callback_sees_the_model_after_each_step(task, frozen):
    """With the frozen bottom computed once, the head trained is made of the model's own arrays: a callback that
    evaluates ``model`` sees each step's weights."""
    x, y = task
    model, twin = MLP([2, 16, 3], rng=0, dtype="float64"), MLP([2, 16, 3], rng=0, dtype="float64")
    seen = []
    fine_tune(model, x, y, frozen=frozen, steps=7, batch_size=25, lr=1e-2, rng=3,
              callback=lambda step: seen.append((step, float(softmax_cross_entropy(model.forward(x), y)[0]))))
    assert [step for step, _ in seen] == list(range(1, 8))
    fine_tune(twin, x, y, frozen=frozen, steps=3, batch_size=25, lr=1e-2, rng=3)  # the same run, stopped at 3
    assert seen[2][1] == pytest.approx(softmax_cross_entropy(twin.forward(x), y)[0], rel=1e-12)
    assert seen[-1][1] < seen[0][1]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"callback": "print"}, TypeError, "callback must be a function"),
    ({"frozen": [0, 1]}, ValueError, "frozen must leave at least one layer to train"),
    ({"frozen": "0"}, TypeError, "frozen must be a list of layer indices"),
    ({"steps": 0}, ValueError, "steps must be a positive int"),
    ({"batch_size": 1.5}, TypeError, "batch_size must be a positive int"),
    ({"lr": 0.0}, ValueError, "lr must be > 0"),
    ({"lr": "fast"}, TypeError, "lr must be a real number"),
    ({"rng": -1}, ValueError, "rng as a seed must be >= 0"),
])
def test_fine_tune_bad_arguments(task, kwargs, error, message):
    x, y = task
    with pytest.raises(error, match=message):
        fine_tune(MLP([2, 4, 3], rng=0), x, y, **kwargs)


def test_fine_tune_bad_data(task):
    x, y = task
    model = MLP([2, 4, 3], rng=0)
    with pytest.raises(ValueError, match=r"x must be an array of shape \(n, 2\)"):
        fine_tune(model, x[:, :1], y)
    with pytest.raises(ValueError, match="y must hold 120 integer labels"):
        fine_tune(model, x, y[:5])
    with pytest.raises(ValueError, match="y must hold 120 integer labels"):
        fine_tune(model, x, y.astype(float))
    with pytest.raises(TypeError, match="model must be a course_lib.nn.MLP"):
        fine_tune("model", x, y)
