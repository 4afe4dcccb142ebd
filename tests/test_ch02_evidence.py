"""Chapter 02: the evidence behind its claims (issue 13): the backward signal layer by layer, the gradient tracker,
gradient noise against batch size, mini-batch runs and the rate a batch can use, the learning-rate range test,
clipping and warmup, and the control that separates run length from noise for schedules."""

import numpy as np
import pytest

from course_lib import data
from course_lib.diagnostics import layer_statistics
from course_lib.experiments.ch02_weight_updates import (
    GradientNormTracker,
    backward_signal,
    batch_losses,
    gradient_noise,
    lr_range_test,
)
from course_lib.nn import MLP, softmax_cross_entropy
from course_lib.optim import SGD
from course_lib.schedules import Scheduler, cosine_annealing, linear_warmup, step_decay
from course_lib.train import evaluate, train


@pytest.fixture(scope="module")
def spirals():
    return data.spirals(n=300, classes=3, rng=2)


def small_weights_tanh_net(seed=0, scale=0.5, depth=6):
    model = MLP([2] + [64] * depth + [3], activation="tanh", init="xavier_normal", rng=seed, dtype="float64")
    for W in model.weights:
        W *= scale
    return model


# ---------------------------------------------------------------------------------------------------------
# the "gradient flow" myth: dL/dz vanishes while dL/dW stays level
# ---------------------------------------------------------------------------------------------------------

def test_backward_signal_is_the_backward_pass(spirals):
    x, y = spirals
    model = small_weights_tanh_net()
    signal = backward_signal(model, x, y)
    # dL/dW_l = a_(l-1)^T dL/dz_l from its dz recursion equals the weight gradient of MLP.backward
    stats = layer_statistics(model, x, y)
    np.testing.assert_allclose(signal["dW_std"], [s.grad_std for s in stats], rtol=1e-12)
    np.testing.assert_array_equal(signal["layer"], np.arange(1, 8))
    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    assert signal["dz_std"][-1] == pytest.approx(np.std(dlogits))  # the top of the recursion: dL/dlogits
    assert signal["input_std"][0] == pytest.approx(np.std(x))  # layer 1's input is the data
    assert signal["input_std"][1] == pytest.approx(np.std(model.layer_inputs[1]))


def test_the_myth_network_vanishes_backward_and_forward_at_the_same_rate(spirals):
    x, y = spirals
    signal = backward_signal(small_weights_tanh_net(), x, y)
    dz, inputs, dW = signal["dz_std"], signal["input_std"], signal["dW_std"]
    assert dz[-1] / dz[0] > 100  # the backward signal vanishes towards layer 1 ...
    assert np.all(np.diff(dz[:-1]) > 0) and np.all(1.7 < dz[1:-1] / dz[:-2]) and np.all(dz[1:-1] / dz[:-2] < 2.4)
    assert inputs[0] / inputs[-1] > 100  # ... the forward signal towards layer 7 ...
    assert 5 < dz[-1] / dz[-2] < 8  # the 64x3 output matrix sums only 3 terms backward: a larger drop than 2x
    assert 7 < inputs[0] / inputs[1] < 11 and np.all(1.7 < inputs[1:-1] / inputs[2:])  # the 2x64 first layer: 2 terms
    assert dW.max() / dW.min() < 6  # ... and the weight gradients stay level (Glorot & Bengio 2010, 4.2.1)
    healthy = backward_signal(small_weights_tanh_net(scale=1.0), x, y)
    assert healthy["dz_std"][-2] / healthy["dz_std"][0] < 3  # the control: no vanishing at the Xavier scale


# ---------------------------------------------------------------------------------------------------------
# the gradient tracker
# ---------------------------------------------------------------------------------------------------------

def test_tracker_records_the_norm_of_every_gradient_and_changes_nothing(spirals):
    x, y = spirals
    model, reference = MLP([2, 16, 3], rng=0, dtype="float64"), MLP([2, 16, 3], rng=0, dtype="float64")
    tracker = GradientNormTracker(SGD(model.params, lr=0.3))
    history = train(model, tracker, x, y, epochs=2, batch_size=50, rng=0, progress=False)
    train(reference, SGD(reference.params, lr=0.3), x, y, epochs=2, batch_size=50, rng=0, progress=False)
    for p, q in zip(model.params, reference.params):
        np.testing.assert_array_equal(p, q)
    norms = tracker.weight_norms()
    assert norms.shape == (12, 2) and len(tracker.norms[0]) == 4
    # with one weight matrix per layer and no clipping, the total norm train records is the norm of all four
    total = np.sqrt(np.sum(np.array(tracker.norms) ** 2, axis=1))
    np.testing.assert_allclose(total, history.grad_norm, rtol=1e-10)


