"""L1 and L2 weight penalties, in chapter 06's notation: training minimizes  J = L + lambda * Omega(W),  with
lambda = ``strength``. Each penalty returns ``(lambda * Omega, gradients of lambda * Omega)`` for a parameter list:

    L2:  Omega = 1/2 sum W^2    lambda * Omega = (strength / 2) sum W^2    gradient  strength * W
    L1:  Omega = sum |W|        lambda * Omega = strength * sum |W|         gradient  strength * sign(W)
                                                                            (0 at W = 0, a subgradient)

The 1/2 in L2's Omega makes its gradient strength * W, which is what SGD's (and PyTorch's) ``weight_decay``
adds: for plain SGD, L2 with strength lambda is exactly weight decay lambda (chapter 06 shows it numerically;
Goodfellow, Bengio & Courville 2016, "Deep Learning", Sec. 7.1.1); for Adam it is not (chapter 05).

By default they apply to the weights (arrays with 2 or more dimensions), not to the biases (1-D): a bias
only shifts a unit, it does not make the function more wiggly, and shrinking it toward 0 just moves
decision boundaries toward the origin (chapter 03). ``include_biases=True`` penalizes them too.
"""

import numpy as np

from ._checks import as_float

__all__ = ["L1", "L2", "soft_threshold"]


class _Penalty:
    def __init__(self, strength, include_biases=False):
        self.strength = as_float(strength, "strength", nonnegative=True)
        if not isinstance(include_biases, bool):
            raise TypeError(f"include_biases must be True or False, got {include_biases!r}")
        self.include_biases = include_biases

    def applies_to(self, param):
        return param.ndim >= 2 or self.include_biases

    def __call__(self, params):
        """``(penalty, grads)``: the penalty's value and one gradient array per parameter (zeros where it
        does not apply)."""
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"params[{i}] must be a float numpy array, got {type(p).__name__}")
            if not np.all(np.isfinite(p)):
                raise ValueError(f"params[{i}] contains nan or inf")
        value, grads = 0.0, []
        for p in params:
            if self.applies_to(p):
                term, grad = self._term(p)
                value += term
                grads.append(grad.astype(p.dtype, copy=False))
            else:
                grads.append(np.zeros_like(p))
        return float(value), grads

    def __repr__(self):
        return f"{type(self).__name__}(strength={self.strength}, include_biases={self.include_biases})"


class L2(_Penalty):
    """strength * Omega, Omega = 1/2 sum W^2; gradient strength * W ("ridge"; for SGD, weight_decay=strength)."""

    def _term(self, p):
        return 0.5 * self.strength * float(np.sum(p.astype(np.float64) ** 2)), self.strength * p


class L1(_Penalty):
    """strength * Omega, Omega = sum |W|; subgradient strength * sign(W) ("lasso"). Its minimum has weights at
    exactly 0, but as a gradient term it leaves them hopping across 0.

    ``proximal=True`` applies it by its proximal step instead, which gives the exact zeros: no gradient term,
    and after each optimizer step ``W = soft_threshold(W, lr * strength)`` (``proximal_step``; ``train_step``
    calls it). That is proximal gradient descent (ISTA), exact for plain SGD.
    """

    def __init__(self, strength, include_biases=False, proximal=False):
        super().__init__(strength, include_biases)
        if not isinstance(proximal, bool):
            raise TypeError(f"proximal must be True or False, got {proximal!r}")
        self.proximal = proximal

    def _term(self, p):
        value = self.strength * float(np.sum(np.abs(p)))
        return value, np.zeros_like(p) if self.proximal else self.strength * np.sign(p)

    def proximal_step(self, params, lr):
        """``W = soft_threshold(W, lr * strength)``, in place, for every parameter the penalty applies to."""
        for p in params:
            if self.applies_to(p):
                p[...] = soft_threshold(p, lr * self.strength)

    def __repr__(self):
        return f"L1(strength={self.strength}, include_biases={self.include_biases}, proximal={self.proximal})"


def soft_threshold(w, threshold):
    """The proximal step of L1: ``sign(w) * max(|w| - threshold, 0)``.

    After a gradient step on the data loss, L1 with strength lambda and learning rate lr is applied as
    ``w = soft_threshold(w, lr * lambda)`` ("proximal gradient", ISTA: Daubechies, Defrise & De Mol 2004;
    Parikh & Boyd 2014, "Proximal Algorithms", Sec. 6.5.2). Every weight with |w| <= threshold becomes
    exactly 0, where the subgradient step ``w - lr * lambda * sign(w)`` would jump across 0 and oscillate
    around it. Returns a new array.
    """
    if not isinstance(w, np.ndarray) or not np.issubdtype(w.dtype, np.floating):
        raise TypeError(f"w must be a float numpy array, got {type(w).__name__}")
    threshold = as_float(threshold, "threshold", nonnegative=True)
    return (np.sign(w) * np.maximum(np.abs(w) - threshold, 0)).astype(w.dtype, copy=False)
