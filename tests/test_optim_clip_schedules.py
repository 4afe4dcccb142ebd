"""course_lib.optim.SGD, course_lib.clip and course_lib.schedules."""

import math

import numpy as np
import pytest

from course_lib.clip import clip_grad_norm, clip_grad_value
from course_lib.optim import SGD
from course_lib.schedules import (
    Scheduler,
    constant,
    cosine_annealing,
    exponential_range,
    linear_warmup,
    step_decay,
    triangular_cyclical,
)


def test_sgd_step_with_and_without_weight_decay():
    w, b = np.array([1.0, -2.0]), np.array([0.5])
    SGD([w, b], lr=0.1).step([np.array([1.0, 1.0]), np.array([-1.0])])
    np.testing.assert_allclose(w, [0.9, -2.1])
    np.testing.assert_allclose(b, [0.6])
    w = np.array([1.0, -2.0])
    SGD([w], lr=0.1, weight_decay=0.5).step([np.zeros(2)])  # decay alone: w *= 1 - lr * wd
    np.testing.assert_allclose(w, [0.95, -1.9])


def test_sgd_lr_can_change_between_steps():
    w = np.array([0.0])
    opt = SGD([w], lr=1.0)
    for lr in [1.0, 0.5, 0.25]:
        opt.lr = lr
        opt.step([np.array([1.0])])
    np.testing.assert_allclose(w, [-1.75])


@pytest.mark.parametrize(
    "grads, error, match",
    [
        ([np.zeros(2)], ValueError, "grads has 1 arrays but there are 2 parameters"),
        ([np.zeros(3), np.zeros(1)], ValueError, r"grads\[0\] has shape \(3,\) but params\[0\] has shape \(2,\)"),
        ([np.zeros(2, dtype=np.float32), np.zeros(1)], ValueError, "dtype float32"),
        ([np.array([np.nan, 0.0]), np.zeros(1)], ValueError, "nan or inf; no parameter was updated"),
        ([[0.0, 0.0], np.zeros(1)], TypeError, "must be a numpy array"),
        (np.zeros(2), TypeError, "grads must be a list"),
    ],
)
def test_sgd_bad_grads_leave_params_unchanged(grads, error, match):
    w, b = np.array([1.0, 2.0]), np.array([3.0])
    with pytest.raises(error, match=match):
        SGD([w, b], lr=0.1).step(grads)
    np.testing.assert_array_equal(w, [1.0, 2.0])
    np.testing.assert_array_equal(b, [3.0])


def test_sgd_bad_construction():
    with pytest.raises(ValueError, match="lr must be >= 0"):
        SGD([np.zeros(2)], lr=-0.1)
    with pytest.raises(ValueError, match="lr must be finite"):
        SGD([np.zeros(2)], lr=float("inf"))
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        SGD([np.zeros(2)], lr=0.1, weight_decay=-1)
    with pytest.raises(TypeError, match=r"params\[0\] must be a float numpy array"):
        SGD([np.zeros(2, dtype=int)], lr=0.1)
    with pytest.raises(ValueError, match="params is empty"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="params must be a list"):
        SGD(np.zeros(2), lr=0.1)
    opt = SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        opt.lr = -1


def test_clip_grad_norm_scales_all_gradients_together():
    g1, g2 = np.array([3.0, 0.0]), np.array([[0.0], [4.0]])  # total 2-norm 5
    total = clip_grad_norm([g1, g2], max_norm=1.0)
    assert total == pytest.approx(5.0)
    factor = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(g1, [3 * factor, 0.0])
    np.testing.assert_allclose(g2, [[0.0], [4 * factor]])
    assert math.hypot(g1[0], g2[1, 0]) == pytest.approx(1.0, abs=1e-6)