def test_tracker_passes_the_learning_rate_through():
    model = MLP([2, 4, 2], rng=0, dtype="float64")
    opt = SGD(model.params, lr=1.0)
    tracker = GradientNormTracker(opt)
    scheduler = Scheduler(tracker, step_decay(0.5, step_size=1, gamma=0.5))
    assert scheduler.step() == 0.5 and opt.lr == 0.5 and tracker.lr == 0.5
    assert tracker.params is opt.params
    with pytest.raises(TypeError, match="optimizer must have step"):
        GradientNormTracker(object())


def test_tracker_shows_the_plateau_of_small_weights(spirals):
    x, y = spirals
    medians = {}
    for scale in [0.5, 1.0]:
        model = small_weights_tanh_net(scale=scale)
        tracker = GradientNormTracker(SGD(model.params, lr=0.5))
        train(model, tracker, x, y, epochs=15, batch_size=32, rng=0, progress=False)
        norms = tracker.weight_norms()
        medians[scale] = np.median(norms[:50], axis=0), np.median(norms[100:], axis=0)
    assert np.all(medians[0.5][0] < medians[1.0][0] / 10)  # the plateau: every layer's gradient is tiny
    assert np.all(medians[0.5][1] > 10 * medians[0.5][0])  # the escape


# ---------------------------------------------------------------------------------------------------------
# batch size
# ---------------------------------------------------------------------------------------------------------

def test_gradient_noise_follows_the_sampling_formula(spirals):
    x, y = spirals
    noise = gradient_noise(MLP([2, 16, 3], rng=0, dtype="float64"), x, y, [1, 10, 100, 300], draws=300, rng=0)
    np.testing.assert_allclose(noise["measured"][:3], noise["predicted"][:3], rtol=0.15)
    assert noise["measured"][-1] < 1e-12 and noise["predicted"][-1] == 0.0  # the full batch has no noise
    assert noise["measured"][0] / noise["measured"][2] == pytest.approx(np.sqrt(100 * 299 / 200), rel=0.2)  # ~1/sqrt(B)
    with pytest.raises(ValueError, match="batch size"):
        gradient_noise(MLP([2, 4, 3], rng=0, dtype="float64"), x, y, [301])


def test_batch_losses_trains_exactly_as_train_does(spirals):
    x, y = spirals
    model, reference = MLP([2, 16, 3], rng=1, dtype="float64"), MLP([2, 16, 3], rng=1, dtype="float64")
    run = batch_losses(model, SGD(model.params, lr=0.5), x, y, epochs=3, batch_size=64, rng=4, full_loss=True)
    history = train(reference, SGD(reference.params, lr=0.5), x, y, epochs=3, batch_size=64, rng=4, progress=False)
    for p, q in zip(model.params, reference.params):
        np.testing.assert_array_equal(p, q)
    assert len(run["loss"]) == len(run["full_loss"]) == 15 and not run["diverged"]
    assert run["epoch"][4] == pytest.approx(1.0) and run["epoch"][-1] == pytest.approx(3.0)
    assert np.sum(run["loss"][-5:] * [64, 64, 64, 64, 44]) / 300 == pytest.approx(history.loss[-1])
    assert run["full_loss"][-1] == pytest.approx(softmax_cross_entropy(model.forward(x), y)[0])
    plain = batch_losses(model, SGD(model.params, lr=0.1), x, y, epochs=1, batch_size=300, rng=0)
    assert "full_loss" not in plain and len(plain["loss"]) == 1


def test_a_larger_batch_can_use_a_larger_rate_per_step(spirals):
    """Section 3, batch size: after 30 steps the full batch gains from lr 2 over lr 0.5 in every seed, batch 4 loses."""
    x, y = spirals

    def after_30_steps(batch_size, lr, seed):
        model = MLP([2, 64, 3], rng=seed, dtype="float64")
        run = batch_losses(model, SGD(model.params, lr=lr), x, y, epochs=30, batch_size=batch_size, rng=seed,
                           full_loss=True, max_steps=30)
        return run["full_loss"][-1]

    for seed in [0, 1, 2]:
        assert after_30_steps(300, 2.0, seed) < after_30_steps(300, 0.5, seed) - 0.1
        assert after_30_steps(4, 2.0, seed) > after_30_steps(4, 0.5, seed)
        assert after_30_steps(300, 8.0, seed) > 1.0  # too large for every batch size


def test_batch_losses_can_stop_after_a_number_of_steps(spirals):
    x, y = spirals
    runs = []
    for max_steps in [None, 7]:
        model = MLP([2, 16, 3], rng=1, dtype="float64")
        runs.append(batch_losses(model, SGD(model.params, lr=0.5), x, y, epochs=2, batch_size=64, rng=4,
                                 full_loss=True, max_steps=max_steps))
    full, short = runs
    assert len(full["loss"]) == 10 and len(short["loss"]) == len(short["full_loss"]) == 7  # stops within epoch 2
    np.testing.assert_array_equal(short["full_loss"], full["full_loss"][:7])
    assert short["epoch"][-1] == pytest.approx(1 + 2 * 64 / 300) and not short["diverged"]
    model = MLP([2, 4, 3], rng=0, dtype="float64")
    with pytest.raises(ValueError, match="max_steps"):
        batch_losses(model, SGD(model.params, lr=0.1), x, y, epochs=1, batch_size=10, max_steps=0)


