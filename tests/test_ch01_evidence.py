"""The measurements chapter 01 draws its conclusions from: gradients beside activations, tanh's gain, PyTorch's
nn.Linear default, deep linear networks, the trunc_normal_(std=0.02) trap, and training from each start."""

import functools
import math

import numpy as np
import pytest

from course_lib import init
from course_lib.experiments.ch01_initialization import (
    deep_linear_spread,
    deep_linear_training,
    first_step_below,
    init_explorer_data,
    signal_by_layer,
    spiral_task,
    train_from_initializer,
)
from course_lib.nn import ACTIVATIONS


def torch_linear_default(shape, rng):
    """torch.nn.Linear's weights: kaiming_uniform_(W, a=sqrt(5)) with PyTorch's default nonlinearity."""
    return init.kaiming_uniform(shape, a=math.sqrt(5), nonlinearity="leaky_relu", rng=rng)


# --------------------------------------------------------------------------------------------------
# signal_by_layer: one forward and one backward pass
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_signal_by_layer_runs_the_explorers_network(activation):
    """Same input, same weights as init_explorer_data at scale 1: the activation stds are identical."""
    signal = signal_by_layer("xavier_uniform", depth=5, width=64, activation=activation, n_examples=32, rng=4)
    data = init_explorer_data("xavier_uniform", 1.0, 5, 64, activation, n_examples=32, rng=4)
    np.testing.assert_array_equal(signal["act_std"], data["std"])
    key = "dead_fraction" if activation == "relu" else "saturated_fraction"
    np.testing.assert_array_equal(signal[key], data[key])


def _loss_of_weights(weights, x, top_gradient, activation):
    """The loss whose gradient signal_by_layer propagates: mean over the batch of top_gradient . a_L."""
    f, _ = ACTIVATIONS[activation]
    a = x
    for weight in weights:
        a = f(a @ weight)
    return float(np.sum(top_gradient * a) / len(x))


def test_signal_by_layer_weight_gradients_match_finite_differences():
    depth, width, n, seed = 3, 4, 5, 11
    signal = signal_by_layer("lecun_normal", depth=depth, width=width, activation="tanh", n_examples=n, rng=seed)
    rng = np.random.default_rng(seed)  # redraw what signal_by_layer drew, in its order
    x = rng.standard_normal((n, width))
    weights = [init.lecun_normal((width, width), rng=rng) for _ in range(depth)]
    top = rng.standard_normal((n, width))
    h = 1e-6
    for layer in range(depth):
        numeric = np.zeros((width, width))
        for i in range(width):
            for j in range(width):
                up = [w.copy() for w in weights]
                down = [w.copy() for w in weights]
                up[layer][i, j] += h
                down[layer][i, j] -= h
                difference = _loss_of_weights(up, x, top, "tanh") - _loss_of_weights(down, x, top, "tanh")
                numeric[i, j] = difference / (2 * h)
        assert signal["dw_std"][layer] == pytest.approx(numeric.std(), rel=1e-6)


def test_he_keeps_both_passes_flat_and_xavier_shrinks_both_under_relu():
    he = signal_by_layer("kaiming_normal", depth=10, width=256, n_examples=128)
    xavier = signal_by_layer("xavier_normal", depth=10, width=256, n_examples=128)
    for key in ("act_std", "dz_std", "dw_std"):
        assert he[key].max() / he[key].min() < 1.5, key
    assert xavier["act_std"][-1] < xavier["act_std"][0] / 10  # shrinks going up
    assert xavier["dz_std"][0] < xavier["dz_std"][-1] / 10  # shrinks going down
    # dW = a.T @ dz multiplies the two: flat, and 2^(9/2) = 22.6 times smaller than He's (the same normal draws)
    assert xavier["dw_std"].max() / xavier["dw_std"].min() < 1.5
    assert he["dw_std"].mean() / xavier["dw_std"].mean() == pytest.approx(2**4.5, rel=0.1)


def test_tanh_gain_one_fades_and_gain_five_thirds_holds_the_signal_but_grows_the_gradient():
    runs = {gain: signal_by_layer(functools.partial(init.xavier_normal, gain=gain), depth=20, width=128,
                                  activation="tanh", n_examples=64, rng=1) for gain in (1.0, 5 / 3)}
    fading, held = runs[1.0], runs[5 / 3]
    assert fading["act_std"][-1] < 0.2 < 0.5 < held["act_std"][-1]
    assert fading["dz_std"][0] < fading["dz_std"][-1] / 2  # the gradient shrinks on its way down
    assert held["dz_std"][0] > 2 * held["dz_std"][-1]  # and grows with gain 5/3
    assert held["saturated_fraction"][5:].max() < 0.05


