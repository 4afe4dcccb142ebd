"""Chapter 04 (momentum): the heavy ball on an ill-conditioned quadratic, the numbers behind
``widgets.momentum_explorer``."""

import math

import numpy as np

from .._checks import as_float

__all__ = ["momentum_experiment", "MOMENTUM_START"]

MOMENTUM_START = (-2.5, 1.5)


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
