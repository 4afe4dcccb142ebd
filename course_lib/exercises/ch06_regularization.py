"""The exercises of chapter 06 (``notebooks/06_regularization.ipynb``): ``l2_penalty`` and ``soft_threshold``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_l2_penalty", "check_soft_threshold"]

_PENALTIES = "chapter 06, section 2 'The two penalties and their gradients'"
_L1 = "chapter 06, section 3 'L1 sets weights to exactly 0; L2 only shrinks them'"


@_exercise("l2_penalty")
def _grade_l2_penalty(fn):
    W = np.array([[1.0, -2.0], [0.5, 3.0]])
    strength = 0.1
    out = _call(fn, W.copy(), strength, case=" (W=[[1, -2], [0.5, 3]], strength=0.1)")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise _Wrong(f"return the pair (penalty, grad), got {type(out).__name__}")
    try:
        value = float(out[0])
    except (TypeError, ValueError):
        raise _Wrong(f"the penalty should be a number, got {type(out[0]).__name__}") from None
    grad = _as_array(out[1], "grad")
    want_value, want_grad = 0.5 * strength * np.sum(W**2), strength * W
    if grad.shape != W.shape:
        raise _Wrong(f"grad has shape {grad.shape}, expected W's shape {W.shape}", "one gradient entry per weight.")
    if math.isclose(value, strength * np.sum(W**2)) and np.allclose(grad, want_grad):
        raise _Wrong(f"penalty {value:g} has no 1/2, but your gradient is strength * W",
                     f"penalty and gradient must match: differentiate your penalty and compare; re-read how "
                     f"{_PENALTIES} scales the L2 penalty.")
    if np.allclose(grad, 2 * want_grad):
        raise _Wrong("grad is 2 * strength * W",
                     f"differentiate the penalty as {_PENALTIES} writes it: check the constant factor.")
    if np.allclose(grad, strength * np.sign(W)):
        raise _Wrong("grad is strength * sign(W): that is L1's",
                     f"L1 and L2 have different gradients: compare them in {_PENALTIES}.")
    if not math.isclose(value, want_value):
        raise _Wrong(f"penalty is {value:g}, expected {want_value:g}", f"re-read the L2 penalty in {_PENALTIES}.")
    if not np.allclose(grad, want_grad):
        raise _Wrong(f"grad is {grad.tolist()}, expected {want_grad.tolist()}",
                     f"the gradient is the derivative of the penalty with respect to each weight ({_PENALTIES}).")
    return "penalty (strength/2) sum W^2 and gradient strength W: the gradient of that penalty."


@_exercise("soft_threshold")
def _grade_soft_threshold(fn):
    w = np.array([-1.5, -0.2, 0.0, 0.05, 0.3, 2.0])
    threshold = 0.25
    case = " (w=[-1.5, -0.2, 0, 0.05, 0.3, 2], threshold=0.25)"
    got = _as_array(_call(fn, w.copy(), threshold, case=case), "the result")
    want = np.sign(w) * np.maximum(np.abs(w) - threshold, 0)
    if got.shape != w.shape:
        raise _Wrong(f"result has shape {got.shape}, expected {w.shape}{case}", "one result per weight.")
    if np.allclose(got, w - threshold * np.sign(w)):
        raise _Wrong(f"small weights crossed zero: {np.round(got, 3).tolist()}{case}",
                     f"that is a subgradient step: soft thresholding shrinks |w| by threshold but never past 0. "
                     f"Re-read {_L1}.")
    if np.allclose(got, np.where(np.abs(w) > threshold, w, 0)):
        raise _Wrong(f"large weights were not shrunk{case}",
                     "that is hard thresholding (pruning); soft thresholding also moves the survivors "
                     "toward 0 by threshold.")
    if np.allclose(got, np.maximum(np.abs(w) - threshold, 0)):
        raise _Wrong(f"negative weights became positive{case}",
                     f"shrinking changes a weight's magnitude, not its sign ({_L1}).")
    if not np.allclose(got, want):
        raise _Wrong(f"got {np.round(got, 3).tolist()}, expected {np.round(want, 3).tolist()}{case}",
                     f"re-read soft thresholding in {_L1}.")
    return (f"sign(w) max(|w| - t, 0): {int(np.sum(want == 0))} of {w.size} weights exactly 0, the others shrunk "
            "by t (the proximal step of L1).")


check_l2_penalty = _printer("l2_penalty")
check_soft_threshold = _printer("soft_threshold")