def test_torch_linear_default_is_he_uniform_divided_by_sqrt_6_at_every_layer():
    w = torch_linear_default((400, 300), rng=0)
    assert np.abs(w).max() <= 1 / math.sqrt(400)
    assert w.std() == pytest.approx(1 / math.sqrt(3 * 400), rel=0.01)
    he = signal_by_layer("kaiming_uniform", depth=6, width=64, n_examples=32, rng=2)
    linear = signal_by_layer(torch_linear_default, depth=6, width=64, n_examples=32, rng=2)
    np.testing.assert_allclose(linear["act_std"] / he["act_std"], 6.0 ** (-np.arange(1, 7) / 2), rtol=1e-9)
    assert linear["dw_std"][0] / he["dw_std"][0] == pytest.approx(6.0 ** (-5 / 2), rel=1e-9)  # 5 layers above layer 1


def test_signal_by_layer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        signal_by_layer(activation="softplus")
    with pytest.raises(ValueError, match="depth"):
        signal_by_layer(depth=0)
    with pytest.raises(ValueError, match="unknown initializer"):
        signal_by_layer("glorot_lognormal")


# --------------------------------------------------------------------------------------------------
# deep_linear_spread: Saxe et al.'s deep linear network
# --------------------------------------------------------------------------------------------------


def test_orthogonal_products_keep_every_singular_value_and_norm():
    spread = deep_linear_spread("orthogonal", depth=50, width=32, n_inputs=200, rng=0)
    np.testing.assert_allclose(spread["singular_values"], 1.0, atol=1e-10)
    np.testing.assert_allclose(spread["norm_ratio"], 1.0, atol=1e-10)


def test_gaussian_products_of_the_same_variance_spread_with_depth():
    gaussian = functools.partial(init.normal, std=1 / math.sqrt(32))
    shallow = deep_linear_spread(gaussian, depth=1, width=32, n_inputs=500, rng=0)
    deep = deep_linear_spread(gaussian, depth=50, width=32, n_inputs=500, rng=0)

    def in_band(sv):
        return int(np.sum((sv >= 0.5) & (sv <= 2)))

    assert in_band(deep["singular_values"]) < in_band(shallow["singular_values"]) / 4
    for spread in (shallow, deep):  # each ratio lies between the smallest and the largest singular value
        sv, ratio = spread["singular_values"], spread["norm_ratio"]
        assert sv[-1] - 1e-12 <= ratio.min() and ratio.max() <= sv[0] + 1e-12
    low, high = np.percentile(deep["norm_ratio"], [5, 95])
    assert high / low > 3 > np.ptp(np.percentile(shallow["norm_ratio"], [5, 95])) + 1


def test_deep_linear_training_of_one_layer_follows_the_closed_form():
    """Depth 1: W <- W - lr (W - A), so the error shrinks by (1 - lr) per step and the loss by (1 - lr)^2."""
    run = deep_linear_training("orthogonal", depth=1, width=8, lr=0.1, max_steps=200, target=0.05, rng=3)
    steps = np.arange(len(run["loss"]))
    np.testing.assert_allclose(run["loss"], 0.9 ** (2 * steps), rtol=1e-9)
    assert run["steps_to_target"] == math.ceil(math.log(0.05) / (2 * math.log(0.9)))
    assert run["diverged_at"] is None


def test_orthogonal_deep_linear_networks_train_where_gaussian_ones_crawl_or_diverge():
    gaussian = functools.partial(init.normal, std=1 / math.sqrt(32))
    orthogonal = deep_linear_training("orthogonal", depth=10, lr=0.01, max_steps=1000, rng=0)
    slow = deep_linear_training(gaussian, depth=10, lr=0.01, max_steps=1000, rng=0)
    assert orthogonal["steps_to_target"] < 100 and 300 < slow["steps_to_target"]
    assert np.all(np.diff(orthogonal["loss"]) < 0)  # gradient descent with a small step: the loss falls every step
    deep_orthogonal = deep_linear_training("orthogonal", depth=30, lr=0.01, max_steps=1000, rng=0)
    deep_gaussian = deep_linear_training(gaussian, depth=30, lr=0.01, max_steps=1000, rng=0)
    assert deep_orthogonal["steps_to_target"] < 50
    assert deep_gaussian["steps_to_target"] is None and deep_gaussian["diverged_at"] is not None
    with pytest.raises(ValueError, match="lr"):
        deep_linear_training(lr=-1.0)


# --------------------------------------------------------------------------------------------------
# The trunc_normal_(std=0.02) trap: bounds are values
# --------------------------------------------------------------------------------------------------