def test_batch_losses_reports_divergence(spirals):
    x, y = spirals
    model = MLP([2, 16, 3], rng=0, dtype="float64")
    model.params[0][...] = 1e200
    run = batch_losses(model, SGD(model.params, lr=0.1), x * 1e200, y, epochs=2, batch_size=50, rng=0)
    assert run["diverged"] and len(run["loss"]) == 0 and "full_loss" not in run


# ---------------------------------------------------------------------------------------------------------
# the learning-rate range test
# ---------------------------------------------------------------------------------------------------------

def test_range_test_sweeps_geometrically_and_stops_when_the_loss_blows_up(spirals):
    x, y = spirals
    model = MLP([2, 64, 3], rng=0, dtype="float64")
    test = lr_range_test(model, SGD(model.params, lr=1.0), x, y, lr_min=1e-3, lr_max=1e2, steps=200, rng=0)
    ratios = test["lr"][1:] / test["lr"][:-1]
    np.testing.assert_allclose(ratios, (1e5) ** (1 / 199))
    assert test["lr"][0] == pytest.approx(1e-3)
    assert test["lr_blowup"] is not None and test["lr_blowup"] < 1e2 and len(test["lr"]) < 200
    assert test["smoothed"][-1] > 4 * test["smoothed"].min()  # why it stopped
    assert 0.3 < test["lr_at_minimum"] < 5  # section 3: 0.5 is good, 3.0 too large
    assert len(test["loss"]) == len(test["smoothed"]) == len(test["lr"])


def test_range_test_smoothing_is_a_debiased_moving_average(spirals):
    x, y = spirals
    model = MLP([2, 8, 3], rng=0, dtype="float64")
    test = lr_range_test(model, SGD(model.params, lr=1.0), x, y, lr_min=1e-4, lr_max=1e-3, steps=20, rng=0,
                         smoothing=0.5, stop_factor=100)
    average, expected = 0.0, []
    for t, loss in enumerate(test["loss"], start=1):
        average = 0.5 * average + 0.5 * loss
        expected.append(average / (1 - 0.5**t))
    np.testing.assert_allclose(test["smoothed"], expected)
    assert test["smoothed"][0] == test["loss"][0] and test["lr_blowup"] is None and len(test["lr"]) == 20
    with pytest.raises(ValueError, match="smoothing"):
        lr_range_test(model, SGD(model.params, lr=1.0), x, y, smoothing=1.0)


# ---------------------------------------------------------------------------------------------------------
# clipping and warmup rescue the run that explodes at the start (section 4 and 5)
# ---------------------------------------------------------------------------------------------------------

def exploding_net(seed, scale=2.0):
    model = MLP([2] + [64] * 8 + [3], activation="relu", init="kaiming_normal", rng=seed, dtype="float64")
    for W in model.weights:
        W *= scale
    return model


@pytest.mark.parametrize("remedy", ["none", "clip", "warmup"])
def test_clipping_and_warmup_rescue_the_exploding_run(spirals, remedy):
    x, y = spirals
    model = exploding_net(0)
    opt = SGD(model.params, lr=0.05)
    scheduler = Scheduler(opt, linear_warmup(0.05, warmup_steps=100)) if remedy == "warmup" else None
    with np.errstate(over="ignore"):
        history = train(model, opt, x, y, epochs=25, batch_size=32, rng=0, scheduler=scheduler, progress=False,
                        clip_norm=10.0 if remedy == "clip" else None)
    if remedy == "none":
        assert history.diverged_at_step == 4
    else:
        assert history.diverged_at_step is None and history.loss[0] > 50 and min(history.loss) < 0.2


def test_a_long_quiet_run_still_favours_the_constant_rate(spirals):
    """Section 5, the control: setting A (batches of 30, lr 0.5) run for 1800 steps, as long as setting B, still ends
    lower with a constant rate than with cosine annealing: its limit is distance, not noise."""
    x, y = spirals
    final = {}
    for name in ["constant", "cosine"]:
        model = MLP([2, 64, 3], rng=0, dtype="float64")
        opt = SGD(model.params, lr=0.5)
        scheduler = Scheduler(opt, cosine_annealing(0.5, total_steps=1800)) if name == "cosine" else None
        train(model, opt, x, y, epochs=180, batch_size=30, rng=0, scheduler=scheduler, diagnostics=False,
              progress=False)
        final[name] = evaluate(model, x, y)[0]
    assert final["constant"] < 0.8 * final["cosine"]
