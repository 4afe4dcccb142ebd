"""Chapter 05's evidence: the experiments behind its claims (course_lib.experiments.ch05_adam) and the properties of
course_lib.optim.Adam/AdamW that the chapter shows (step size per coordinate, decoupled decay, the paper's lambda)."""

import numpy as np
import pytest

from course_lib import data
from course_lib.experiments.ch05_adam import (
    DECAY_OPTIMIZERS,
    SWEEP_OPTIMIZERS,
    decay_without_curvature,
    loshchilov_hutter_adamw,
    lr_sweep,
    make_optimizer,
    optimizer_race,
    rotated_valley,
    rotated_valley_sweep,
)
from course_lib.optim import SGD, Adam, AdamW, RMSprop

# --------------------------------------------------------------------------------------------------
# Adam + L2 against AdamW where the loss is flat
# --------------------------------------------------------------------------------------------------


def test_decay_without_curvature_shows_the_division_by_sqrt_v():
    lr, weight_decay, steps = 0.01, 0.1, 1000
    checkpoints, means = decay_without_curvature((10.0, 0.01), lr, weight_decay, steps=steps,
                                                 checkpoints=[0, 100, steps], weights_per_sigma=200, rng=0)
    assert checkpoints.tolist() == [0, 100, steps]
    assert set(means) == set(DECAY_OPTIMIZERS)
    assert all(m.shape == (3, 2) for m in means.values())
    assert all(np.all(m[0] == 1.0) for m in means.values())  # every weight starts at 1
    decoupled = (1 - lr * weight_decay) ** steps
    # AdamW and SGD: both groups decay as (1 - lr lambda)^t, whatever sigma
    for name in ("AdamW", "SGD + L2", "SGD, decoupled decay"):
        np.testing.assert_allclose(means[name][-1], decoupled, atol=0.02)
    # SGD + L2 and SGD with decoupled decay are one update
    np.testing.assert_allclose(means["SGD + L2"], means["SGD, decoupled decay"], atol=1e-12)
    # Adam + L2: the noisy weights decay about sigma = 10 times more slowly, the quiet ones much faster
    noisy, quiet = means["Adam + L2"][-1]
    assert noisy == pytest.approx((1 - lr * weight_decay / 10) ** steps, abs=0.02)
    assert noisy > 2 * decoupled
    assert abs(quiet) < 0.01 and means["Adam + L2"][1, 1] < means["AdamW"][1, 1] - 0.3


def test_decay_without_curvature_same_noise_for_every_optimizer_and_bad_input():
    a = decay_without_curvature(steps=50, weights_per_sigma=10, rng=3)[1]
    b = decay_without_curvature(steps=50, weights_per_sigma=10, rng=3)[1]
    assert all(np.array_equal(a[name], b[name]) for name in DECAY_OPTIMIZERS)
    with pytest.raises(ValueError, match="sigmas"):
        decay_without_curvature(sigmas=(1.0, -1.0), steps=5)
    with pytest.raises(ValueError, match="checkpoints"):
        decay_without_curvature(steps=5, checkpoints=[10])
    with pytest.raises(TypeError, match="steps"):
        decay_without_curvature(steps=5.0)


# --------------------------------------------------------------------------------------------------
# The paper's lambda against PyTorch's weight_decay
# --------------------------------------------------------------------------------------------------


def _course_adamw(start, grad_fn, alpha, weight_decay, multipliers):
    theta = np.array(start, dtype=float)
    adamw = AdamW([theta], lr=alpha, weight_decay=weight_decay)
    for eta in multipliers:
        adamw.lr = alpha * eta
        adamw.step([grad_fn(theta)])
    return theta


def test_algorithm_2_equals_adamw_with_weight_decay_lambda_over_alpha():
    alpha, paper_lambda = 1e-3, 1e-4
    multipliers = 0.5 * (1 + np.cos(np.pi * np.arange(300) / 300))
    start = np.array([1.0, -2.0, 0.5])

    def grad_fn(theta):
        return np.array([1.0, 10.0, 0.1]) * (theta - 3.0)

    paper = loshchilov_hutter_adamw(start, grad_fn, alpha, paper_lambda, multipliers)
    np.testing.assert_allclose(_course_adamw(start, grad_fn, alpha, paper_lambda / alpha, multipliers), paper,
                               rtol=0, atol=1e-12)
    naive = _course_adamw(start, grad_fn, alpha, paper_lambda, multipliers)
    assert np.abs(naive - paper).max() > 1e-3  # copying lambda across decays 1/alpha = 1000 times too little


