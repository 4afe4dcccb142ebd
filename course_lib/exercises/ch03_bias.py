"""The exercises of chapter 03 (``notebooks/03_bias.ipynb``): ``prior_bias`` and ``dead_fraction``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _reference_softmax, _Wrong

__all__ = ["check_prior_bias", "check_dead_fraction"]

_START = "chapter 03, section 3 'How to start the biases'"
_DEAD = "chapter 03, section 4 'Dead ReLUs'"


@_exercise("prior_bias")
def _grade_prior_bias(fn):
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    b = _as_array(_call(fn, y, 3, case=" (90/9/1 examples of 3 classes)"), "the bias")
    if b.shape != (3,):
        raise _Wrong(f"result has shape {b.shape}, expected (3,)", "one bias per class.")
    if not np.all(np.isfinite(b)):
        raise _Wrong("the bias contains nan or inf",
                     f"every class occurs here, so every bias is finite: re-read {_START}.")
    p = _reference_softmax(b[None, :])[0]
    if np.allclose(b, [0.9, 0.09, 0.01]):
        raise _Wrong("you returned the class frequencies",
                     f"softmax(b) should equal them, and softmax exponentiates b: re-read {_START}.")
    if not np.allclose(p, [0.9, 0.09, 0.01], atol=1e-9):
        raise _Wrong(f"softmax(b) = {np.round(p, 3).tolist()}, expected the class frequencies [0.9, 0.09, 0.01]",
                     f"the untrained network should predict the class priors: re-read {_START}.")
    return "softmax(b) equals the class frequencies, so the untrained network predicts the priors."


@_exercise("dead_fraction")
def _grade_dead_fraction(fn):
    a = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]])
    got = _call(fn, a, case=" (3 examples, 4 units)")
    try:
        got = float(got)
    except (TypeError, ValueError):
        raise _Wrong(f"return a number, got {type(got).__name__}") from None
    if math.isclose(got, 9 / 12):
        raise _Wrong("you returned the fraction of zero values (9 of 12)",
                     f"a unit is dead when it is 0 for every example, not each 0 value on its own: re-read "
                     f"{_DEAD}.")
    if math.isclose(got, 0.0) or math.isclose(got, 0.25):
        raise _Wrong(f"returned {got:.3g}; units 0 and 3 are 0 for every example",
                     "columns are units, rows examples (chapter 00's shape table, 'One layer: many neurons at once').")
    if not math.isclose(got, 0.5):
        raise _Wrong(f"returned {got:.3g}, expected 0.5 (units 0 and 3 of 4)",
                     "return the fraction of the units that are dead, a number in [0, 1].")
    return "counts the units (columns) that are 0 for every example (row)."


check_prior_bias = _printer("prior_bias")
check_dead_fraction = _printer("dead_fraction")
