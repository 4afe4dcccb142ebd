"""What a weight does and does not say about a feature (chapter 09): a logistic regression fitted exactly, and
permutation importance.

``fit_logistic_regression`` finds the maximum-likelihood weights of p(y=1 | x) = sigmoid(x . w + b) by Newton's
method (iteratively reweighted least squares; Hastie, Tibshirani & Friedman, "The Elements of Statistical
Learning", 2nd ed., Sec. 4.4.1). It fits to convergence, so that two fits compare optima, not where an optimizer
happened to stop: rescaling a feature by ``c`` then divides its weight by ``c``, with the same predictions.

``permutation_importance`` measures how much a fitted model relies on a feature: the drop of its score when that
feature's column is shuffled across the examples (which keeps the feature's distribution and breaks its link
with the label). Breiman 2001, "Random Forests", Sec. 10; Fisher, Rudin & Dominici 2019 ("model reliance");
the same as ``sklearn.inspection.permutation_importance``. Unlike a weight, it does not change with the
feature's units. Shuffling one of two correlated features leaves the other to carry its information, so
correlated features should be shuffled together (``features=[[0, 1], ...]``, a group).
"""

import numbers
from typing import NamedTuple

import numpy as np

from ._checks import as_float, as_int, as_rng

__all__ = ["fit_logistic_regression", "accuracy_score", "PermutationImportance", "permutation_importance"]


def _check_x(x, name="x"):
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a 2-D numpy array of numbers (n, features), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains nan or inf")
    return x.astype(np.float64, copy=False)


def _check_labels(y, n, name="y"):
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "biu":
        raise ValueError(f"{name} must hold {n} integer labels, got shape {y.shape}, dtype {y.dtype}")
    return y


def _logistic_loss(z, y):
    """mean(log(1 + exp(z)) - y z), without overflow."""
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def fit_logistic_regression(x, y, l2=0.0, max_iter=100, tol=1e-10):
    """Maximum-likelihood logistic regression: ``(w, b)`` minimizing

        L(w, b) = mean_i [log(1 + exp(z_i)) - y_i z_i] + (l2 / 2) ||w||^2,     z_i = x_i . w + b,

    with ``y`` in {0, 1}, by Newton's method from w = 0, b = 0. Each step d solves H d = g for the gradient
    g = X1^T (p - y) / n + l2 w and the Hessian H = X1^T S X1 / n + l2 I (X1: x with a column of ones for b,
    p = sigmoid(z), S = diag(p (1 - p)); the bias is not penalized), and is halved while it would increase L.
    Stops when max |d| < ``tol`` (``max_iter`` steps at most).

    d is the minimum-norm solution (``np.linalg.lstsq``), so a singular H is fine: when two columns are copies
    of each other, only the sum of their weights is determined, and the iterates, started at 0, never move along
    the direction the data cannot see; the copies end with equal weights (the minimum-norm optimum, which
    gradient descent from 0 reaches too). Without ``l2`` the fit is equivariant: scaling a column by c divides
    its weight by c and changes no prediction. The data must not be separable (the optimum would be at infinity).
    """
    x = _check_x(x)
    y = _check_labels(y, len(x))
    if len(x) and not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold the labels 0 and 1")
    l2 = as_float(l2, "l2", nonnegative=True)
    tol = as_float(tol, "tol", positive=True)
    max_iter = as_int(max_iter, "max_iter", low=1)
    n, d = x.shape
    x1 = np.hstack([x, np.ones((n, 1))])
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0

    def objective(theta):
        return _logistic_loss(x1 @ theta, y) + 0.5 * float(np.sum(penalty * theta**2))

    theta = np.zeros(d + 1)
    value = objective(theta)
    for _ in range(max_iter):
        p = 0.5 * (1.0 + np.tanh(0.5 * (x1 @ theta)))  # sigmoid, without overflow
        grad = x1.T @ (p - y) / n + penalty * theta
        hessian = (x1.T * (p * (1.0 - p))) @ x1 / n + np.diag(penalty)
        step = np.linalg.lstsq(hessian, grad, rcond=None)[0]
        for _ in range(30):  # halve the step while it makes things worse (rarely needed from w = 0)
            new_value = objective(theta - step)
            if new_value <= value + 1e-12 * abs(value):
                break
            step = step / 2
        theta, value = theta - step, new_value
        if np.max(np.abs(step)) < tol:
            break
    return theta[:-1], float(theta[-1])


