"""The exercises of chapter 01 (``notebooks/01_initialization.ipynb``): ``xavier_std``, ``he_normal``,
``truncated_normal`` and the main exercise ``kaiming_normal`` (gain and fan mode, then a 10-layer network).

The statistical checks are written so that a right answer cannot fail by bad luck, whatever order it calls its
generator in: each tolerance is computed from the sample size and set at 6 or more standard errors (a false FAIL
once in about 10^9 runs), and the distribution's shape is tested with the largest gap between the sample's
cumulative distribution and the exact one (Kolmogorov's statistic on a grid), whose bound 3.3 / sqrt(n) a right
sampler exceeds with a probability below 2 exp(-2 * 3.3^2) ~ 1e-9 (Kolmogorov-Smirnov, Massey 1951)."""

import functools
import math

import numpy as np

from ..init import truncated_normal_std
from ._grading import _as_array, _call, _exercise, _printer, _Wrong

_VARIANCE = "chapter 01, section 3 'Keeping the variance: LeCun, Xavier/Glorot, He/Kaiming'"
_TRUNCATED = "chapter 01, section 5 'Truncated normal'"

__all__ = ["check_xavier_std", "check_he_normal", "check_truncated_normal", "check_kaiming_normal"]

_KS_BOUND = 3.3  # the gap bound is _KS_BOUND / sqrt(n): exceeded by a right sampler with probability ~1e-9
_erf = np.vectorize(math.erf, otypes=[float])


def _normal_cdf(x):
    return 0.5 * (1.0 + _erf(np.asarray(x, dtype=float) / math.sqrt(2.0)))


def _cdf_gap(samples, cdf, lo, hi, points=401):
    """The largest gap between the samples' cumulative distribution and ``cdf``, on a grid of [lo, hi]."""
    x = np.sort(samples.ravel())
    grid = np.linspace(lo, hi, points)
    return float(np.max(np.abs(np.searchsorted(x, grid, side="right") / x.size - cdf(grid))))


def _excess_kurtosis(x):
    centred = x - x.mean()
    return float(np.mean(centred**4) / np.mean(centred**2) ** 2 - 3.0)


def _check_normal_shape(w, std, case, where):
    """FAIL unless w looks like N(0, std^2) samples: a uniform or a truncated normal of the same std fails."""
    gap, bound = _cdf_gap(w, lambda g: _normal_cdf(g / std), -4 * std, 4 * std), _KS_BOUND / math.sqrt(w.size)
    if gap > bound:
        kurtosis = _excess_kurtosis(w.ravel())
        looks = ""
        if kurtosis < -0.9:
            looks = f" (excess kurtosis {kurtosis:.2f}: a uniform has -1.2, a normal 0)"
        elif kurtosis < -0.3:
            looks = f" (excess kurtosis {kurtosis:.2f}: its tails are cut, a normal has 0)"
        elif kurtosis > 0.3:
            looks = f" (excess kurtosis {kurtosis:.2f}: its tails are too heavy, a normal has 0)"
        raise _Wrong(f"the right std, but not a normal distribution{looks}: its cumulative distribution is "
                     f"{gap:.3f} away from N(0, std^2)'s, where sampling noise stays below {bound:.4f}{case}",
                     f"draw from a normal (rng.normal or rng.standard_normal), not from a uniform or another "
                     f"distribution of the same variance: re-read {where}.")


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
    other = _sample(fn, "the weights", shape, np.random.default_rng(1), case=case)
    if np.array_equal(w, other):
        raise _Wrong("generators of different seeds gave the same weights",
                     "draw every number from the generator `rng` your function is given, not from a generator of your "
                     "own: another seed must give other weights.")
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
    _check_normal_shape(w, want, case, _VARIANCE)
    return (f"shape {shape}, mean ~0, std {std:.4f} ~ sqrt(2 / fan_in) = {want:.4f}, normally distributed, "
            "reproducible with rng.")


def _truncated_moments(a, b):
    """Mean, std and cumulative distribution of N(0, 1) truncated to [a, b] (Johnson, Kotz & Balakrishnan 1994,
    vol. 1, ch. 13.10: mean = (phi(a) - phi(b)) / Z, Z = Phi(b) - Phi(a))."""
    phi = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # noqa: E731
    low, high = float(_normal_cdf(a)), float(_normal_cdf(b))
    mean = (phi(a) - phi(b)) / (high - low)
    return mean, truncated_normal_std(1.0, a, b), lambda g: (_normal_cdf(np.clip(g, a, b)) - low) / (high - low)


