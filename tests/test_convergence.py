"""Measured convergence rates on a quadratic against the theory (within 5%), and the stability region."""

import numpy as np
import pytest

from course_lib.convergence import gd_optimal, heavy_ball_optimal, measured_rate, quadratic, run_optimizer


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_gradient_descent_rate(kappa):
    A = quadratic(kappa, angle=0.3)
    lr, theory = gd_optimal(1.0, kappa)
    rate = measured_rate(run_optimizer(A, [1.0, 1.0], 400, lr))
    assert rate == pytest.approx(theory, rel=0.05)


@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_heavy_ball_rate(kappa):
    A = quadratic(kappa, angle=0.3)
    lr, momentum, theory = heavy_ball_optimal(1.0, kappa)
    rate = measured_rate(run_optimizer(A, [1.0, 1.0], 600, lr, momentum))
    assert rate == pytest.approx(theory, rel=0.05)
    assert rate < gd_optimal(1.0, kappa)[1]  # momentum is faster


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_stability_region(momentum):
    """Heavy ball is stable iff lr * lambda < 2 + 2 momentum for every eigenvalue (here lambda_max = 10)."""
    A = quadratic(10.0)
    limit = (2 + 2 * momentum) / 10.0
    inside = measured_rate(run_optimizer(A, [1.0, 1.0], 3000, 0.97 * limit, momentum))
    outside = measured_rate(run_optimizer(A, [1.0, 1.0], 3000, 1.03 * limit, momentum))
    assert inside < 1.0 < outside


def test_nesterov_with_its_usual_parameters_beats_gradient_descent():
    """Nesterov with lr = 1/L and momentum (sqrt kappa - 1)/(sqrt kappa + 1) (Nesterov 1983; e.g. Bubeck 2015, 3.7)."""
    kappa = 100.0
    A = quadratic(kappa)
    momentum = (kappa**0.5 - 1) / (kappa**0.5 + 1)
    rate = measured_rate(run_optimizer(A, [1.0, 1.0], 600, 1 / kappa, momentum, nesterov=True))
    assert rate < 1 - 1 / kappa**0.5 + 0.01  # the accelerated rate, about 1 - 1/sqrt(kappa)
    assert rate < gd_optimal(1.0, kappa)[1]


def test_bad_input():
    with pytest.raises(ValueError, match="condition_number must be >= 1"):
        quadratic(0.5)
    with pytest.raises(ValueError, match="too short"):
        measured_rate(np.zeros((2, 2)))
