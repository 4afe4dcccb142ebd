"""Gradient descent and momentum on a quadratic, where the convergence rates are known exactly.

On f(w) = 1/2 w^T A w with the eigenvalues of A in [mu, L] and condition number kappa = L / mu (mu is the
smallest eigenvalue here; the momentum is beta):

    gradient descent, lr = 2 / (L + mu):                       rate (kappa - 1) / (kappa + 1)
    heavy ball, lr = 4 / (sqrt L + sqrt mu)^2,
                beta = ((sqrt kappa - 1) / (sqrt kappa + 1))^2:       rate (sqrt kappa - 1) / (sqrt kappa + 1)
    Nesterov, lr = 4 / (3 L + mu),
              beta = (sqrt(3 kappa + 1) - 2) / (sqrt(3 kappa + 1) + 2):  rate 1 - 2 / sqrt(3 kappa + 1)

(Polyak 1964; e.g. Goh 2017, "Why Momentum Really Works", Distill; for Nesterov's tuning on quadratics
Lessard, Recht & Packard 2016, "Analysis and design of optimization algorithms via integral quadratic
constraints", SIAM J. Optim. 26(1), Proposition 1. "Rate" is the factor by which the distance to the minimum
shrinks per step, asymptotically.) The runs use ``course_lib.optim.SGD``, the optimizer the course trains
networks with, in PyTorch's form of momentum.

Along one eigenvector of A, with eigenvalue lambda and a = lr * lambda, the state (w_t, v_t) of that form is
multiplied by a 2 x 2 matrix each step (``iteration_matrix``), whose characteristic polynomial is

    heavy ball:  z^2 - (1 + beta - a) z + beta                 stable iff 0 < a < 2 + 2 beta
    Nesterov:    z^2 - (1 + beta)(1 - a) z + beta (1 - a)      stable iff 0 < a < (2 + 2 beta) / (1 + 2 beta)

(both roots inside the unit circle iff |c0| < 1 and 1 + c1 + c0 > 0 and 1 - c1 + c0 > 0 for z^2 + c1 z + c0:
Jury's criterion for degree 2. p(1) = a > 0 and p(-1) > 0 give the intervals; |c0| < 1 then holds on them:
c0 = beta for the heavy ball, and for Nesterov 1 - a lies in (-1 / (1 + 2 beta), 1), so |beta (1 - a)| <= beta < 1.)
``stability_limit`` is the upper end; ``direction_rates`` the spectral radius of that matrix per eigenvalue,
the asymptotic rate along each eigenvector.

With noisy gradients g = A w + sigma xi (xi standard normal), the loss does not go to 0 but to a floor;
``stationary_loss`` solves for it exactly (the discrete Lyapunov equation of the same matrix). Solving that
equation by hand for the heavy ball (beta = 0 is plain SGD) gives, along one eigenvector, with the effective
learning rate lr_eff = lr / (1 - beta):

    E[lambda w^2 / 2] = (sigma^2 / 2) lr_eff / (2 - lr_eff lambda (1 - beta) / (1 + beta))

(derived here; Nesterov's floor is different, and ``stationary_loss`` computes it too). To first order in
lr_eff lambda the floor is sigma^2 lr_eff / 4 per direction whatever beta is: momentum with lr behaves like
SGD with lr / (1 - beta), the first-order equivalence of Yuan, Ying & Sayed 2016, "On the influence of
momentum acceleration on online learning", JMLR 17.
"""

import math

import numpy as np

from ._checks import as_float, as_unit_interval
from .optim import SGD

__all__ = ["quadratic", "run_optimizer", "measured_rate", "rate_window", "gd_optimal", "heavy_ball_optimal",
           "nesterov_optimal", "iteration_matrix", "direction_rates", "stability_limit", "stationary_loss"]


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


def rate_window(path, skip=0.5):
    """The steps ``(first, last)`` that ``measured_rate(path, skip)`` measures over: from the end of the path's
    first ``skip`` fraction to its end, or to the last step before ||w|| fell below 1e-200 of its start (there
    the iterate is numerically at the minimum). ValueError if fewer than 2 steps are left."""
    norms = np.linalg.norm(path, axis=1)
    if norms[0] > 0:  # ignore the tail once the iterate is numerically at the minimum
        norms = norms[: int(np.argmax(norms < 1e-200 * norms[0])) or len(norms)]
    start = int(len(norms) * skip)
    if len(norms) - start < 2 or norms[start] == 0:
        raise ValueError("the path is too short, or already at the minimum, to measure a rate")
    return start, len(norms) - 1