@_exercise("truncated_normal")
def _grade_truncated_normal(fn):
    n = 200_000
    report = []
    for a, b in [(-2.0, 2.0), (-1.0, 2.5)]:  # the second pair is asymmetric: fixed or symmetric bounds show
        case = f" for n={n}, a={a}, b={b}"
        x = _sample(fn, "the samples", n, a, b, np.random.default_rng(0), case=case).ravel()
        if x.size != n:
            raise _Wrong(f"got {x.size} samples, expected {n}{case}",
                         f"rejecting leaves fewer than n samples, and the function must return exactly n: re-read "
                         f"{_TRUNCATED}.")
        if not np.all(np.isfinite(x)):
            raise _Wrong(f"some samples are nan or inf{case}",
                         f"every sample is a number in [a, b]: re-read {_TRUNCATED}.")
        if x.min() < a or x.max() > b:
            symmetric = " (your samples look cut to a symmetric interval or to [-2, 2]: use a and b as given)" if (
                a != -b and x.min() < a) else ""
            raise _Wrong(f"samples outside [a, b]: min {x.min():.3f}, max {x.max():.3f}{case}{symmetric}",
                         f"a truncated normal has no sample outside [a, b], and a and b need not be symmetric: "
                         f"re-read {_TRUNCATED}.")
        on_bounds = float(np.mean((x == a) | (x == b)))
        if on_bounds > 0.001:
            raise _Wrong(f"{on_bounds:.1%} of the samples sit exactly on a bound: that is clipping, not "
                         f"truncation{case}",
                         f"clipping piles the tails onto a and b, truncation removes them: compare the two in "
                         f"{_TRUNCATED}.")
        want_mean, want_std, cdf = _truncated_moments(a, b)
        mean, std = float(x.mean()), float(x.std())
        if abs(mean - want_mean) > 6 * want_std / math.sqrt(n):  # 6 standard errors of the mean
            raise _Wrong(f"the mean is {mean:.4f}, expected {want_mean:.4f} for N(0, 1) truncated to [{a}, {b}]"
                         f"{case}",
                         f"the samples should follow N(0, 1) restricted to [a, b]: on asymmetric bounds the mean "
                         f"moves away from 0. Check the distribution you draw from, and what replaces a rejected "
                         f"value ({_TRUNCATED}).")
        if not math.isclose(std, want_std, rel_tol=0.02):
            raise _Wrong(f"std is {std:.4f}, expected {want_std:.4f} for N(0, 1) truncated to [{a}, {b}]{case}",
                         f"the samples should follow N(0, 1) restricted to [a, b]: check the distribution you draw "
                         f"from ({_TRUNCATED}).")
        gap, bound = _cdf_gap(x, cdf, a, b), _KS_BOUND / math.sqrt(n)
        if gap > bound:
            raise _Wrong(f"the right range, mean and std, but not the truncated normal's shape: the cumulative "
                         f"distribution is {gap:.4f} away from the exact one, where sampling noise stays below "
                         f"{bound:.4f}{case}",
                         f"a rejected value must be replaced by a new draw from N(0, 1) that is again tested against "
                         f"[a, b], not by a value from another distribution (a uniform, a reflected or a rescaled "
                         f"one): re-read {_TRUNCATED}.")
        report.append(f"[{a:g}, {b:g}]: std {std:.4f} (exact {want_std:.4f})")
    return (f"{n} samples on each of " + " and ".join(report)
            + ", none piled on the bounds, shaped like the truncated normal.")


_KAIMING = "chapter 01, section 3 ('fan_in or fan_out?' and the gains of calculate_gain)"


