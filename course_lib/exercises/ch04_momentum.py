"""The exercises of chapter 04 (``notebooks/04_momentum.ipynb``): ``momentum_update`` and ``optimal_momentum``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_momentum_update", "check_optimal_momentum"]

_FORMS = "chapter 04, section 2 'Three ways to write the same update'"
_RATES = "chapter 04, section 3 'Rates on an ill-conditioned quadratic'"


@_exercise("momentum_update")
def _grade_momentum_update(fn):
    w, v, g = np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([0.2, -0.4])
    out = _call(fn, w.copy(), v.copy(), g.copy(), 0.1, 0.9, case=" (w=[1, -2], v=[0.5, 0.25], g=[0.2, -0.4])")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"return the pair (w, v), got {type(out).__name__}")
    new_w, new_v = (_as_array(a, name) for a, name in zip(out, ("w", "v")))
    v_torch = 0.9 * v + g
    if np.allclose(new_v, 0.9 * v + 0.1 * g):
        raise _Wrong("that is the EMA form v = beta v + (1 - beta) g",
                     f"this exercise uses PyTorch's form, not the EMA one: re-read it in {_FORMS}.")
    if np.allclose(new_v, 0.9 * v - 0.1 * g):
        raise _Wrong("that is the velocity form v = beta v - lr g",
                     f"the velocity form puts lr inside v; this exercise uses PyTorch's form: re-read it in {_FORMS}.")
    if not np.allclose(new_v, v_torch):
        raise _Wrong(f"v is {new_v.tolist()}, expected {v_torch.tolist()}",
                     f"re-read PyTorch's velocity update in {_FORMS}.")
    if np.allclose(new_w, w - 0.1 * g):
        raise _Wrong("w moved by the gradient alone",
                     f"with momentum the weights move along the velocity, not the raw gradient ({_FORMS}).")
    if not np.allclose(new_w, w - 0.1 * v_torch):
        raise _Wrong(f"w is {new_w.tolist()}, expected {(w - 0.1 * v_torch).tolist()}",
                     f"check the order: the step of w uses the velocity you have just updated ({_FORMS}).")
    return "v = beta v + g, then w = w - lr v, as torch.optim.SGD."


@_exercise("optimal_momentum")
def _grade_optimal_momentum(fn):
    for kappa in (10.0, 100.0, 1e4):
        got = _call(fn, kappa, case=f" for kappa={kappa:g}")
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return a number, got {type(got).__name__}", "one momentum, beta, for one kappa.") from None
        rate = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
        if math.isclose(got, rate):
            raise _Wrong(f"you returned the convergence rate {rate:.4f} for kappa={kappa:g}",
                         f"that rate is what the optimal momentum achieves, not the momentum itself: re-read "
                         f"{_RATES}.")
        if math.isclose(got, (kappa - 1) / (kappa + 1)):
            raise _Wrong(f"you returned gradient descent's rate (kappa - 1)/(kappa + 1) for kappa={kappa:g}",
                         f"with momentum the rate depends on kappa differently: re-read {_RATES}.")
        if not math.isclose(got, rate**2, rel_tol=1e-9):
            raise _Wrong(f"got {got:.4f}, expected {rate**2:.4f} for kappa={kappa:g}",
                         f"re-read the optimal momentum in {_RATES}.")
    return "beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2 for kappa = 10, 100, 10^4."


check_momentum_update = _printer("momentum_update")
check_optimal_momentum = _printer("optimal_momentum")
