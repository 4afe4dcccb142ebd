"""Chapter 04 (momentum): the three common ways to write heavy-ball momentum and how their hyperparameters map
(``momentum_step``, ``equivalent_momentum``), Nesterov's step (``nesterov_step``), the heavy ball and Nesterov on an
ill-conditioned quadratic, the numbers behind ``widgets.momentum_explorer`` (``momentum_experiment``), and the same
quadratic with noisy gradients (``noisy_quadratic_loss``)."""

import math

import numpy as np

from .._checks import as_float, as_int, as_rng, as_unit_interval

__all__ = ["MOMENTUM_FORMS", "momentum_step", "nesterov_step", "equivalent_momentum", "momentum_experiment",
           "noisy_quadratic_loss", "MOMENTUM_START", "MOMENTUM_CURVATURE", "RATE_STEPS"]

MOMENTUM_START = (-2.5, 1.5)
MOMENTUM_CURVATURE = 10.0  # L, the largest eigenvalue of the explorer's quadratic, whatever its condition number
RATE_STEPS = 1000  # the length of the run momentum_experiment measures the rate on (over its second half)


# --------------------------------------------------------------------------------------------------
# The three common ways to write heavy-ball momentum, and how their hyperparameters map
# --------------------------------------------------------------------------------------------------
#
#   form          velocity update                     weight update     used by
#   "velocity"    v = beta * v - lr * g               w = w + v         Sutskever et al. 2013 (who write mu), CS231n
#   "pytorch"     v = beta * v + g                    w = w - lr * v    torch.optim.SGD
#   "ema"         v = beta * v + (1 - beta) * g       w = w - lr' * v   Andrew Ng's course, many blogs
#
# With a constant learning rate the three give the same trajectory with the same beta and
#   lr (velocity) = lr (pytorch),   lr' (ema) = lr / (1 - beta),
# all starting from v = 0 (the pytorch form's first step, v = g, is then the same). With a learning rate
# that changes between steps, the "velocity" form differs: lr is inside v there, so old gradients keep
# the old lr.

MOMENTUM_FORMS = ("velocity", "pytorch", "ema")


def momentum_step(form, w, v, g, lr, momentum):
    """One heavy-ball step in the given ``form`` (see the table above); returns the new ``(w, v)``."""
    if form == "velocity":
        v = momentum * v - lr * g
        return w + v, v
    if form == "pytorch":
        v = momentum * v + g
        return w - lr * v, v
    if form == "ema":
        v = momentum * v + (1 - momentum) * g
        return w - lr * v, v
    raise ValueError(f"unknown form {form!r}; valid: {', '.join(MOMENTUM_FORMS)}")


def nesterov_step(w, v, g, lr, momentum):
    """One step of Nesterov's momentum in PyTorch's form (``SGD(nesterov=True)``, after Sutskever et al. 2013):
    v = beta v + g, w = w - lr (g + beta v); returns the new ``(w, v)``. Works on arrays of runs, as
    ``momentum_step`` does."""
    v = momentum * v + g
    return w - lr * (g + momentum * v), v


def equivalent_momentum(form, lr, momentum):
    """The (lr, momentum) of every form that gives the same trajectory as ``form`` with ``lr, momentum``
    (constant learning rate): ``{"velocity": (lr, beta), "pytorch": (lr, beta), "ema": (lr', beta)}``."""
    lr = as_float(lr, "lr", nonnegative=True)
    momentum = as_unit_interval(momentum, "momentum")
    if form not in MOMENTUM_FORMS:
        raise ValueError(f"unknown form {form!r}; valid: {', '.join(MOMENTUM_FORMS)}")
    base_lr = lr * (1 - momentum) if form == "ema" else lr  # the velocity/pytorch learning rate
    return {"velocity": (base_lr, momentum), "pytorch": (base_lr, momentum),
            "ema": (base_lr / (1 - momentum), momentum)}


def _momentum_quadratic(condition_number):
    """The chapter's valley: eigenvalues L / kappa and L (L = MOMENTUM_CURVATURE), axes rotated by 30 degrees."""
    from ..convergence import quadratic

    kappa = as_float(condition_number, "condition_number")
    if kappa < 1:
        raise ValueError(f"condition_number must be >= 1, got {kappa}")
    return quadratic(kappa, mu=MOMENTUM_CURVATURE / kappa, angle=math.pi / 6)


def _fast_run(A, lr, momentum, nesterov, steps):
    """The path of ``steps`` steps of SGD(lr, momentum, nesterov) on 1/2 w^T A w from MOMENTUM_START, computed
    with ``momentum_step`` / ``nesterov_step``: the same update as ``convergence.run_optimizer`` (the same numbers,
    tests/test_ch04_evidence.py checks it), five times faster, so that the explorer can measure its rate on a
    long run and still redraw quickly. Stops early, as run_optimizer does, if the iterate overflows."""
    w, v = np.array(MOMENTUM_START, dtype=np.float64), np.zeros(2)
    path = [w]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            grad = A @ w
            if not np.all(np.isfinite(grad)) or np.abs(w).max() > 1e150:
                break
            if nesterov:
                w, v = nesterov_step(w, v, grad, lr, momentum)
            else:
                w, v = momentum_step("pytorch", w, v, grad, lr, momentum)
            path.append(w)
    return np.array(path)