def test_clip_grad_norm_is_a_no_op_below_the_threshold():
    g = np.array([0.3, 0.4])
    assert clip_grad_norm([g], max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(g, [0.3, 0.4])


def test_clip_grad_norm_other_norms():
    g = np.array([1.0, -2.0, 2.0])
    assert clip_grad_norm([g.copy()], 10.0, norm_type=1) == pytest.approx(5.0)
    assert clip_grad_norm([g.copy()], 10.0, norm_type=math.inf) == pytest.approx(2.0)
    h = g.copy()
    clip_grad_norm([h], 1.0, norm_type=math.inf)
    np.testing.assert_allclose(h, g / (2.0 + 1e-6))


def test_clip_grad_norm_bad_input():
    for bad in [0.0, -1.0]:
        with pytest.raises(ValueError, match="max_norm must be > 0"):
            clip_grad_norm([np.ones(2)], bad)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm([np.ones(2)], 1.0, norm_type=0)
    g = np.array([np.inf, 1.0])
    with pytest.raises(ValueError, match="nan or inf, nothing was clipped"):
        clip_grad_norm([g], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(g, [np.inf, 1.0])  # with the error, the gradients are left as they were
    with pytest.raises(TypeError, match="float numpy array"):
        clip_grad_norm([[1.0, 2.0]], 1.0)


def test_clip_grad_norm_with_a_non_finite_norm_scales_anyway_as_torch_does():
    """torch.nn.utils.clip_grad_norm_(error_if_nonfinite=False), PyTorch's default, multiplies by
    min(max_norm / (total + 1e-6), 1) anyway: nan for a nan norm, 0 for an inf norm (and inf * 0 = nan)."""
    g1, g2 = np.array([np.nan, 1.0]), np.array([2.0])
    assert math.isnan(clip_grad_norm([g1, g2], 1.0))
    assert np.all(np.isnan(g1)) and np.all(np.isnan(g2))
    g1, g2 = np.array([np.inf, 1.0]), np.array([2.0, -3.0])
    assert clip_grad_norm([g1, g2], 1.0) == math.inf
    np.testing.assert_array_equal(g1, [np.nan, 0.0])
    np.testing.assert_array_equal(g2, [0.0, 0.0])
    g1, g2 = np.array([2.0]), np.array([np.nan, 1.0])  # a nan after a finite maximum still counts (inf-norm)
    assert math.isnan(clip_grad_norm([g1, g2], 1.0, norm_type=math.inf)) and np.isnan(g1[0])


def test_train_step_refuses_the_step_when_clipping_meets_non_finite_gradients():
    """Finite logits, overflowing gradients: the clipped gradients are nan (as in torch) and the optimizer's step
    refuses them; no parameter changes."""
    from course_lib.nn import MLP
    from course_lib.train import train_step

    model = MLP([2, 4, 2], rng=0, dtype="float64")
    model.params[0][...] = 1e-300
    model.params[2][...] = 1e200
    x, y = np.full((3, 2), 1e200), np.array([0, 1, 0])
    before = [p.copy() for p in model.params]
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(ValueError, match="nan or inf"):
        train_step(model, SGD(model.params, lr=0.1), x, y, clip_norm=1.0)
    for p, q in zip(model.params, before):
        np.testing.assert_array_equal(p, q)


def test_clip_grad_value():
    g = np.array([-3.0, 0.5, 2.0])
    clip_grad_value([g], 1.0)
    np.testing.assert_array_equal(g, [-1.0, 0.5, 1.0])
    with pytest.raises(ValueError, match="clip_value must be > 0"):
        clip_grad_value([g], 0)


def test_step_decay_values():
    lr = step_decay(1.0, step_size=10, gamma=0.5)
    assert [lr(s) for s in (0, 9, 10, 19, 20, 35)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]


def test_cosine_annealing_values():
    lr = cosine_annealing(0.1, total_steps=100, eta_min=0.01)
    assert lr(0) == pytest.approx(0.1)
    assert lr(50) == pytest.approx((0.1 + 0.01) / 2)  # the midpoint at T/2
    assert lr(25) == pytest.approx(0.01 + 0.09 * (1 + math.cos(math.pi / 4)) / 2)
    assert lr(100) == pytest.approx(0.01) and lr(500) == pytest.approx(0.01)


def test_triangular_cyclical_peaks_and_troughs():
    lr = triangular_cyclical(0.001, 0.01, step_size=10)
    for trough in (0, 20, 40):
        assert lr(trough) == pytest.approx(0.001)
    for peak in (10, 30, 50):
        assert lr(peak) == pytest.approx(0.01)
    assert lr(5) == pytest.approx(0.0055) and lr(15) == pytest.approx(0.0055)


def test_linear_warmup_values():
    lr = linear_warmup(0.5, warmup_steps=4)
    assert [lr(s) for s in range(6)] == [0.125, 0.25, 0.375, 0.5, 0.5, 0.5]
    after_cosine = linear_warmup(cosine_annealing(1.0, total_steps=10), warmup_steps=2)
    assert after_cosine(0) == pytest.approx(0.5) and after_cosine(5) == pytest.approx(0.5)  # cosine's midpoint
    assert constant(0.3)(7) == 0.3


def test_exponential_range_values():
    lr = exponential_range(1e-3, 10.0, total_steps=5)
    np.testing.assert_allclose([lr(s) for s in range(5)], [1e-3, 1e-2, 1e-1, 1.0, 10.0])
    assert lr(9) == pytest.approx(10.0)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: linear_warmup(0.1, 0), "warmup_steps must be a positive int"),
        (lambda: linear_warmup(-0.1, 3), "lr must be >= 0"),
        (lambda: exponential_range(1.0, 0.5, 10), "lr_max must be > lr_min"),
        (lambda: exponential_range(0.0, 0.5, 10), "lr_min must be > 0"),
        (lambda: exponential_range(0.1, 0.5, 1), "total_steps must be >= 2"),
        (lambda: step_decay(0.1, 0), "step_size must be a positive int"),
        (lambda: cosine_annealing(0.1, 0), "total_steps must be a positive int"),
        (lambda: triangular_cyclical(0.1, 0.01, 5), "max_lr must be >= base_lr"),
        (lambda: step_decay(-0.1, 5), "lr0 must be >= 0"),
        (lambda: cosine_annealing(0.1, 10)(-1), "step must be an int >= 0"),
    ],
)
def test_schedule_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_scheduler_sets_the_optimizer_lr():
    w = np.array([0.0])
    opt = SGD([w], lr=123.0)
    scheduler = Scheduler(opt, step_decay(1.0, step_size=2, gamma=0.5))
    seen = []
    for _ in range(5):
        seen.append(scheduler.step())
        opt.step([np.array([1.0])])
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25]
    np.testing.assert_allclose(w, [-3.25])
    with pytest.raises(TypeError, match="lr attribute"):
        Scheduler(object(), step_decay(1.0, 2))
    with pytest.raises(TypeError, match="function of the step"):
        Scheduler(opt, 0.1)
