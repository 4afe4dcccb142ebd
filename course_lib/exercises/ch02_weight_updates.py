"""The exercises of chapter 02 (``notebooks/02_weight_updates.ipynb``): ``stable_softmax`` and ``clip_grad_norm``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _reference_softmax, _Wrong

__all__ = ["check_stable_softmax", "check_clip_grad_norm"]

_CLIPPING = "chapter 02, section 4 'Exploding gradients and clipping'"
_ROWS = "chapter 00's shape table ('One layer: many neurons at once')"


@_exercise("stable_softmax")
def _grade_stable_softmax(fn):
    rng = np.random.default_rng(2)
    cases = [
        ("small logits", rng.normal(size=(3, 4))),
        ("logits near 1000", np.array([[1000.0, 999.0, 998.0], [1000.0, 1000.0, 0.0]])),
        ("rows of very different size", np.array([[1000.0, 999.0], [0.0, -1.0], [-1000.0, -1001.0]])),
    ]
    for label, z in cases:
        case = f" ({label}: {z.tolist()})" if z.size <= 6 else f" ({label})"
        p = _as_array(_call(fn, z.copy(), case=case), "the result")
        if p.shape != z.shape:
            raise _Wrong(f"result has shape {p.shape}, expected {z.shape}{case}", "one probability per logit.")
        if not np.all(np.isfinite(p)):
            raise _Wrong(f"the result contains nan or inf{case}",
                         "exp(1000) overflows to inf. Softmax does not change when the same constant is subtracted "
                         "from every logit of a row: which constant keeps every exp finite? (Exercise 1 of chapter "
                         "02.)")
        if not np.allclose(p.sum(axis=1), 1.0):
            raise _Wrong(f"rows do not sum to 1{case}",
                         f"one example per row ({_ROWS}): each row is its own distribution; check the axis of your "
                         "sum.")
        if not np.allclose(p, _reference_softmax(z), atol=1e-12):
            raise _Wrong(f"wrong values{case}",
                         "each row is its own softmax: a shift may only change a row by a constant of that row, or "
                         "the probabilities change (Exercise 1 of chapter 02).")
    return "finite and exact for small logits, logits near 1000, and rows of very different size."


@_exercise("clip_grad_norm")
def _grade_clip_grad_norm(fn):
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]  # total norm 5
    total = _call(fn, grads, 1.0, case=" (norm 5, max_norm 1)")
    try:
        total = float(total)
    except (TypeError, ValueError):
        raise _Wrong(f"return the total norm before clipping, got {type(total).__name__}") from None
    if not math.isclose(total, 5.0, rel_tol=1e-9):
        raise _Wrong(f"returned {total:.4g}, expected the total norm before clipping, 5",
                     f"the total norm treats all the gradients as one long vector: re-read {_CLIPPING}.")
    norms = [float(np.linalg.norm(g)) for g in grads]
    if math.isclose(norms[0], 1.0, rel_tol=1e-4) and math.isclose(norms[1], 1.0, rel_tol=1e-4):
        raise _Wrong("you clipped each gradient on its own",
                     f"clipping by the total norm keeps the direction of the whole gradient, so every gradient gets "
                     f"the same factor: re-read {_CLIPPING}.")
    if math.isclose(norms[0], 3.0) and math.isclose(norms[1], 4.0):
        raise _Wrong("the gradients did not change",
                     "the caller's arrays must change: `g = g * factor` makes a new array and leaves the caller's "
                     "as it was; numpy's augmented assignments (+=, -=, ...) work in place.")
    if not (math.isclose(norms[0], 0.6, rel_tol=1e-4) and math.isclose(norms[1], 0.8, rel_tol=1e-4)):
        raise _Wrong(f"after clipping the norms are {norms[0]:.4g} and {norms[1]:.4g}, expected 0.6 and 0.8",
                     f"after clipping the total norm should be max_norm, the direction unchanged: check your factor "
                     f"({_CLIPPING}).")
    small = [np.array([0.3, 0.4])]
    _call(fn, small, 1.0, case=" (norm 0.5, max_norm 1)")
    if not np.allclose(small[0], [0.3, 0.4]):
        raise _Wrong("a gradient below max_norm was changed",
                     f"gradients whose total norm is within max_norm are left alone ({_CLIPPING}).")
    return "returns the total norm, rescales all gradients together, in place, and only above max_norm."


check_stable_softmax = _printer("stable_softmax")
check_clip_grad_norm = _printer("clip_grad_norm")
