"""Chapter 04's evidence (issue 13): Nesterov's stability region in PyTorch's form, the per-direction rates that
explain when Nesterov beats the heavy ball, the noise floor under noisy gradients, and the condition-number slider."""

import math

import numpy as np
import pytest

from course_lib.convergence import (
    direction_rates,
    heavy_ball_optimal,
    iteration_matrix,
    measured_rate,
    nesterov_optimal,
    quadratic,
    run_optimizer,
    stability_limit,
    stationary_loss,
)
from course_lib.experiments.ch04_momentum import (
    MOMENTUM_START,
    _fast_run,
    _momentum_quadratic,
    momentum_experiment,
    nesterov_step,
    noisy_quadratic_loss,
)
from course_lib.optim import SGD
from course_lib.widgets.ch04_momentum import momentum_explorer


@pytest.mark.parametrize("nesterov", [False, True])
def test_iteration_matrix_is_what_sgd_does(nesterov):
    """The matrix maps (w, v) to the next (w, v) of SGD(lr, momentum, nesterov) on f(w) = lambda w^2 / 2."""
    lam, lr, beta = 3.0, 0.2, 0.7
    w = np.array([1.0])
    opt = SGD([w], lr=lr, momentum=beta, nesterov=nesterov)
    state = np.array([1.0, 0.0])  # v = 0 before the first step gives SGD's first step, v = g
    M = iteration_matrix(lr, beta, lam, nesterov)
    for _ in range(20):
        opt.step([lam * w])
        state = M @ state
        assert w[0] == pytest.approx(state[0], rel=1e-12)
        assert opt.state[0]["velocity"][0] == pytest.approx(state[1], rel=1e-12)


