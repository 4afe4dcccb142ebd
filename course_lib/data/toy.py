"""Small synthetic 2-D datasets (numpy only, seeded), so that every chapter but the MNIST one runs in seconds.

Each function returns ``(x, y)``: ``x`` of shape (n, 2), float64; ``y`` of shape (n,), int64 class
labels. ``rng`` is a ``numpy.random.Generator`` or a seed. Classes are balanced (up to one example).
"""

import math

import numpy as np

from .._checks import as_float, as_int, as_rng

__all__ = ["moons", "circles", "spirals", "xor", "shifted_blobs"]


def _split(n, classes):
    """How many examples each class gets: as equal as possible."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def _finish(parts, rng, noise):
    x = np.concatenate([p for p, _ in parts])
    y = np.concatenate([np.full(len(p), label, dtype=np.int64) for p, label in parts])
    x = x + rng.normal(scale=noise, size=x.shape)
    order = rng.permutation(len(y))
    return x[order], y[order]


def moons(n=200, noise=0.1, rng=None):
    """Two interleaving half circles (as scikit-learn's ``make_moons``): not linearly separable."""
    n, noise, rng = as_int(n, "n", low=2), as_float(noise, "noise", nonnegative=True), as_rng(rng)
    n0, n1 = _split(n, 2)
    t0, t1 = np.linspace(0, math.pi, n0), np.linspace(0, math.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    return _finish([(upper, 0), (lower, 1)], rng, noise)


def circles(n=200, noise=0.05, factor=0.5, rng=None):
    """A small circle (class 1) inside a large one (class 0); ``factor`` is the ratio of their radii."""
    n, noise, rng = as_int(n, "n", low=2), as_float(noise, "noise", nonnegative=True), as_rng(rng)
    factor = as_float(factor, "factor", positive=True)
    if factor >= 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    n0, n1 = _split(n, 2)
    t0, t1 = rng.uniform(0, 2 * math.pi, n0), rng.uniform(0, 2 * math.pi, n1)
    outer = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    inner = factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)
    return _finish([(outer, 0), (inner, 1)], rng, noise)


def spirals(n=300, classes=3, noise=0.2, rng=None):
    """``classes`` interleaved spiral arms (the CS231n toy problem), radius from 0 to 1."""
    n, noise, rng = as_int(n, "n", low=2), as_float(noise, "noise", nonnegative=True), as_rng(rng)
    classes = as_int(classes, "classes", low=2)
    parts = []
    for k, size in enumerate(_split(n, classes)):
        r = np.linspace(0.0, 1.0, size)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, size) + rng.normal(scale=noise, size=size)
        parts.append((np.stack([r * np.sin(t), r * np.cos(t)], axis=1), k))
    return _finish(parts, rng, 0.0)


def xor(n=200, noise=0.1, rng=None):
    """Four clusters at (+-1, +-1); the label is 1 where the signs differ. No line separates the classes."""
    n, noise, rng = as_int(n, "n", low=4), as_float(noise, "noise", nonnegative=True), as_rng(rng)
    corners = [((1, 1), 0), ((-1, -1), 0), ((1, -1), 1), ((-1, 1), 1)]
    parts = [(np.tile(np.array(c, dtype=float), (size, 1)), label) for (c, label), size in zip(corners, _split(n, 4))]
    return _finish(parts, rng, noise)


def shifted_blobs(n=200, center=(3.0, 3.0), separation=2.0, noise=0.5, rng=None):
    """Two Gaussian blobs, linearly separable, whose separating line lies far from the origin.

    The blobs sit at ``center +- separation/2`` along the diagonal (1, 1)/sqrt(2), so the best boundary
    passes through ``center``, not through (0, 0): a model without a bias cannot place it (chapter 03).
    """
    n, noise, rng = as_int(n, "n", low=2), as_float(noise, "noise", nonnegative=True), as_rng(rng)
    separation = as_float(separation, "separation", nonnegative=True)
    center = np.asarray(center, dtype=float)
    if center.shape != (2,) or not np.all(np.isfinite(center)):
        raise ValueError(f"center must be two finite numbers, got {center!r}")
    direction = np.array([1.0, 1.0]) / math.sqrt(2)
    n0, n1 = _split(n, 2)
    low = np.tile(center - separation / 2 * direction, (n0, 1))
    high = np.tile(center + separation / 2 * direction, (n1, 1))
    return _finish([(low, 0), (high, 1)], rng, noise)