def test_algorithm_2_decays_by_the_schedule_multiplier_not_the_learning_rate():
    multipliers = np.linspace(1.0, 0.2, 50)
    theta = loshchilov_hutter_adamw([2.0], lambda t: np.zeros_like(t), alpha=1e-3, weight_decay=0.01,
                                    multipliers=multipliers)
    np.testing.assert_allclose(theta, 2.0 * np.prod(1 - 0.01 * multipliers), rtol=1e-12)


# --------------------------------------------------------------------------------------------------
# What Adam's learning rate means
# --------------------------------------------------------------------------------------------------


def test_adam_first_step_is_lr_per_coordinate_whatever_the_gradient_scale():
    lr = 0.01
    for scale in (1e-3, 1.0, 1e3):
        w = np.zeros(4)
        Adam([w], lr=lr).step([scale * np.array([0.1, 1.0, 100.0, -5.0])])
        np.testing.assert_allclose(np.abs(w), lr, rtol=1e-3)  # lr |g| / (|g| + eps), eps = 1e-8
        np.testing.assert_array_equal(np.sign(w), -np.sign([0.1, 1.0, 100.0, -5.0]))


def test_adam_steps_do_not_change_when_the_loss_is_scaled_and_stay_near_lr():
    rng = np.random.default_rng(0)
    noise, curvature, lr = rng.normal(size=(300, 3)), np.array([0.01, 1.0, 100.0]), 0.01
    ends = []
    for scale in (1e-3, 1.0, 1e3):
        w = np.ones(3)
        adam = Adam([w], lr=lr)
        for g in noise:
            before = w.copy()
            adam.step([scale * (curvature * w + g)])
            assert np.abs(w - before).max() < 1.5 * lr
        ends.append(w.copy())
    np.testing.assert_allclose(ends[0], ends[1], atol=1e-4)  # gradients of 1e-3 are not >> eps everywhere
    np.testing.assert_allclose(ends[2], ends[1], atol=1e-9)
    assert np.abs(ends[1] - 1.0).min() > 0.1  # and the weights did move


def test_adam_step_after_a_long_run_of_zero_gradients_is_the_kingma_ba_bound():
    w, lr = np.zeros(1), 0.01
    adam = Adam([w], lr=lr)
    for _ in range(20000):
        adam.step([np.zeros(1)])
    adam.step([np.ones(1)])
    assert abs(w[0]) / lr == pytest.approx((1 - 0.9) / np.sqrt(1 - 0.999), rel=1e-3)


# --------------------------------------------------------------------------------------------------
# The learning-rate sweep before the race
# --------------------------------------------------------------------------------------------------


def test_make_optimizer_builds_each_with_pytorch_defaults():
    params = [np.zeros(3)]
    kinds = {"SGD": SGD, "momentum 0.9": SGD, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW}
    for name in SWEEP_OPTIMIZERS:
        opt = make_optimizer(name, params, 0.1)
        assert type(opt) is kinds[name] and opt.lr == 0.1
    assert make_optimizer("momentum 0.9", params, 0.1).momentum == 0.9
    assert make_optimizer("SGD", params, 0.1).momentum == 0.0
    assert make_optimizer("AdamW", params, 0.1).weight_decay == 0.01
    assert make_optimizer("Adam", params, 0.1).weight_decay == 0.0
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("Adagrad", params, 0.1)


def test_lr_sweep_returns_the_last_epoch_loss_per_rate_and_inf_for_a_diverged_run():
    x, y = data.spirals(n=60, rng=0)
    sweep = lr_sweep(x, y, lrs=[1e-4, 0.3, 1e200], names=("SGD", "Adam"), seeds=(0,), epochs=3, hidden=8)
    assert set(sweep) == {"SGD", "Adam"} and all(v.shape == (3,) for v in sweep.values())
    assert sweep["SGD"][1] < sweep["SGD"][0]  # lr 0.3 trains, 1e-4 barely moves
    assert np.isinf(sweep["SGD"][2])  # lr 1e200: the logits overflow, the run is marked diverged
    assert np.isfinite(sweep["Adam"][:2]).all()
    with pytest.raises(ValueError, match="unknown optimizer"):
        lr_sweep(x, y, lrs=[0.1], names=("Lion",), epochs=1)