@_exercise("kaiming_normal")
def _grade_kaiming_normal(fn):
    cases = [((1000, 400), math.sqrt(2.0), "fan_in"), ((300, 800), 1.0, "fan_out"), ((200, 500), 5.0 / 3.0, "fan_in")]
    for shape, gain, mode in cases:  # fan_in != fan_out in each, and three gains, so a wrong fan or gain shows
        case = f" for shape={shape}, gain={gain:.4g}, mode={mode!r}"
        w = _sample(fn, "the weights", shape, gain, mode, np.random.default_rng(0), case=case)
        if w.shape != shape:
            raise _Wrong(f"result has shape {w.shape}, expected {shape}{case}",
                         "draw an array of exactly `shape`, (fan_in, fan_out) in this course.")
        if not np.array_equal(w, _sample(fn, "the weights", shape, gain, mode, np.random.default_rng(0),
                                         case=case)):
            raise _Wrong(f"two calls with generators of the same seed gave different weights{case}",
                         "draw every number from the generator `rng` your function is given, not from np.random's "
                         "global state: the same seed must give the same weights.")
        if np.array_equal(w, _sample(fn, "the weights", shape, gain, mode, np.random.default_rng(1), case=case)):
            raise _Wrong(f"generators of different seeds gave the same weights{case}",
                         "draw every number from the generator `rng` your function is given, not from a generator "
                         "of your own: another seed must give other weights.")
        fan_in, fan_out = shape
        fan, other_fan = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
        want, std = gain / math.sqrt(fan), float(w.std())
        if abs(float(w.mean())) > 6 * want / math.sqrt(w.size):
            raise _Wrong(f"the mean is {w.mean():.3g}; Kaiming weights have mean 0{case}", f"re-read {_KAIMING}.")
        near = functools.partial(math.isclose, std, rel_tol=0.03)  # 3%: more than 40 standard errors
        if near(gain / math.sqrt(other_fan)):
            raise _Wrong(f"std is {std:.4f} = gain / sqrt({other_fan}): you used the other fan{case}",
                         f"mode says which fan counts: 'fan_in' is shape[0], 'fan_out' is shape[1] in this course's "
                         f"(fan_in, fan_out) layout; re-read {_KAIMING}.")
        if gain != 1.0 and near(1.0 / math.sqrt(fan)):
            raise _Wrong(f"std is {std:.4f} = 1 / sqrt(fan): the gain is missing{case}",
                         f"the gain multiplies the std: Var[W] = gain^2 / fan ({_KAIMING}).")
        if gain != 1.0 and near(gain**2 / math.sqrt(fan)):
            raise _Wrong(f"std is {std:.4f} = gain^2 / sqrt(fan): the gain is squared once too often{case}",
                         f"Var[W] = gain^2 / fan, so the std is gain times 1 / sqrt(fan) ({_KAIMING}).")
        if gain != 1.0 and near(math.sqrt(gain / fan)):
            raise _Wrong(f"std is {std:.4f} = sqrt(gain / fan): the gain is under the square root{case}",
                         f"the gain scales the std, gain^2 the variance ({_KAIMING}).")
        if near(gain**2 / fan):
            raise _Wrong(f"std is {std:.4g} = gain^2 / fan: you used the variance as the std{case}",
                         "the scale of a normal is its standard deviation, not its variance.")
        if near(gain * math.sqrt(2.0 / (fan_in + fan_out))):
            raise _Wrong(f"std is {std:.4f}: that is Xavier's gain * sqrt(2 / (fan_in + fan_out)){case}",
                         f"Kaiming counts one fan, the one `mode` names ({_KAIMING}).")
        if not near(want):
            raise _Wrong(f"std is {std:.4f}, expected {want:.4f}{case}",
                         f"std = gain / sqrt(fan), fan chosen by mode: re-read {_KAIMING}.")
        _check_normal_shape(w, want, case, _KAIMING)
    profile = _ten_layer_profile(fn)
    return (f"std = gain / sqrt(fan) for both modes and three gains, normally distributed, reproducible with rng; "
            f"in 10 ReLU layers of 256 the activation std stays between {min(profile):.2f} and {max(profile):.2f} "
            f"(He's variance predicts sqrt(1 - 1/pi) = 0.83).")


def _ten_layer_profile(fn, depth=10, width=256):
    """The activation std after each of ``depth`` ReLU layers initialized by ``fn`` (gain sqrt(2), fan_in), from
    N(0, 1) inputs. He's variance keeps it near 0.83; over 1000 seeds every layer stayed in [0.50, 1.27], and a
    right answer leaves [0.35, 2.0] about once in 10^8 runs (the log-std drifts by ~0.15 per 10 layers)."""
    rng = np.random.default_rng(0)
    a = np.random.default_rng(10).standard_normal((256, width))
    stds = []
    for layer in range(1, depth + 1):
        case = f" (layer {layer} of a 10-layer ReLU network of width {width})"
        W = _sample(fn, "the weights", (width, width), math.sqrt(2.0), "fan_in", rng, case=case)
        a = np.maximum(a @ W, 0.0)
        stds.append(float(a.std()))
        if not 0.35 <= stds[-1] <= 2.0:
            raise _Wrong(f"in a 10-layer ReLU network (width {width}, gain sqrt(2), fan_in) the activation std "
                         f"drifts: {' '.join(f'{s:.3g}' for s in stds)}; He's variance keeps it near 0.83",
                         f"each layer must draw new weights from rng with std gain / sqrt(fan): re-read {_KAIMING}.")
    return stds


check_xavier_std = _printer("xavier_std")
check_he_normal = _printer("he_normal")
check_truncated_normal = _printer("truncated_normal")
check_kaiming_normal = _printer("kaiming_normal")
