"""The exercises of chapter 07 (``notebooks/07_pruning.ipynb``): ``prune_mask`` and ``symmetric_quantize``."""

import math

import numpy as np

from ._grading import _as_array, _call, _exercise, _printer, _Wrong

__all__ = ["check_prune_mask", "check_symmetric_quantize"]

_PRUNING = "chapter 07, section 2 'Magnitude pruning, to an exact sparsity'"
_QUANTIZATION = "chapter 07, section 6 'Quantization: fewer bits per weight'"


@_exercise("prune_mask")
def _grade_prune_mask(fn):
    rng = np.random.default_rng(7)
    cases = [(rng.normal(size=(3, 3)), 0.3), (rng.normal(size=(4, 5)), 0.5), (rng.normal(size=(2, 7)), 0.0),
             (rng.normal(size=(5,)), 1.0), (np.array([[0.5, -0.5, 0.1], [0.5, 2.0, -0.1]]), 0.5)]
    for w, sparsity in cases:
        case = f" (w of shape {w.shape}, sparsity {sparsity})"
        mask = np.asarray(_call(fn, w.copy(), sparsity, case=case))
        if mask.shape != w.shape:
            raise _Wrong(f"mask has shape {mask.shape}, expected {w.shape}{case}", "one True/False per weight.")
        if mask.dtype != bool:
            raise _Wrong(f"mask has dtype {mask.dtype}, expected bool{case}", "True where the weight is kept.")
        count = int(round(sparsity * w.size))
        zeros = int(np.sum(~mask))
        if zeros == w.size - count and zeros != count:
            raise _Wrong(f"{zeros} weights pruned, expected {count}{case}: the mask is upside down",
                         "True means kept: keep the large weights.")
        if zeros != count:
            raise _Wrong(f"{zeros} weights pruned, expected round(sparsity * n) = {count}{case}",
                         f"a threshold from np.quantile or int(sparsity * n) misses the count on ties or on rounding: "
                         f"re-read how {_PRUNING} reaches the exact count.")
        kept, dropped = np.abs(w[mask]), np.abs(w[~mask])
        if kept.size and dropped.size and dropped.max() > kept.min():
            signed = np.argsort(w.ravel(), kind="stable")[:count]
            if set(signed) == set(np.flatnonzero(~mask.ravel())):
                raise _Wrong(f"the most negative weights were pruned{case}",
                             f"magnitude pruning ranks the weights by size, whatever their sign ({_PRUNING}).")
            raise _Wrong(f"a pruned weight (|w| = {dropped.max():.3f}) is larger than a kept one "
                         f"(|w| = {kept.min():.3f}){case}",
                         f"magnitude pruning removes the weights closest to 0 ({_PRUNING}).")
    return "exactly round(sparsity * n) of the smallest |w| pruned, for sparsity 0 to 1 and with ties."


@_exercise("symmetric_quantize")
def _grade_symmetric_quantize(fn):
    from ..quantization import quantize

    cases = [(np.array([-1.0, -0.5, 0.0, 0.24, 0.26, 1.27]), 8),
             (np.array([-7.5, -2.5, 0.0, 0.5, 1.5, 7.5]), 4),  # scale 1 exactly: halves and the clamp at 7
             (np.array([-2.0, -0.3, 0.0, 0.7, 1.0]), 8)]  # the largest |w| is negative: max(w) is not max|w|
    for w, bits in cases:
        case = f" (w={w.tolist()}, bits={bits})"
        out = _call(fn, w.copy(), bits, case=case)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise _Wrong(f"return the pair (q, scale), got {type(out).__name__}")
        q, scale = _as_array(out[0], "q"), out[1]
        try:
            scale = float(scale)
        except (TypeError, ValueError):
            raise _Wrong(f"scale should be a number, got {type(scale).__name__}",
                         "return the pair (q, scale), scale one float for the whole tensor.") from None
        want_q, want_scale, _ = quantize(w, bits, "symmetric")
        qmax = 2 ** (bits - 1) - 1
        if math.isclose(scale, np.abs(w).max() / qmax):
            raise _Wrong(f"scale is max|w| / {qmax}{case}",
                         f"PyTorch's symmetric range for {bits} bits is [{-qmax - 1}, {qmax}], one value more below 0: "
                         f"re-read how {_QUANTIZATION} computes the scale from qmin and qmax.")
        if w.max() < np.abs(w).max() and any(math.isclose(scale, w.max() / d) for d in (qmax, (2 * qmax + 1) / 2)):
            raise _Wrong(f"scale comes from max(w) = {w.max():g}, but the weight {w.min():g} is further from 0{case}",
                         f"the range must cover the weights of both signs, by their magnitude ({_QUANTIZATION}).")
        if not math.isclose(scale, want_scale):
            raise _Wrong(f"scale is {scale:.6g}, expected {want_scale:.6g}{case}",
                         f"re-read the scale of symmetric quantization in {_QUANTIZATION}.")
        if q.shape != w.shape:
            raise _Wrong(f"q has shape {q.shape}, expected {w.shape}{case}", "one integer per weight.")
        if np.array_equal(q, np.clip(np.floor(w / scale + 0.5), -qmax - 1, qmax)) and not np.array_equal(q, want_q):
            raise _Wrong(f"q is {q.astype(int).tolist()}, expected {want_q.tolist()}{case}",
                         "PyTorch rounds halves to even (2.5 to 2, 3.5 to 4); floor(x + 0.5) rounds every half up. "
                         "Which numpy rounding rounds halves to even?")
        if np.any(q > qmax) or np.any(q < -qmax - 1):
            raise _Wrong(f"q is {q.astype(int).tolist()}: outside [{-qmax - 1}, {qmax}]{case}",
                         f"{bits}-bit integers cannot hold it: values beyond the range saturate at its ends "
                         f"({_QUANTIZATION}).")
        if not np.array_equal(q, want_q):
            raise _Wrong(f"q is {q.astype(int).tolist()}, expected {want_q.tolist()}{case}",
                         f"re-read how {_QUANTIZATION} maps a weight to its integer.")
    return "scale = max|w| / ((qmax - qmin) / 2), q = clip(round(w / scale)) with PyTorch's rounding, 8 and 4 bits."


check_prune_mask = _printer("prune_mask")
check_symmetric_quantize = _printer("symmetric_quantize")
