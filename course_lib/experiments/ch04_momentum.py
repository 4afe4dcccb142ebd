"""Chapter 04 (momentum): the three common ways to write heavy-ball momentum and how their hyperparameters map
(``momentum_step``, ``equivalent_momentum``), and the heavy ball on an ill-conditioned quadratic, the numbers behind
``widgets.momentum_explorer``."""

import math

import numpy as np

from .._checks import as_float, as_unit_interval

__all__ = ["MOMENTUM_FORMS", "momentum_step", "equivalent_momentum", "momentum_experiment", "MOMENTUM_START"]

MOMENTUM_START = (-2.5, 1.5)


# --------------------------------------------------------------------------------------------------
# The three common ways to write heavy-ball momentum, and how their hyperparameters map
# --------------------------------------------------------------------------------------------------
#
#   form          velocity update                     weight update     used by
#   "velocity"    v = mu * v - lr * g                 w = w + v         Sutskever et al. 2013, CS231n
#   "pytorch"     v = beta * v + g                    w = w - lr * v    torch.optim.SGD
#   "ema"         v = beta * v + (1 - beta) * g       w = w - lr' * v   Andrew Ng's course, many blogs
#
# With a constant learning rate the three give the same trajectory when
#   mu = beta,   lr (velocity) = lr (pytorch),   lr' (ema) = lr / (1 - beta),
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


def equivalent_momentum(form, lr, momentum):
    """The (lr, momentum) of every form that gives the same trajectory as ``form`` with ``lr, momentum``
    (constant learning rate): ``{"velocity": (lr, mu), "pytorch": (lr, beta), "ema": (lr', beta)}``."""
    lr = as_float(lr, "lr", nonnegative=True)
    momentum = as_unit_interval(momentum, "momentum")
    if form not in MOMENTUM_FORMS:
        raise ValueError(f"unknown form {form!r}; valid: {', '.join(MOMENTUM_FORMS)}")
    base_lr = lr * (1 - momentum) if form == "ema" else lr  # the velocity/pytorch learning rate
    return {"velocity": (base_lr, momentum), "pytorch": (base_lr, momentum),
            "ema": (base_lr / (1 - momentum), momentum)}


def momentum_experiment(lr, momentum, steps=60, condition_number=10.0, nesterov=False):
    """``SGD(lr, momentum)`` on f(w) = 1/2 w^T A w, A with eigenvalues 1 and ``condition_number`` (axes
    rotated by 30 degrees), from MOMENTUM_START. Returns the path, the loss per step, the measured rate,
    and ``stable``: lr * lambda_max < 2 + 2 momentum (the heavy-ball stability condition)."""
    from ..convergence import measured_rate, quadratic, run_optimizer

    lr = as_float(lr, "lr", positive=True)
    momentum = as_float(momentum, "momentum", nonnegative=True)
    if momentum >= 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    A = quadratic(condition_number, angle=math.pi / 6)
    path = run_optimizer(A, MOMENTUM_START, steps, lr, momentum, nesterov and momentum > 0)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = 0.5 * np.einsum("ti,ij,tj->t", path, A, path)
    lam_max = float(np.linalg.eigvalsh(A)[-1])
    return {"path": path, "loss": loss, "A": A, "rate": measured_rate(path) if len(path) > 3 else float("inf"),
            "stable": lr * lam_max < 2 + 2 * momentum}
