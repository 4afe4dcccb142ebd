"""Chapter 02 (weight updates): gradient descent on a two-parameter regression, the numbers behind
``widgets.lr_explorer``."""

import numpy as np

from .._checks import as_float, as_int

__all__ = ["lr_experiment", "LR_PROBLEM_SEED"]

LR_PROBLEM_SEED = 0


def _lr_problem():
    """Fit y = w x + b to 64 points with x ~ N(1, 1), y = 2x - 1 + noise, by mean squared error.

    The loss is a quadratic bowl in (w, b) with Hessian H = (2/n) [x 1]^T [x 1]; gradient descent
    converges for lr < 2 / lambda_max(H) and overshoots along the steepest direction for lr > 1 / lambda_max(H).
    """
    rng = np.random.default_rng(LR_PROBLEM_SEED)
    x = rng.normal(1.0, 1.0, 64)
    y = 2.0 * x - 1.0 + rng.normal(0.0, 0.3, 64)
    features = np.column_stack([x, np.ones_like(x)])
    hessian = 2.0 * features.T @ features / len(x)
    return features, y, hessian


def lr_experiment(lr, steps=40, start=(-2.0, 3.0)):
    """Gradient descent ``theta <- theta - lr * grad`` on the regression of ``_lr_problem`` from ``start``.

    Returns a dict: ``trajectory`` (steps + 1, 2) of (w, b), ``loss`` (steps + 1,), ``lr_max`` = 2/lambda_max
    (the stability limit), ``lr_best`` = 2/(lambda_max + lambda_min) (fastest worst-case rate) and
    ``verdict``: "good" (the excess loss over the minimum fell below 1% of its start), "too small" (not
    yet, at lr < lr_best), "too large (oscillates)" (not yet, at lr > lr_best: the steep direction
    overshoots back and forth), or "divergent" (the loss grows: lr > lr_max).
    Stops early once the loss passes 1e6.
    """
    lr = as_float(lr, "lr", positive=True)
    steps = as_int(steps, "steps", 1, 10_000)
    features, y, hessian = _lr_problem()
    eigenvalues = np.linalg.eigvalsh(hessian)
    theta = np.array(start, dtype=float)
    trajectory, losses = [theta.copy()], []
    for _ in range(steps + 1):
        residual = features @ theta - y
        losses.append(float(np.mean(residual**2)))
        if len(trajectory) > steps or losses[-1] > 1e6:
            break
        theta = theta - lr * (2.0 * features.T @ residual / len(y))
        trajectory.append(theta.copy())
    trajectory = np.array(trajectory[:len(losses)])
    losses = np.array(losses)
    minimum = float(np.mean((features @ np.linalg.lstsq(features, y, rcond=None)[0] - y) ** 2))
    excess = losses - minimum
    lr_best = 2.0 / (eigenvalues[0] + eigenvalues[-1])
    if excess[-1] > excess[0]:
        verdict = "divergent"
    elif excess[-1] <= 0.01 * excess[0]:
        verdict = "good"
    else:
        verdict = "too large (oscillates)" if lr > lr_best else "too small"
    return {"trajectory": trajectory, "loss": losses, "minimum": minimum, "verdict": verdict,
            "lr_max": float(2.0 / eigenvalues[-1]), "lr_best": float(lr_best)}