def measured_rate(path, skip=0.5):
    """The average factor per step by which ||w|| shrinks, over the path after its first ``skip`` fraction
    (the asymptotic rate; > 1 means divergence): (||w_last|| / ||w_first||)^(1 / (last - first)) over
    ``rate_window(path, skip)``. Where the path swings (complex roots), ||w|| oscillates, and the window must
    span many swings for this to approach the theory's rate."""
    first, last = rate_window(path, skip)
    norms = np.linalg.norm(path, axis=1)
    return float((norms[last] / norms[first]) ** (1.0 / (last - first)))


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


def nesterov_optimal(mu, L):
    """(lr, momentum, rate) of Nesterov's method with its best parameters on a quadratic (Lessard, Recht &
    Packard 2016, Proposition 1): lr = 4 / (3 L + mu), momentum (sqrt(3 kappa + 1) - 2) / (sqrt(3 kappa + 1) + 2),
    rate 1 - 2 / sqrt(3 kappa + 1)."""
    root = math.sqrt(3 * L / mu + 1)
    return 4.0 / (3 * L + mu), (root - 2) / (root + 2), 1 - 2 / root


def iteration_matrix(lr, momentum, curvature, nesterov=False):
    """The 2 x 2 matrix that maps (w_t, v_t) to (w_{t+1}, v_{t+1}) along an eigenvector with eigenvalue
    ``curvature`` (lambda), for ``SGD(lr, momentum, nesterov)`` in PyTorch's form, g = lambda w:

        v' = beta v + lambda w;   heavy ball: w' = w - lr v';   Nesterov: w' = w - lr (lambda w + beta v')
    """
    lr, lam = as_float(lr, "lr", nonnegative=True), as_float(curvature, "curvature")
    beta = as_unit_interval(momentum, "momentum")
    if nesterov:
        return np.array([[1 - lr * lam * (1 + beta), -lr * beta**2], [lam, beta]])
    return np.array([[1 - lr * lam, -lr * beta], [lam, beta]])


def direction_rates(A, lr, momentum, nesterov=False):
    """The asymptotic rate along each eigenvector of A (eigenvalues ascending): the spectral radius of
    ``iteration_matrix`` for that eigenvalue. > 1 means the run diverges along that direction."""
    return np.array([np.abs(np.linalg.eigvals(iteration_matrix(lr, momentum, lam, nesterov))).max()
                     for lam in np.linalg.eigvalsh(A)])


def stability_limit(momentum, nesterov=False):
    """The largest lr * lambda for which the iteration converges: 2 + 2 beta (heavy ball, Polyak 1964), or
    (2 + 2 beta) / (1 + 2 beta) (Nesterov in PyTorch's form; derived in the module docstring). Both are 2 at
    beta = 0, plain gradient descent."""
    beta = as_unit_interval(momentum, "momentum")
    return (2 + 2 * beta) / (1 + 2 * beta) if nesterov else 2 + 2 * beta


def stationary_loss(A, lr, momentum, noise_std, nesterov=False):
    """The expected loss 1/2 w^T A w that ``SGD(lr, momentum, nesterov)`` settles at when every gradient is
    A w + noise_std * xi, xi ~ N(0, I): per eigenvector, the stationary covariance P = M P M^T + sigma^2 b b^T of
    the iteration (w, v) -> M (w, v) + b sigma xi, with M = ``iteration_matrix`` and b the noise's entry
    (heavy ball b = (-lr, 1), Nesterov b = (-lr (1 + beta), 1)); infinite outside the stability region."""
    sigma = as_float(noise_std, "noise_std", nonnegative=True)
    beta = as_unit_interval(momentum, "momentum")
    total = 0.0
    for lam in np.linalg.eigvalsh(A):
        M = iteration_matrix(lr, beta, lam, nesterov)
        if np.abs(np.linalg.eigvals(M)).max() >= 1:
            return math.inf
        b = np.array([-lr * (1 + beta) if nesterov else -lr, 1.0])
        P = np.linalg.solve(np.eye(4) - np.kron(M, M), sigma**2 * np.outer(b, b).ravel()).reshape(2, 2)
        total += 0.5 * lam * P[0, 0]
    return float(total)
