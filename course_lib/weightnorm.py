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

__all__ = ["weight_norm", "weight_norm_backward", "weight_norm_init", "WeightNormMLP"]


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


class WeightNormMLP:
    """An ``MLP`` whose every weight matrix is reparametrized as ``W = g * v / ||v||`` (per output unit).

    Same interface as ``course_lib.nn.MLP`` (``params``, ``forward``, ``backward``, ``predict``, ``weights``),
    so ``train()``, the optimizers, the penalties and ``evaluate`` work unchanged. The learned parameters are

        params = [v1, g1, b1, v2, g2, b2, ...]      v: (fan_in, fan_out), g: (fan_out,), b: (fan_out,)

    ``forward`` builds each W from its (v, g) and runs the ordinary MLP; ``backward`` runs the ordinary
    backward pass and maps each dL/dW to (dL/dv, dL/dg) with ``weight_norm_backward`` (Salimans & Kingma
    2016, eq. 3). The starting W are the ordinary MLP's (same ``init`` and ``rng``), with g = ||v||, so
    a WeightNormMLP computes the same function as the MLP it starts from.
    """

    def __init__(self, sizes, activation="relu", init="kaiming_normal", bias_init=0.0, rng=None, dtype="float32"):
        from .nn import MLP

        self.mlp = MLP(sizes, activation=activation, init=init, bias_init=bias_init, rng=rng, dtype=dtype)
        self.sizes, self.activation, self.dtype = self.mlp.sizes, self.mlp.activation, self.mlp.dtype
        self.params = []
        for W, b in zip(self.mlp.weights, self.mlp.biases):
            v, g = weight_norm_init(W)
            self.params += [v, g.astype(W.dtype), b]  # b is the inner MLP's own bias array

    @property
    def directions(self):
        """``[v1, v2, ...]``."""
        return self.params[0::3]

    @property
    def lengths(self):
        """``[g1, g2, ...]``: one learned length per output unit."""
        return self.params[1::3]

    @property
    def biases(self):
        return self.params[2::3]

    @property
    def weights(self):
        """The effective weight matrices ``g * v / ||v||`` (new arrays, computed from the parameters)."""
        return [weight_norm(v, g).astype(self.dtype, copy=False) for v, g in zip(self.directions, self.lengths)]

    def __repr__(self):
        return f"WeightNormMLP(sizes={self.sizes}, activation={self.activation!r}, dtype={self.dtype.name!r})"

    def forward(self, x):
        """Logits for ``x``: write each W = g v / ||v|| into the inner MLP, then its forward pass."""
        for W, v, g in zip(self.mlp.weights, self.directions, self.lengths):
            W[...] = weight_norm(v, g)
        return self.mlp.forward(x)

    def backward(self, dlogits):
        """Gradients ``[dv1, dg1, db1, ...]`` in the order of ``params``."""
        mlp_grads = self.mlp.backward(dlogits)
        grads = []
        for i, (v, g) in enumerate(zip(self.directions, self.lengths)):
            dv, dg = weight_norm_backward(v, g, mlp_grads[2 * i])
            grads += [dv.astype(self.dtype, copy=False), dg.astype(self.dtype, copy=False),
                      np.array(mlp_grads[2 * i + 1], copy=True)]
        return grads

    def predict(self, x):
        return self.forward(x).argmax(axis=1)

    @property
    def layer_inputs(self):
        return self.mlp.layer_inputs

    @property
    def pre_activations(self):
        return self.mlp.pre_activations
