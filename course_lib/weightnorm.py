"""Weight normalization (Salimans & Kingma 2016): each output unit's weight vector is written as a
direction times a learned length,

    W[:, j] = g[j] * v[:, j] / ||v[:, j]||          (columns are output units: W has shape (fan_in, fan_out))

so the length g and the direction v are learned separately. Gradients (the paper's eq. 3), per column:

    dL/dg = (dL/dW . v) / ||v||
    dL/dv = (g / ||v||) dL/dW - (g dL/dg / ||v||^2) v

Not the same as normalizing the weights (``F.normalize(weight)``): that fixes every length to 1 and has
no g to learn (chapter 07 measures the difference).
"""

import numpy as np

__all__ = ["weight_norm", "weight_norm_backward", "weight_norm_init"]


def _check(v, g):
    if not isinstance(v, np.ndarray) or v.ndim != 2 or not np.issubdtype(v.dtype, np.floating):
        raise ValueError(f"v must be a 2-D float array (fan_in, fan_out), got {getattr(v, 'shape', type(v).__name__)}")
    g = np.asarray(g)
    if g.shape != (v.shape[1],):
        raise ValueError(f"g must hold one length per output unit, shape ({v.shape[1]},), got {g.shape}")
    norms = np.linalg.norm(v, axis=0)
    if not np.all(np.isfinite(v)) or not np.all(norms > 0):
        raise ValueError("every column of v must be finite and non-zero (its direction is v / ||v||)")
    return g, norms


def weight_norm(v, g):
    """W = g * v / ||v|| column by column."""
    g, norms = _check(v, g)
    return v * (g / norms)


def weight_norm_backward(v, g, dW):
    """``(dv, dg)`` from ``dW = dL/dW`` (Salimans & Kingma 2016, eq. 3)."""
    g, norms = _check(v, g)
    dW = np.asarray(dW)
    if dW.shape != v.shape:
        raise ValueError(f"dW must have v's shape {v.shape}, got {dW.shape}")
    dg = np.sum(dW * v, axis=0) / norms
    dv = dW * (g / norms) - v * (g * dg / norms**2)
    return dv, dg


def weight_norm_init(W):
    """(v, g) that reproduce an existing W: v = W, g = the column norms of W."""
    norms = np.linalg.norm(W, axis=0)
    return W.copy(), norms
