"""Gradient descent and momentum on a quadratic, where the convergence rates are known exactly.

On f(w) = 1/2 w^T A w with the eigenvalues of A in [mu, L] and condition number kappa = L / mu:

    gradient descent, lr = 2 / (L + mu):                       rate (kappa - 1) / (kappa + 1)
    heavy ball, lr = 4 / (sqrt L + sqrt mu)^2,
                momentum = ((sqrt kappa - 1) / (sqrt kappa + 1))^2:   rate (sqrt kappa - 1) / (sqrt kappa + 1)
    heavy ball is stable for 0 < lr * lambda < 2 + 2 momentum, for every eigenvalue lambda

(Polyak 1964; e.g. Goh 2017, "Why Momentum Really Works", Distill; "rate" is the factor by which the
distance to the minimum shrinks per step, asymptotically). The runs use ``course_lib.optim.SGD``, the
optimizer the course trains networks with, in PyTorch's form of momentum.
"""

import math

import numpy as np

from ._checks import as_float
from .optim import SGD

__all__ = ["quadratic", "run_optimizer", "measured_rate", "gd_optimal", "heavy_ball_optimal"]


def quadratic(condition_number, mu=1.0, angle=0.0):
    """The 2 x 2 matrix A with eigenvalues mu and mu * condition_number, its axes rotated by ``angle`` radians."""
    kappa = as_float(condition_number, "condition_number")
    if kappa < 1:
        raise ValueError(f"condition_number must be >= 1, got {kappa}")
    mu = as_float(mu, "mu", positive=True)
    c, s = math.cos(angle), math.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    return rotation @ np.diag([mu, mu * kappa]) @ rotation.T


def run_optimizer(A, w0, steps, lr, momentum=0.0, nesterov=False):
    """Minimize 1/2 w^T A w from ``w0`` with ``SGD(lr, momentum, nesterov)``; return the (steps + 1, d) path.
    Stops early (shorter path) if the iterate overflows."""
    w = np.array(w0, dtype=np.float64)
    opt = SGD([w], lr=lr, momentum=momentum, nesterov=nesterov)
    path = [w.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            grad = A @ w
            if not np.all(np.isfinite(grad)) or np.abs(w).max() > 1e150:
                break
            opt.step([grad])
            path.append(w.copy())
    return np.array(path)


def measured_rate(path, skip=0.5):
    """The average factor per step by which ||w|| shrinks, over the path after its first ``skip`` fraction
    (the asymptotic rate; > 1 means divergence). Steps after ||w|| fell below 1e-200 of its start are
    ignored (there the iterate is numerically at the minimum)."""
    norms = np.linalg.norm(path, axis=1)
    if norms[0] > 0:  # ignore the tail once the iterate is numerically at the minimum
        norms = norms[: int(np.argmax(norms < 1e-200 * norms[0])) or len(norms)]
    start = int(len(norms) * skip)
    if len(norms) - start < 2 or norms[start] == 0:
        raise ValueError("the path is too short, or already at the minimum, to measure a rate")
    return float((norms[-1] / norms[start]) ** (1.0 / (len(norms) - 1 - start)))


def gd_optimal(mu, L):
    """(lr, rate) of gradient descent with the best fixed step 2 / (L + mu): rate (kappa - 1) / (kappa + 1)."""
    kappa = L / mu
    return 2.0 / (L + mu), (kappa - 1) / (kappa + 1)


def heavy_ball_optimal(mu, L):
    """(lr, momentum, rate) of Polyak's heavy ball with its optimal parameters."""
    root_kappa = math.sqrt(L / mu)
    lr = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    rate = (root_kappa - 1) / (root_kappa + 1)
    return lr, rate**2, rate