def test_nesterov_step_is_sgd_nesterov():
    A = np.diag([1.0, 10.0])
    w_sgd, w, v = np.array([1.0, 1.0]), np.array([1.0, 1.0]), np.zeros(2)
    opt = SGD([w_sgd], lr=0.05, momentum=0.9, nesterov=True)
    for _ in range(30):
        w, v = nesterov_step(w, v, A @ w, 0.05, 0.9)
        opt.step([A @ w_sgd])
    np.testing.assert_allclose(w_sgd, w, rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_spectral_radius_below_one_exactly_inside_the_stated_region(nesterov):
    """On a grid of (lr * lambda, beta): spectral radius < 1 iff 0 < lr * lambda < stability_limit(beta)."""
    checked = 0
    for beta in np.linspace(0.0, 0.98, 50):
        limit = stability_limit(beta, nesterov)
        for product in np.linspace(0.01, 4.5, 300):
            if abs(product - limit) < 1e-6:
                continue  # on the boundary itself the radius is 1 up to rounding
            radius = np.abs(np.linalg.eigvals(iteration_matrix(product / 2.0, beta, 2.0, nesterov))).max()
            assert (radius < 1) == (product < limit), (beta, product, radius, limit)
            checked += 1
    assert checked > 14000


def test_the_two_regions():
    assert stability_limit(0.9) == pytest.approx(3.8)
    assert stability_limit(0.9, nesterov=True) == pytest.approx(3.8 / 2.8)  # 1.357
    assert stability_limit(0.0) == stability_limit(0.0, nesterov=True) == 2.0
    betas = np.linspace(0.01, 0.99, 50)
    assert all(stability_limit(b, True) < 2 < stability_limit(b) for b in betas)


@pytest.mark.parametrize("beta", [0.3, 0.9])
def test_nesterov_runs_converge_inside_and_diverge_outside(beta):
    A = quadratic(10.0)
    limit = stability_limit(beta, nesterov=True) / 10.0
    inside = measured_rate(run_optimizer(A, [1.0, 1.0], 3000, 0.97 * limit, beta, nesterov=True))
    outside = measured_rate(run_optimizer(A, [1.0, 1.0], 3000, 1.03 * limit, beta, nesterov=True))
    assert inside < 1.0 < outside


def test_momentum_experiment_judges_each_method_by_its_own_region():
    heavy, nesterov = momentum_experiment(0.2, 0.9), momentum_experiment(0.2, 0.9, nesterov=True)
    assert heavy["stable"] and heavy["rate"] < 1 and heavy["method"] == "heavy ball"
    assert not nesterov["stable"] and nesterov["rate"] > 1 and nesterov["method"] == "Nesterov"  # 2 > 1.357
    assert nesterov["direction_rates"].max() == pytest.approx(nesterov["rate"], rel=0.02)
    assert momentum_experiment(0.13, 0.9, nesterov=True)["stable"]  # 1.3 < 1.357
    assert not momentum_experiment(0.39, 0.9)["stable"]  # 3.9 > 3.8
    for lr in np.geomspace(0.01, 0.5, 25):  # the verdict agrees with the measured run, for both methods
        for nest in (False, True):
            data = momentum_experiment(float(lr), 0.9, steps=400, nesterov=nest)
            if abs(lr * 10 - data["limit"]) > 0.05:
                assert data["stable"] == (data["rate"] < 1), (lr, nest, data["rate"])


def test_why_nesterov_loses_at_its_textbook_parameters_and_wins_at_shared_ones():
    kappa = 100.0
    A = quadratic(kappa, angle=0.3)
    _, _, heavy = heavy_ball_optimal(1.0, kappa)
    textbook = direction_rates(A, 1 / kappa, (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1), nesterov=True)
    assert textbook[0] == pytest.approx(1 - 1 / math.sqrt(kappa)) and textbook[1] < 1e-6  # flat slow, steep done
    assert textbook.max() > heavy
    # Nesterov's best parameters (Lessard et al. 2016): no (lr, beta) on a grid does better, and still > heavy ball
    lr, beta, rate = nesterov_optimal(1.0, kappa)
    assert direction_rates(A, lr, beta, nesterov=True).max() == pytest.approx(rate, rel=1e-6)
    best = min(direction_rates(A, a, b, nesterov=True).max()
               for a in np.linspace(0.005, 0.02, 61) for b in np.linspace(0.6, 0.95, 71))
    assert best >= rate - 1e-9 and rate > heavy
    # the same (lr, beta) for both: Nesterov's factor beta (1 - lr lambda) damps every direction
    A10 = quadratic(10.0)
    heavy_rates, nesterov_rates = direction_rates(A10, 0.05, 0.9), direction_rates(A10, 0.05, 0.9, nesterov=True)
    np.testing.assert_allclose(heavy_rates, math.sqrt(0.9))
    np.testing.assert_allclose(nesterov_rates, np.sqrt(0.9 * (1 - 0.05 * np.array([1.0, 10.0]))))


@pytest.mark.parametrize("lr, beta", [(0.05, 0.0), (0.005, 0.9), (0.05, 0.9)])
def test_noise_floor_matches_the_lyapunov_solution_and_its_closed_form(lr, beta):
    loss = noisy_quadratic_loss(lr, beta, 2000, noise_std=1.0, runs=400, rng=0)
    A = momentum_experiment(0.1, 0.0, steps=1)["A"]
    floor = stationary_loss(A, lr, beta, 1.0)
    assert loss[1000:].mean() == pytest.approx(floor, rel=0.05)
    effective = lr / (1 - beta)
    closed = sum(0.5 * effective / (2 - effective * lam * (1 - beta) / (1 + beta)) for lam in (1.0, 10.0))
    assert floor == pytest.approx(closed, rel=1e-9)


def test_momentum_does_not_lower_the_floor_at_equal_effective_lr():
    A = quadratic(10.0)
    for effective in (0.05, 0.005):
        sgd, heavy = stationary_loss(A, effective, 0.0, 1.0), stationary_loss(A, effective * 0.1, 0.9, 1.0)
        assert heavy == pytest.approx(sgd, rel=0.2) and heavy <= sgd
        assert sgd == pytest.approx(2 * effective / 4, rel=0.2)  # sigma^2 lr_eff / 4 per direction, 2 directions
    assert stationary_loss(A, 0.05, 0.9, 1.0) > 5 * stationary_loss(A, 0.05, 0.0, 1.0)  # same lr: 10x the step
    assert stationary_loss(A, 0.5, 0.0, 1.0) == math.inf  # lr L = 5 > 2


def test_noisy_quadratic_loss_is_reproducible_and_checks_its_input():
    a, b = noisy_quadratic_loss(0.05, 0.0, 50, runs=10, rng=1), noisy_quadratic_loss(0.05, 0.0, 50, runs=10, rng=1)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (51,)
    np.testing.assert_allclose(noisy_quadratic_loss(0.05, 0.9, 50, noise_std=0.0, runs=3, rng=0),
                               momentum_experiment(0.05, 0.9, steps=50)["loss"], rtol=1e-12)
    with pytest.raises(TypeError, match="rng must be"):
        noisy_quadratic_loss(0.05, 0.0, 10, rng="seed")
    with pytest.raises(ValueError, match="condition_number must be >= 1"):
        momentum_experiment(0.05, 0.0, condition_number=0.5)
    with pytest.raises(ValueError, match="noise_std must be >= 0"):
        noisy_quadratic_loss(0.05, 0.0, 10, noise_std=-1.0)


def test_condition_number_slider():
    explorer = momentum_explorer(lr=0.1, momentum=0.0)
    assert np.linalg.eigvalsh(explorer.data["A"]) == pytest.approx([1.0, 10.0])
    before_image, before_rate = bytes(explorer.image.value), explorer.data["rate"]
    explorer.condition_slider.value = 100.0
    assert np.linalg.eigvalsh(explorer.data["A"]) == pytest.approx([0.1, 10.0])  # L stays 10, mu = L / kappa
    assert bytes(explorer.image.value) != before_image
    assert explorer.data["rate"] > before_rate  # the flatter valley is slower (0.99 against 0.9 per step)
    assert explorer._ax_path.get_title().endswith("condition number 100")
    explorer.momentum_slider.value = 0.8  # momentum helps most where the valley is flattest
    assert explorer.data["rate"] < 0.99


def test_explorer_title_says_nesterov_diverges_where_it_does():
    explorer = momentum_explorer(lr=0.2, momentum=0.9)
    assert "heavy ball" in explorer._title.get_text() and "converges" in explorer._title.get_text()
    explorer.nesterov_checkbox.value = True
    assert "Nesterov" in explorer._title.get_text() and "diverges" in explorer._title.get_text()
    assert "1.36" in explorer._title.get_text()
    explorer.lr_slider.value = 10**-0.9  # 0.126: lr L = 1.26 < 1.357
    assert "converges" in explorer._title.get_text()


# --------------------------------------------------------------------------------------------------
# The explorer's measured rate (review of 04/05: a "converges" title showed rates above 1)
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kappa", [1.0, 10.0, 1000.0])
@pytest.mark.parametrize("lr, beta, nesterov", [(0.05, 0.9, False), (0.2, 0.9, True), (0.39, 0.9, False),
                                                (0.01, 0.0, False), (0.1, 0.5, True)])
def test_fast_run_is_what_run_optimizer_computes(kappa, lr, beta, nesterov):
    """The long run the rate is measured on uses momentum_step / nesterov_step: the same numbers as SGD."""
    A = _momentum_quadratic(kappa)
    np.testing.assert_array_equal(_fast_run(A, lr, beta, nesterov, 800),
                                  run_optimizer(A, MOMENTUM_START, 800, lr, beta, nesterov))


def test_rate_is_measured_over_the_second_half_of_a_long_run():
    swinging = momentum_experiment(0.002, 0.98)  # condition number 10: theory 0.990 per step
    assert swinging["path"].shape == (61, 2) and swinging["rate_window"] == (500, 1000)
    assert swinging["rate"] < 1 and swinging["rate"] == pytest.approx(swinging["direction_rates"].max(), abs=0.002)
    short = momentum_experiment(0.002, 0.98, rate_steps=60)  # over steps 30-60 the distance still grows
    assert short["rate_window"] == (30, 60) and short["rate"] > 1
    nesterov = momentum_experiment(10**-0.9, 0.9, nesterov=True)  # lr 0.126, the chapter's suggestion
    assert nesterov["rate"] == pytest.approx(nesterov["direction_rates"].max(), abs=0.002)  # 0.886 against 0.887
    diverging = momentum_experiment(0.2, 0.9, nesterov=True)  # stops when it overflows; the window is its second half
    assert diverging["rate"] > 2 and diverging["rate_window"][1] < 1000


def test_a_converging_setting_never_shows_a_measured_rate_above_one_unexplained():
    lrs = 10.0 ** np.arange(-3.0, 0.01, 0.15)
    for lr in lrs:
        for beta in (0.0, 0.5, 0.9, 0.95, 0.98, 0.99):
            for nest in (False, True):
                data = momentum_experiment(float(lr), beta, nesterov=nest)
                if data["stable"]:
                    assert data["rate"] < 1, (lr, beta, nest, data["rate"])
    # the one slider setting found whose distance still swings at step 1000 says so in the title
    explorer = momentum_explorer(lr=10**-1.2, momentum=0.99, condition_number=1.0)
    assert explorer.data["stable"] and explorer.data["rate"] >= 1
    assert "still swinging over steps 500-1000" in explorer._title.get_text()
    explorer.momentum_slider.value = 0.9
    assert "converges, rate 0." in explorer._title.get_text() and "over steps 500-1000" in explorer._title.get_text()


def _sign_changes(x):
    signs = np.sign(x)
    signs = signs[signs != 0]
    return int((signs[1:] != signs[:-1]).sum())


def test_at_lr_just_below_2_over_L_the_swing_stops_only_along_the_valley_floor():
    """Chapter 04, section 7: at the slider's lr 0.1995 (lr L = 1.995), over the 60 steps shown, the path along the
    flat eigenvector stops changing sign for momentum <= 0.30 ((1 - sqrt(lr mu))^2 = 0.306); along the steep one it
    changes sign on every step up to 0.17 ((sqrt(lr L) - 1)^2 = 0.170) and on at least half the steps above."""
    lr = 10**-0.7
    assert (1 - math.sqrt(lr * 1.0)) ** 2 == pytest.approx(0.306, abs=1e-3)
    assert (math.sqrt(lr * 10.0) - 1) ** 2 == pytest.approx(0.170, abs=1e-3)
    for beta in np.round(np.arange(0.0, 0.995, 0.01), 2):
        data = momentum_experiment(lr, beta)
        _, eigenvectors = np.linalg.eigh(data["A"])
        along_mu, along_L = (data["path"] @ eigenvectors).T
        assert (_sign_changes(along_mu) == 0) == (beta <= 0.30), beta
        assert _sign_changes(along_L) >= 30, beta
        if beta <= 0.17:
            assert _sign_changes(along_L) == 60, beta


def test_the_closed_form_floor_is_the_heavy_balls_not_nesterovs():
    A = np.diag([10.0])
    lr, beta = 0.005, 0.9
    effective = lr / (1 - beta)
    closed = 0.5 * effective / (2 - effective * 10.0 * (1 - beta) / (1 + beta))
    assert stationary_loss(A, lr, beta, 1.0) == pytest.approx(closed, rel=1e-9)  # 0.01267
    assert stationary_loss(A, lr, beta, 1.0, nesterov=True) < 0.8 * closed  # 0.00954


def test_jurys_third_condition_holds_inside_both_regions():
    """|constant term| < 1 wherever p(1) > 0 and p(-1) > 0: beta for the heavy ball, |beta (1 - a)| for Nesterov."""
    for beta in np.linspace(0.0, 0.99, 100):
        for a in np.linspace(1e-6, stability_limit(beta, nesterov=True), 200, endpoint=False):
            assert abs(beta * (1 - a)) < 1 and 1 - a > -1 / (1 + 2 * beta) - 1e-12