def accuracy_score(predicted, y):
    """The fraction of ``predicted`` labels equal to ``y``."""
    return float(np.mean(np.asarray(predicted) == np.asarray(y)))


class PermutationImportance(NamedTuple):
    """``permutation_importance``'s result: one entry per feature (or group of features)."""

    baseline: float  # the score on the unshuffled data
    drops: np.ndarray  # (n_features_or_groups, n_repeats): baseline - score after each shuffle
    mean: np.ndarray  # the mean drop over the repeats: the importance
    std: np.ndarray  # its spread over the repeats


def _check_groups(features, n_columns):
    if features is None:
        return [[j] for j in range(n_columns)]
    if isinstance(features, (str, bytes)) or not hasattr(features, "__iter__"):
        raise TypeError(f"features must be a list of column indices or of lists of them, got {features!r}")
    groups = []
    for item in features:
        group = [item] if isinstance(item, numbers.Integral) else item
        if isinstance(group, (str, bytes)) or not hasattr(group, "__iter__"):
            raise TypeError(f"features must be a list of column indices or of lists of them, got {features!r}")
        group = list(group)
        if not group:
            raise ValueError(f"features must hold column indices in [0, {n_columns}), got {features!r}")
        groups.append([as_int(j, "each column index in features", 0, n_columns - 1) for j in group])
    return groups


def permutation_importance(predict, x, y, features=None, n_repeats=5, rng=None, score=accuracy_score):
    """How much ``predict`` relies on each feature: the score's drop when the feature is shuffled.

    For each feature ``j`` (or group: a list of columns, shuffled with one permutation, so that their
    relation to each other is kept) and each of ``n_repeats`` shuffles:

        drop = score(predict(x), y) - score(predict(x with column j permuted across the rows), y)

    ``predict(x)`` returns the predicted labels (any function of a 2-D array); ``score(predicted, y)`` is
    accuracy by default. ``features=None`` means every column on its own. ``x`` itself is never changed (each
    shuffle works on a copy). A feature the model ignores gets exactly 0; a negative mean is noise.
    Returns a ``PermutationImportance`` (baseline, drops, mean, std).
    """
    if not callable(predict):
        raise TypeError(f"predict must be a function of x, e.g. model.predict, got {type(predict).__name__}")
    if not isinstance(x, np.ndarray) or x.ndim != 2:
        raise ValueError(f"x must be a 2-D numpy array (n, features), got {getattr(x, 'shape', type(x).__name__)}")
    y = _check_labels(y, len(x))
    if len(x) < 2:
        raise ValueError(f"x must hold at least 2 examples to shuffle, got {len(x)}")
    groups = _check_groups(features, x.shape[1])
    n_repeats = as_int(n_repeats, "n_repeats", low=1)
    if not callable(score):
        raise TypeError(f"score must be a function score(predicted, y), got {type(score).__name__}")
    rng = as_rng(rng)
    baseline = float(score(predict(x), y))
    drops = np.zeros((len(groups), n_repeats))
    shuffled = x.copy()
    for g, group in enumerate(groups):
        for r in range(n_repeats):
            shuffled[:, group] = x[rng.permutation(len(x))[:, None], group]  # the rows, shuffled
            drops[g, r] = baseline - float(score(predict(shuffled), y))
        shuffled[:, group] = x[:, group]  # restore before the next feature
    return PermutationImportance(baseline, drops, drops.mean(axis=1), drops.std(axis=1))
