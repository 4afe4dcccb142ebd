"""Argument checks shared by the modules of course_lib.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the argument and what was
expected, so that a learner never has to decode a numpy broadcasting traceback.
"""

import numbers

import numpy as np

FLOAT_DTYPES = ("float32", "float64")


def as_rng(rng):
    """Return a ``numpy.random.Generator`` from ``rng``: a Generator, an int seed, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"rng as a seed must be >= 0, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}"
    )


def as_shape(shape, name="shape"):
    """Return ``shape`` as a tuple of positive ints; an int ``n`` means ``(n,)``."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of positive ints, got {shape!r}") from None
    for d in dims:
        if not isinstance(d, numbers.Integral) or isinstance(d, bool):
            raise TypeError(f"{name} must be a tuple of positive ints, got {shape!r}")
        if d <= 0:
            raise ValueError(f"{name} must have positive sizes, got {shape!r}")
    if not dims:
        raise ValueError(f"{name} must have at least one dimension, got {shape!r}")
    return tuple(int(d) for d in dims)


def as_weight_shape(shape, name="shape"):
    """Return ``shape`` as ``(fan_in, fan_out)``; weights in this course are 2-D."""
    dims = as_shape(shape, name)
    if len(dims) != 2:
        raise ValueError(
            f"{name} must be 2-D, (fan_in, fan_out), got {shape!r} with {len(dims)} dimension(s)"
        )
    return dims


def as_int(value, name, low=None, high=None):
    """Return ``value`` as a Python int in ``[low, high]`` (either bound may be None), or raise naming ``name``.

    A bool is not an int here, nor is a float with an integral value (2.0): a count must be written as one.
    """
    expected = "a positive int" if (low, high) == (1, None) else f"an int{_int_range(low, high)}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return value


def _int_range(low, high):
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}"
    return "" if high is None else f" <= {high}"


def as_float(value, name, *, positive=False, nonnegative=False):
    """Return ``value`` as a finite Python float, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def as_unit_interval(value, name):
    """Return ``value`` as a float in [0, 1), as a decay coefficient (beta1, beta2, alpha, momentum) must be."""
    value = as_float(value, name)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def as_dtype(dtype, name="dtype"):
    """Return ``dtype`` as a numpy float dtype (float32 or float64)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be one of {FLOAT_DTYPES}, got {dtype!r}") from None
    if dt.name not in FLOAT_DTYPES:
        raise ValueError(f"{name} must be one of {FLOAT_DTYPES}, got {dtype!r}")
    return dt


def choose(value, name, choices):
    """Return ``value`` if it is one of ``choices``, else raise a ValueError listing them."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {sorted(choices)}, got {value!r}")
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(sorted(choices))}")
    return value
