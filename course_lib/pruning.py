"""Magnitude pruning: zero the weights of smallest absolute value, with an exact sparsity.

``sparsity`` is the fraction of weights set to zero: exactly ``round(sparsity * n)`` of them, so 0 keeps
everything and 1 removes everything. Ties in |w| are broken deterministically: among equal magnitudes,
the weight that comes first (in C order; across layers, in list order) is pruned first.
A mask is a boolean array, True where the weight is kept.

Han, Pool, Tran & Dally 2015, "Learning both Weights and Connections for Efficient Neural Networks"
(magnitude pruning, fine-tuning); Zhu & Gupta 2017, "To prune, or not to prune" (the gradual schedule).
"""

import numpy as np

from ._checks import as_float, as_int

__all__ = ["magnitude_prune", "global_magnitude_prune", "gradual_sparsity", "sparsity_report", "Pruner",
           "structured_prune", "mask_units", "to_csr", "from_csr"]


def _check_sparsity(sparsity):
    sparsity = as_float(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    return sparsity


def _check_weight(w, name):
    if not isinstance(w, np.ndarray) or not np.issubdtype(w.dtype, np.floating):
        raise TypeError(f"{name} must be a float numpy array, got {type(w).__name__}")
    if w.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains nan or inf; magnitudes cannot be ranked")
    return w


def _prune_smallest(magnitudes, count):
    """Boolean keep-mask over the flat ``magnitudes`` that drops the ``count`` smallest (stable order)."""
    keep = np.ones(magnitudes.size, dtype=bool)
    keep[np.argsort(magnitudes, kind="stable")[:count]] = False
    return keep


def magnitude_prune(w, sparsity):
    """Zero the ``round(sparsity * w.size)`` entries of ``w`` with the smallest |w|; return ``(pruned, mask)``.

    ``w`` itself is not changed. ``mask`` is True where the weight is kept.
    """
    w = _check_weight(w, "w")
    count = int(round(_check_sparsity(sparsity) * w.size))
    mask = _prune_smallest(np.abs(w).ravel(), count).reshape(w.shape)
    return np.where(mask, w, 0).astype(w.dtype, copy=False), mask


def global_magnitude_prune(weights, sparsity):
    """Prune the smallest weights of *all* arrays together: ``round(sparsity * total)`` zeros in all, shared
    unevenly between layers (layers with small weights lose more). Returns ``(pruned_list, masks)``."""
    weights = list(weights)
    if not weights:
        raise ValueError("weights is empty")
    for i, w in enumerate(weights):
        _check_weight(w, f"weights[{i}]")
    total = sum(w.size for w in weights)
    count = int(round(_check_sparsity(sparsity) * total))
    keep = _prune_smallest(np.concatenate([np.abs(w).ravel() for w in weights]), count)
    masks, start = [], 0
    for w in weights:
        masks.append(keep[start:start + w.size].reshape(w.shape))
        start += w.size
    return [np.where(m, w, 0).astype(w.dtype, copy=False) for w, m in zip(weights, masks)], masks


def gradual_sparsity(step, final_sparsity, initial_sparsity=0.0, start_step=0, num_prunes=10, prune_every=1):
    """Zhu & Gupta (2017), eq. 1: the target sparsity at ``step``,

        s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (n * dt))^3     for t0 <= t <= t0 + n dt,

    ``s_i`` before ``t0`` and ``s_f`` after. Pruning is fast at first and slows down as the network has
    fewer weights to spare. ``n = num_prunes`` pruning events, ``dt = prune_every`` steps apart; both must be
    >= 1 (a schedule that divides by ``prune_steps // 10`` breaks for fewer than 10 steps: chapter 07).
    """
    s_f, s_i = _check_sparsity(final_sparsity), _check_sparsity(initial_sparsity)
    step, start_step = as_int(step, "step", low=0), as_int(start_step, "start_step", low=0)
    num_prunes, prune_every = as_int(num_prunes, "num_prunes", low=1), as_int(prune_every, "prune_every", low=1)
    if step <= start_step:
        return s_i
    progress = min((step - start_step) / (num_prunes * prune_every), 1.0)
    return s_f + (s_i - s_f) * (1.0 - progress) ** 3


def sparsity_report(weights, names=None):
    """One row per array: name, shape, number of zeros, fraction of zeros; and a last row for all of them."""
    weights = list(weights)
    names = [f"W{i + 1}" for i in range(len(weights))] if names is None else list(names)
    if len(names) != len(weights):
        raise ValueError(f"names must have one entry per array: {len(names)} for {len(weights)}")
    rows = [(name, w.shape, int(np.count_nonzero(w == 0)), float(np.mean(w == 0))) for name, w in zip(names, weights)]
    zeros, total = sum(r[2] for r in rows), sum(w.size for w in weights)
    rows.append(("all", (total,), zeros, zeros / total if total else 0.0))
    return rows


# --------------------------------------------------------------------------------------------------
# Keeping masks during training, and structured (whole-unit) pruning
# --------------------------------------------------------------------------------------------------


class Pruner:
    """Keeps pruned weights at zero during training: ``mask_gradients`` zeroes their gradients before the
    optimizer step, ``apply`` zeroes the weights again after it (so that optimizer state built up before the
    pruning, a momentum buffer or Adam's running mean, cannot regrow them). ``masks`` has one boolean array per
    weight matrix of ``model`` (True = kept)."""

    def __init__(self, model, masks):
        weights, params = list(model.weights), list(model.params)
        if len(params) != 2 * len(weights) or any(W is not params[2 * i] for i, W in enumerate(weights)):
            # A WeightNormMLP, say: its params are [v, g, b, ...] and its weights are computed from v and g, so
            # masking "the weights" would change copies and the gradients of the wrong arrays.
            raise TypeError(f"Pruner needs a model whose params are [W1, b1, W2, b2, ...] with W the arrays of "
                            f"model.weights (a course_lib.nn.MLP); got {type(model).__name__}")
        self.model = model
        self.masks = [np.asarray(m, dtype=bool) for m in masks]
        if len(self.masks) != len(model.weights):
            raise ValueError(f"masks must have one entry per weight matrix: {len(self.masks)} for {len(model.weights)}")
        for i, (m, W) in enumerate(zip(self.masks, model.weights)):
            if m.shape != W.shape:
                raise ValueError(f"masks[{i}] has shape {m.shape} but W{i + 1} has shape {W.shape}")
        self.apply()

    def apply(self):
        """Zero the pruned weights in place."""
        for W, m in zip(self.model.weights, self.masks):
            W *= m

    def mask_gradients(self, grads):
        """Zero the gradients of pruned weights (grads in ``model.params`` order: W1, b1, W2, b2, ...)."""
        grads = list(grads)
        for i, m in enumerate(self.masks):
            grads[2 * i] = grads[2 * i] * m
        return grads


def _hidden_unit_norms(model, layer):
    return np.linalg.norm(model.weights[layer], axis=0)  # incoming weights of each unit of hidden layer `layer`


def structured_prune(model, sparsity):
    """Remove ``round(sparsity * width)`` whole units from every hidden layer, those with the smallest norm
    of incoming weights. Returns ``(smaller_model, kept)``: a new, narrower MLP and, per hidden layer, the
    indices of the units kept. Its outputs equal those of ``mask_units(model, kept)``."""
    sparsity = _check_sparsity(sparsity)
    smaller = model.copy()
    kept = []
    for layer in range(len(model.weights) - 1):
        width = model.sizes[layer + 1]
        remove = min(int(round(sparsity * width)), width - 1)  # keep at least one unit per layer
        keep_mask = _prune_smallest(_hidden_unit_norms(model, layer), remove)
        kept.append(np.flatnonzero(keep_mask))
    for layer, units in enumerate(kept):
        W_in, b, W_out = 2 * layer, 2 * layer + 1, 2 * layer + 2
        smaller.params[W_in] = smaller.params[W_in][:, units].copy()
        smaller.params[b] = smaller.params[b][units].copy()
        smaller.params[W_out] = smaller.params[W_out][units, :].copy()
        smaller.sizes[layer + 1] = len(units)
    return smaller, kept


def mask_units(model, kept):
    """A copy of ``model`` in which every hidden unit not in ``kept`` is cut off: its incoming weights, its
    bias and its outgoing weights are zero (same shapes as ``model``)."""
    masked = model.copy()
    for layer, units in enumerate(kept):
        drop = np.setdiff1d(np.arange(model.sizes[layer + 1]), units)
        masked.params[2 * layer][:, drop] = 0
        masked.params[2 * layer + 1][drop] = 0
        masked.params[2 * layer + 2][drop, :] = 0
    return masked


# --------------------------------------------------------------------------------------------------
# Storing a pruned matrix: compressed sparse rows
# --------------------------------------------------------------------------------------------------


def _index_dtype(largest):
    return np.min_scalar_type(max(int(largest), 0))  # uint8 up to 255, uint16 up to 65535, ...


def to_csr(w):
    """A 2-D array in compressed sparse row (CSR) form: ``(values, indices, indptr)``, the non-zero entries row
    by row, the column of each, and where each row starts in them (row i is
    ``values[indptr[i]:indptr[i + 1]]``). Only the non-zeros are stored, each with an index: worth it when
    most entries are zero. Indices and row pointers get the smallest unsigned integer type that holds them
    (uint8 for at most 256 columns; scipy.sparse uses int32 by default). Saad 2003, "Iterative Methods for
    Sparse Linear Systems", Sec. 3.4."""
    w = np.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"w must be a 2-D array, got shape {w.shape}")
    rows, columns = np.nonzero(w)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=w.shape[0]))])
    return (w[rows, columns], columns.astype(_index_dtype(w.shape[1] - 1)),
            indptr.astype(_index_dtype(len(rows))))


def from_csr(values, indices, indptr, shape):
    """The dense array of ``shape`` that ``to_csr`` stored as ``(values, indices, indptr)``."""
    shape = tuple(int(n) for n in shape)
    if len(shape) != 2 or len(indptr) != shape[0] + 1:
        raise ValueError(f"indptr must have shape[0] + 1 = {shape[0] + 1} entries for shape {shape}, got {len(indptr)}")
    w = np.zeros(shape, dtype=np.asarray(values).dtype)
    rows = np.repeat(np.arange(shape[0]), np.diff(np.asarray(indptr, dtype=np.int64)))
    w[rows, np.asarray(indices, dtype=np.int64)] = values
    return w
