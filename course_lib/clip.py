"""Gradient clipping, with the semantics of ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``, except
that ``error_if_nonfinite=True`` raises ``ValueError`` here where PyTorch raises ``RuntimeError``.

Clipping by norm rescales *all* gradients together, so the update keeps its direction and only its
length is capped (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural
networks", Sec. 3.2). Clipping by value caps each entry separately, which can change the direction.
Both modify the gradient arrays in place, as PyTorch does.
"""

import numpy as np

from ._checks import as_float

__all__ = ["clip_grad_norm", "clip_grad_value"]


def _grad_list(grads):
    if isinstance(grads, np.ndarray):
        grads = [grads]
    grads = list(grads)
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
            raise TypeError(f"grads[{i}] must be a float numpy array, got {type(g).__name__}")
    return grads


def clip_grad_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients by ``max_norm / (total_norm + 1e-6)`` when ``total_norm > max_norm``.

    ``total_norm`` is the ``norm_type``-norm of all gradients taken as one vector (``inf``: the largest
    absolute entry). Returns ``total_norm`` (before clipping), as PyTorch does; below the threshold
    nothing changes.

    A non-finite total norm (a gradient holds nan or inf) is handled as ``torch.nn.utils.clip_grad_norm_`` does:
    with ``error_if_nonfinite=False`` (PyTorch's default) the gradients are scaled by the factor anyway, which
    makes them nan (a nan norm: factor nan) or 0 and nan (an inf norm: factor 0, and inf * 0 = nan); the
    optimizer's step then refuses them. With ``error_if_nonfinite=True`` it raises ``ValueError`` (PyTorch raises
    ``RuntimeError``) and leaves the gradients as they were.
    """
    grads = _grad_list(grads)
    max_norm = as_float(max_norm, "max_norm", positive=True)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or not norm_type > 0:
        raise ValueError(f"norm_type must be a positive number or inf, got {norm_type!r}")
    norm_type = float(norm_type)
    if not grads:
        return 0.0
    if norm_type == np.inf:
        total = float(np.max([np.max(np.abs(g), initial=0.0) for g in grads]))  # np.max keeps a nan
    else:
        total = float(sum(np.sum(np.abs(g.astype(np.float64)) ** norm_type) for g in grads) ** (1.0 / norm_type))
    if not np.isfinite(total) and error_if_nonfinite:
        raise ValueError(f"the total gradient norm is {total}; gradients contain nan or inf, nothing was clipped "
                         "(error_if_nonfinite=True; with False they are scaled anyway, as in PyTorch)")
    factor = max_norm / (total + 1e-6)
    if factor < 1.0 or not np.isfinite(total):  # torch multiplies by min(factor, 1); nan < 1.0 is False
        with np.errstate(invalid="ignore"):  # inf * 0 = nan, as in torch
            for g in grads:
                g *= factor
    return total


def clip_grad_value(grads, clip_value):
    """Clip every gradient entry into ``[-clip_value, clip_value]``, in place."""
    grads = _grad_list(grads)
    clip_value = as_float(clip_value, "clip_value", positive=True)
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
