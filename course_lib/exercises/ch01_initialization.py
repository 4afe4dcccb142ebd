"""The exercises of chapter 01 (``notebooks/01_initialization.ipynb``): ``xavier_std``, ``he_normal`` and
``truncated_normal``."""

import math

import numpy as np

from ..init import truncated_normal_std
from ._grading import _as_array, _call, _exercise, _printer, _Wrong

_VARIANCE = "chapter 01, section 3 'Keeping the variance: LeCun, Xavier/Glorot, He/Kaiming'"
_TRUNCATED = "chapter 01, section 5 'Truncated normal'"

__all__ = ["check_xavier_std", "check_he_normal", "check_truncated_normal"]


@_exercise("xavier_std")
def _grade_xavier_std(fn):
    for fan_in, fan_out in [(784, 256), (256, 10), (100, 100)]:
        case = f" for fan_in={fan_in}, fan_out={fan_out}"
        got = _call(fn, fan_in, fan_out, case=case)
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise _Wrong(f"return a number, got {type(got).__name__}{case}") from None
        want = math.sqrt(2.0 / (fan_in + fan_out))
        if math.isclose(got, math.sqrt(2.0 / fan_in)) and fan_in != fan_out:
            raise _Wrong(f"you returned sqrt(2 / fan_in) = {got:.4g}{case}: that is He's formula",
                         f"He keeps the variance for ReLU, forward only; Glorot & Bengio balance the forward and the "
                         f"backward pass, so both fans count: re-read {_VARIANCE}.")
        if math.isclose(got, math.sqrt(1.0 / fan_in)) and fan_in != fan_out:
            raise _Wrong(f"you returned sqrt(1 / fan_in) = {got:.4g}{case}: that is LeCun's formula",
                         f"LeCun counts the inputs only; Xavier/Glorot also counts the outputs: compare the two in "
                         f"{_VARIANCE}.")
        if math.isclose(got, 2.0 / (fan_in + fan_out)):
            raise _Wrong(f"you returned the variance, not the standard deviation{case}",
                         f"the function returns the standard deviation (the `scale` of a normal); {_VARIANCE} gives "
                         "the variance.")
        if not math.isclose(got, want, rel_tol=1e-9):
            raise _Wrong(f"got {got:.4g}, expected {want:.4g}{case}",
                         f"re-read Xavier/Glorot's variance in {_VARIANCE}, and return its standard deviation.")
    return "std = sqrt(2 / (fan_in + fan_out)) on 3 layer shapes."


def _sample(fn, what, *args, case=""):
    return _as_array(_call(fn, *args, case=case), what)


@_exercise("he_normal")
def _grade_he_normal(fn):
    shape = (1000, 400)  # fan_in != fan_out, so a wrong fan shows
    case = f" for shape={shape}"
    w = _sample(fn, "the weights", shape, np.random.default_rng(0), case=case)
    if w.shape != shape:
        raise _Wrong(f"result has shape {w.shape}, expected {shape}", "draw an array of exactly `shape`, "
                                                                       "(fan_in, fan_out) in this course.")
    again = _sample(fn, "the weights", shape, np.random.default_rng(0), case=case)
    if not np.array_equal(w, again):
        raise _Wrong("two calls with generators of the same seed gave different weights",
                     "draw every number from the generator `rng` your function is given, not from np.random's "
                     "global state: the same seed must give the same weights.")
    std, want = float(w.std()), math.sqrt(2.0 / shape[0])
    if abs(float(w.mean())) > 0.1 * want:
        raise _Wrong(f"the mean is {w.mean():.3g}; He weights have mean 0", f"re-read {_VARIANCE}.")
    if math.isclose(std, math.sqrt(2.0 / shape[1]), rel_tol=0.03):
        raise _Wrong(f"std is {std:.4f} = sqrt(2 / fan_out): you used the wrong fan",
                     "in this course a weight matrix is (fan_in, fan_out) (chapter 00's shape table, 'One layer: "
                     "many neurons at once'); check which of the two He counts.")
    if math.isclose(std, math.sqrt(2.0 / sum(shape)), rel_tol=0.03):
        raise _Wrong(f"std is {std:.4f}: that is Xavier's sqrt(2 / (fan_in + fan_out))",
                     f"He's variance, for ReLU layers, counts one fan only: re-read {_VARIANCE}.")
    if math.isclose(std, 2.0 / shape[0], rel_tol=0.03):
        raise _Wrong(f"std is {std:.4g}: you used the variance 2 / fan_in as the std",
                     "the scale of a normal is its standard deviation, not its variance.")
    if not math.isclose(std, want, rel_tol=0.03):
        raise _Wrong(f"std is {std:.4f}, expected {want:.4f} for fan_in = {shape[0]}",
                     f"re-read He's variance in {_VARIANCE}, and draw with its standard deviation.")
    return f"shape {shape}, mean ~0, std {std:.4f} ~ sqrt(2 / fan_in) = {want:.4f}, reproducible with rng."


@_exercise("truncated_normal")
def _grade_truncated_normal(fn):
    n, a, b = 200_000, -2.0, 2.0
    case = f" for n={n}, a={a}, b={b}"
    x = _sample(fn, "the samples", n, a, b, np.random.default_rng(0), case=case).ravel()
    if x.size != n:
        raise _Wrong(f"got {x.size} samples, expected {n}",
                     f"rejecting leaves fewer than n samples, and the function must return exactly n: re-read "
                     f"{_TRUNCATED}.")
    if not np.all(np.isfinite(x)):
        raise _Wrong("some samples are nan or inf", f"every sample is a number in [a, b]: re-read {_TRUNCATED}.")
    if x.min() < a or x.max() > b:
        raise _Wrong(f"samples outside [a, b]: min {x.min():.3f}, max {x.max():.3f}",
                     f"a truncated normal has no sample outside [a, b]: re-read {_TRUNCATED}.")
    on_bounds = float(np.mean((x == a) | (x == b)))
    if on_bounds > 0.001:
        raise _Wrong(f"{on_bounds:.1%} of the samples sit exactly on a bound: that is clipping, not truncation",
                     f"clipping piles the tails onto a and b, truncation removes them: compare the two in "
                     f"{_TRUNCATED}.")
    std, want = float(x.std()), truncated_normal_std(1.0, a, b)
    if not math.isclose(std, want, rel_tol=0.02):
        raise _Wrong(f"std is {std:.4f}, expected {want:.4f} for N(0, 1) truncated to [-2, 2]",
                     f"the samples should follow N(0, 1) restricted to [a, b]: check the distribution you draw "
                     f"from ({_TRUNCATED}).")
    return f"{n} samples in [{a}, {b}], none piled on the bounds, std {std:.4f} (exact: {want:.4f})."


check_xavier_std = _printer("xavier_std")
check_he_normal = _printer("he_normal")
check_truncated_normal = _printer("truncated_normal")