# --------------------------------------------------------------------------------------------------
# The rotated valley
# --------------------------------------------------------------------------------------------------


def test_rotated_valley_is_the_same_quadratic_in_other_coordinates():
    hessian, rotation = rotated_valley(45.0, condition=100.0)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian), [1.0, 100.0])
    np.testing.assert_allclose(hessian[0, 1], -49.5)  # the coordinates mix both directions
    np.testing.assert_allclose(rotated_valley(0.0, 100.0)[0], np.diag([1.0, 100.0]), atol=1e-12)


def test_rotation_leaves_sgd_and_momentum_unchanged_and_slows_adam():
    lrs = 10.0 ** np.arange(-3.0, 1.01, 0.5)
    result = rotated_valley_sweep(angles=(0.0, 45.0), condition=1000.0, lrs=lrs, max_steps=1500)
    for name in ("SGD", "momentum 0.9"):
        np.testing.assert_array_equal(result[name, 0.0], result[name, 45.0])
    assert np.isfinite(result["momentum 0.9", 0.0]).any()
    axis, rotated = result["Adam", 0.0], result["Adam", 45.0]
    assert axis.min() < result["momentum 0.9", 0.0].min() < rotated.min()
    assert np.all(axis[np.isfinite(rotated)] < rotated[np.isfinite(rotated)])  # slower rotated, at every rate


# --------------------------------------------------------------------------------------------------
# A large eps, and the explorer's claims
# --------------------------------------------------------------------------------------------------


def test_adam_with_gradients_far_below_eps_is_ema_momentum_sgd_with_lr_over_eps():
    """Step eta m_hat / (sqrt(v_hat) + eps) -> (eta / eps) m_hat when sqrt(v_hat) << eps: SGD with momentum beta1
    in the EMA form (m bias-corrected) and learning rate eta / eps."""
    rng = np.random.default_rng(0)
    lr, eps, beta1 = 0.1, 1.0, 0.9
    curvature = np.array([1e-3, 1e-2, 1e-4])
    w_adam, w_sgd, m = np.ones(3), np.ones(3), np.zeros(3)
    adam = Adam([w_adam], lr=lr, eps=eps)
    for t in range(1, 501):
        noise = 1e-4 * rng.normal(size=3)
        adam.step([curvature * w_adam + noise])
        m = beta1 * m + (1 - beta1) * (curvature * w_sgd + noise)
        w_sgd -= lr / eps * m / (1 - beta1**t)
    moved = np.abs(1 - w_sgd).max()
    assert moved > 0.3  # the weights moved
    assert np.abs(w_adam - w_sgd).max() < 0.01 * moved


def _sign_changes(x):
    signs = np.sign(x)
    signs = signs[signs != 0]
    return int((signs[1:] != signs[:-1]).sum())


def test_explorer_claims_at_lr_0_05():
    """Chapter 05, 'Try it': at lr 0.05 on (w1^2 + 25 w2^2) / 2, lowering beta1 from 0.9 to 0.5 removes Adam's
    overshoot of w2 = 0 and momentum's swing along w1; momentum keeps zigzagging along w2 at every beta1, because
    lr > 1/25 (even beta1 = 0 changes sign at every step); SGD diverges above lr 2/25 where Adam converges."""
    high, low = optimizer_race(0.05, beta1=0.9), optimizer_race(0.05, beta1=0.5)
    assert _sign_changes(high["Adam"]["path"][:, 1]) > 0 and _sign_changes(high["momentum"]["path"][:, 0]) > 0
    assert _sign_changes(low["Adam"]["path"][:, 0]) == _sign_changes(low["Adam"]["path"][:, 1]) == 0
    assert _sign_changes(low["momentum"]["path"][:, 0]) == 0
    for beta1 in np.arange(0.0, 0.995, 0.05):
        assert _sign_changes(optimizer_race(0.05, beta1=beta1)["momentum"]["path"][:, 1]) >= 20, beta1
    assert _sign_changes(optimizer_race(0.05, beta1=0.0)["momentum"]["path"][:, 1]) == 60
    assert _sign_changes(optimizer_race(0.039, beta1=0.0)["SGD"]["path"][:, 1]) == 0  # lr < 1/25: no overshoot
    fast = optimizer_race(0.1)
    assert fast["SGD"]["loss"][-1] > 1e6 and fast["Adam"]["loss"][-1] < fast["Adam"]["loss"][0] / 100