def test_truncated_normal_with_std_002_and_default_bounds_cuts_nothing():
    as_written = init.truncated_normal((100_000,), std=0.02, rng=7)
    np.testing.assert_array_equal(as_written, init.normal((100_000,), std=0.02, rng=7))
    assert np.abs(as_written).max() > 0.08  # 4 std and more: nothing was cut at 2 std
    as_meant = init.truncated_normal((100_000,), std=0.02, a=-0.04, b=0.04, rng=7)
    assert np.abs(as_meant).max() <= 0.04
    assert as_meant.std() == pytest.approx(init.truncated_normal_std(0.02, -0.04, 0.04), rel=0.01)


# --------------------------------------------------------------------------------------------------
# Training from each start
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def task():
    return spiral_task()


def test_spiral_task_is_split_and_scaled_to_unit_variance(task):
    x, y, x_val, y_val = task
    assert x.shape == (600, 2) and x_val.shape == (200, 2) and y.shape == (600,) and y_val.shape == (200,)
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(x.std(axis=0), 1.0, rtol=1e-12)
    assert set(np.unique(y)) == {0, 1, 2}


def _fixed_he(shape, rng):
    """He-scaled weights that do not depend on ``rng`` (drawn from a generator of their own)."""
    return np.random.default_rng(shape[0] * 10_000 + shape[1]).normal(0.0, math.sqrt(2 / shape[0]), shape)


def _fixed_he_drawing(shape, rng):
    """The same weights, after using the weights' generator."""
    rng.standard_normal(100)
    return _fixed_he(shape, rng)


def test_the_batches_do_not_depend_on_how_the_initializer_uses_its_generator(task):
    """Only the start differs between two runs with one seed: the batches come from a generator of their own."""
    quiet = train_from_initializer(_fixed_he, steps=60, eval_every=10, rng=3, task=task)
    drawing = train_from_initializer(_fixed_he_drawing, steps=60, eval_every=10, rng=3, task=task)
    np.testing.assert_array_equal(quiet["loss"], drawing["loss"])
    other_seed = train_from_initializer(_fixed_he, steps=60, eval_every=10, rng=4, task=task)
    assert not np.array_equal(quiet["loss"][1:], other_seed["loss"][1:])  # other batches, other losses


def test_he_trains_while_the_shrinking_starts_stay_on_the_plateau(task):
    he = train_from_initializer("kaiming_normal", steps=300, rng=0, task=task)
    assert first_step_below(he, 0.1) is not None and he["final_loss"] < 0.2
    for start in (torch_linear_default, functools.partial(init.normal, std=0.01)):
        stuck = train_from_initializer(start, steps=300, rng=0, task=task)
        assert first_step_below(stuck, 1.0) is None
        assert stuck["final_loss"] == pytest.approx(math.log(3), abs=0.01)
        assert stuck["start_act_std"][-1] < 1e-3 < he["start_act_std"][-1]
    assert list(he["steps"][:3]) == [0, 25, 50] and he["steps"][-1] == 300


def test_torch_biases_change_the_start_but_not_the_plateau(task):
    plain = train_from_initializer(torch_linear_default, steps=300, eval_every=100, rng=0, task=task)
    biased = train_from_initializer(torch_linear_default, steps=300, eval_every=100, rng=0, task=task,
                                    torch_biases=True)
    assert biased["loss"][0] != plain["loss"][0]
    assert biased["start_act_std"][0] != plain["start_act_std"][0]  # same weights (drawn first), other biases
    assert biased["final_loss"] == pytest.approx(math.log(3), abs=0.01)


def test_a_diverging_run_is_reported_not_raised(task):
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # none of the warnings numpy prints escapes
        run = train_from_initializer("normal", steps=100, rng=0, task=task)
    assert run["diverged_at"] is not None and run["diverged_at"] < 10
    assert math.isnan(run["final_loss"]) and math.isnan(run["val_accuracy"])
    assert run["loss"][0] > 1e3 and np.isnan(run["loss"][1:]).all()


def test_first_step_below_reads_the_record():
    run = {"steps": np.array([0, 25, 50, 75]), "loss": np.array([1.1, 0.5, 0.09, 0.2])}
    assert first_step_below(run, 0.1) == 50
    assert first_step_below(run, 0.6) == 25
    assert first_step_below(run, 0.01) is None


def test_train_from_initializer_rejects_bad_arguments(task):
    with pytest.raises(TypeError, match="rng"):
        train_from_initializer("kaiming_normal", rng=np.random.default_rng(0), task=task)
    with pytest.raises(ValueError, match="eval_every"):
        train_from_initializer("kaiming_normal", steps=10, eval_every=20, task=task)
    with pytest.raises(ValueError, match="lr"):
        train_from_initializer("kaiming_normal", lr=0.0, task=task)