def momentum_experiment(lr, momentum, steps=60, condition_number=10.0, nesterov=False, rate_steps=RATE_STEPS):
    """``SGD(lr, momentum, nesterov)`` on f(w) = 1/2 w^T A w, A with eigenvalues L / condition_number and
    L = MOMENTUM_CURVATURE = 10 (axes rotated by 30 degrees), from MOMENTUM_START.

    Returns the ``path`` and the ``loss`` per step for the first ``steps`` steps; the measured ``rate``
    (``convergence.measured_rate``) of a run of ``rate_steps`` steps (or ``steps``, if more) from the same start,
    over its second half, whose first and last step are ``rate_window`` (None if the run is numerically at the
    minimum within a few steps, with rate 0, or overflows within a few steps, with rate inf); the theory's
    ``direction_rates`` (the asymptotic rate along each eigenvector, smallest eigenvalue first); ``limit``, the
    largest stable lr * L
    (``convergence.stability_limit``: 2 + 2 beta for the heavy ball, (2 + 2 beta) / (1 + 2 beta) for Nesterov);
    ``stable`` (lr * L < limit); ``method`` and ``L``.

    The rate is measured on a run longer than the picture because, where the path swings, ||w|| oscillates, and
    the ratio of two distances a few dozen steps apart can exceed 1 on a run that converges: at condition number
    10, lr 0.002 and momentum 0.98 it is 1.003 per step over steps 30 to 60, 0.991 over steps 500 to 1000
    (theory 0.990)."""
    from ..convergence import direction_rates, measured_rate, rate_window, run_optimizer, stability_limit

    lr = as_float(lr, "lr", positive=True)
    momentum = as_float(momentum, "momentum", nonnegative=True)
    if momentum >= 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    steps, rate_steps = as_int(steps, "steps", low=1), as_int(rate_steps, "rate_steps", low=4)
    A = _momentum_quadratic(condition_number)
    nesterov = bool(nesterov) and momentum > 0
    path = run_optimizer(A, MOMENTUM_START, steps, lr, momentum, nesterov)
    run = _fast_run(A, lr, momentum, nesterov, max(steps, rate_steps))
    with np.errstate(over="ignore", invalid="ignore"):
        loss = 0.5 * np.einsum("ti,ij,tj->t", path, A, path)
    limit = stability_limit(momentum, nesterov)
    try:
        rate, window = measured_rate(run), rate_window(run)
    except ValueError:  # too few steps: at the minimum after a few steps (e.g. lr = 1/L on a round bowl), or overflowed
        rate, window = (0.0 if lr * MOMENTUM_CURVATURE < limit else math.inf), None
    method = "Nesterov" if nesterov else "heavy ball" if momentum > 0 else "gradient descent"
    return {"path": path, "loss": loss, "A": A, "rate": rate, "rate_window": window,
            "direction_rates": direction_rates(A, lr, momentum, nesterov), "limit": limit,
            "stable": lr * MOMENTUM_CURVATURE < limit, "method": method, "L": MOMENTUM_CURVATURE}


def noisy_quadratic_loss(lr, momentum, steps, noise_std=1.0, runs=1000, condition_number=10.0, nesterov=False,
                         rng=None):
    """The loss per step, averaged over ``runs`` independent runs, of ``SGD(lr, momentum, nesterov)`` on the
    quadratic of ``momentum_experiment`` when every gradient is noisy: g = A w + noise_std * xi, xi ~ N(0, I)
    drawn afresh for each run and step (a stochastic quadratic, the simplest model of minibatch noise). All runs
    start at MOMENTUM_START; returns an array of ``steps + 1`` mean losses. ``convergence.stationary_loss`` is
    the floor it settles at."""
    from ..optim import SGD

    rng = as_rng(rng)
    steps, runs = as_int(steps, "steps", low=1), as_int(runs, "runs", low=1)
    sigma = as_float(noise_std, "noise_std", nonnegative=True)
    A = _momentum_quadratic(condition_number)
    w = np.tile(np.asarray(MOMENTUM_START, dtype=np.float64), (runs, 1))  # one run per row
    opt = SGD([w], lr=lr, momentum=momentum, nesterov=nesterov)
    loss = np.empty(steps + 1)
    loss[0] = 0.5 * np.einsum("ni,ij,nj->n", w, A, w).mean()
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            opt.step([w @ A + sigma * rng.standard_normal(w.shape)])
            loss[t] = 0.5 * np.einsum("ni,ij,nj->n", w, A, w).mean()
    return loss
