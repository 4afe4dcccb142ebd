"""A multilayer perceptron in numpy: forward pass, backward pass, softmax cross-entropy.

Notation (chapter 00): a layer computes ``z = a @ W + b`` with ``W.shape == (fan_in, fan_out)``
and ``b.shape == (fan_out,)``, then ``a_next = f(z)``. A batch ``a`` has one example per row.
Backpropagation, for a layer with upstream gradient ``dz = dL/dz`` (Rumelhart, Hinton & Williams 1986):

    dW = a.T @ dz          db = dz.sum(axis=0)          da = dz @ W.T          dz_prev = da * f'(z_prev)

The last layer has no nonlinearity: it returns logits, and ``softmax_cross_entropy`` turns them into a
loss and its gradient.
"""

import numpy as np

from ._checks import as_dtype, as_float, as_int, as_rng, choose
from .init import get_initializer

__all__ = [
    "ACTIVATIONS",
    "LEAKY_RELU_SLOPE",
    "identity",
    "identity_derivative",
    "relu",
    "relu_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "tanh",
    "tanh_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "log_softmax",
    "softmax",
    "softmax_cross_entropy",
    "MLP",
]

LEAKY_RELU_SLOPE = 0.01  # PyTorch's default negative slope


# --------------------------------------------------------------------------------------------------
# Activations: each function f(z) beside its derivative f'(z)
# --------------------------------------------------------------------------------------------------


def identity(z):
    return z


def identity_derivative(z):
    return np.ones_like(z)


def relu(z):
    return np.maximum(z, 0)


def relu_derivative(z):
    """1 where z > 0, else 0 (at z = 0 too, as PyTorch takes it)."""
    return (z > 0).astype(z.dtype)


def leaky_relu(z):
    return np.where(z > 0, z, LEAKY_RELU_SLOPE * z)


def leaky_relu_derivative(z):
    return np.where(z > 0, 1.0, LEAKY_RELU_SLOPE).astype(z.dtype)


def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    return 1.0 - np.tanh(z) ** 2


def sigmoid(z):
    """1 / (1 + exp(-z)), written as (1 + tanh(z/2)) / 2, which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1.0 - s)


# name -> (f, f'): what a hidden layer applies, and what backpropagation multiplies by
ACTIVATIONS = {
    "identity": (identity, identity_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "tanh": (tanh, tanh_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
}


# --------------------------------------------------------------------------------------------------
# Softmax and cross-entropy
# --------------------------------------------------------------------------------------------------


def _all_finite(a):
    """``np.all(np.isfinite(a))`` without a boolean array of a's size: two reductions, no new array.

    An array is all finite exactly when its largest and smallest entries are: a nan anywhere makes
    both ``max`` and ``min`` nan (they propagate nan), +inf is the largest entry and -inf the smallest.
    (On 203530 float32 numbers, the size of the chapter 08 network's gradient, this takes about 15 us,
    half the time of a finite ``np.sum``; on the 47 million pixels of MNIST it needs no 47 MB temporary.)
    """
    if a.size == 0:
        return True
    return bool(np.isfinite(a.max())) and bool(np.isfinite(a.min()))


def _check_logits(logits):
    if not isinstance(logits, np.ndarray):
        raise TypeError(f"logits must be a numpy array, got {type(logits).__name__}")
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D, (batch, classes), got shape {logits.shape}")
    if not np.issubdtype(logits.dtype, np.floating):
        raise TypeError(f"logits must be a float array, got dtype {logits.dtype}")
    if not _all_finite(logits):
        raise ValueError("logits contain nan or inf")


def log_softmax(logits):
    """log softmax(z)_k = z_k - logsumexp(z), with logsumexp(z) = m + log(sum(exp(z - m))), m = max(z).

    Subtracting the row maximum m changes nothing mathematically and keeps every exp() <= 1, so logits
    of 1000 or 1e4 do not overflow (the naive exp(z) / sum(exp(z)) gives inf/inf = nan).
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits):
    """softmax(z)_k = exp(z_k - m) / sum_j exp(z_j - m), m = max(z): stable for any finite logits."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits, y):
    """Mean softmax cross-entropy over the batch and its gradient: ``(loss, dlogits)``.

    loss = -(1/n) sum_i log softmax(z_i)[y_i]          dlogits = (softmax(z) - onehot(y)) / n

    ``logits`` has shape (n, C); ``y`` holds n integer class labels in [0, C). The loss is a Python
    float; ``dlogits`` has the logits' shape and dtype. Same value as ``torch.nn.functional.cross_entropy``.
    """
    _check_logits(logits)
    n, num_classes = logits.shape
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y must hold one label per row of logits, shape ({n},), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"y must hold labels in [0, {num_classes}), got min {y.min()}, max {y.max()}")
    logp = log_softmax(logits)
    rows = np.arange(n)
    loss = float(-logp[rows, y].mean())
    dlogits = np.exp(logp)
    dlogits[rows, y] -= 1.0
    dlogits /= n
    return loss, dlogits


# --------------------------------------------------------------------------------------------------
# The MLP
# --------------------------------------------------------------------------------------------------


class MLP:
    """A fully connected network: ``sizes = [n_in, hidden..., n_out]``.

    Each hidden layer computes ``a = f(a_prev @ W + b)``; the last layer returns logits (no f).

    Arguments:
        sizes: layer widths, at least two positive ints.
        activation: one of identity, relu, leaky_relu, tanh, sigmoid (all hidden layers).
        init: an initializer name of ``course_lib.init`` (aliases allowed) or a callable
            ``init(shape, rng=...)``; it is called with its defaults (e.g. kaiming_normal assumes ReLU).
        bias_init: the constant every bias starts at (0 unless you have a reason: chapter 03).
        rng: Generator or seed for the weights.
        dtype: "float32" or "float64".

    ``params`` is the list ``[W1, b1, W2, b2, ...]``; an optimizer updates these arrays in place.
    ``backward(dlogits)`` returns the gradients in the same order, after a ``forward`` on the batch. It writes
    them into the same arrays at every call (as PyTorch keeps a ``.grad`` per parameter): copy gradients you
    want to keep.
    """

    def __init__(self, sizes, activation="relu", init="kaiming_normal", bias_init=0.0, rng=None, dtype="float32"):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise TypeError(f"sizes must be a list of layer widths, e.g. [784, 256, 10], got {sizes!r}")
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least two layer widths, e.g. [784, 256, 10], got {sizes!r}")
        self.sizes = [as_int(size, f"sizes[{i}]", low=1) for i, size in enumerate(sizes)]
        self.activation = choose(activation, "activation", ACTIVATIONS)
        self.dtype = as_dtype(dtype)
        initializer = get_initializer(init)
        bias_value = as_float(bias_init, "bias_init")
        rng = as_rng(rng)
        self.params = []
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]):
            W = np.array(initializer((fan_in, fan_out), rng=rng), dtype=self.dtype)
            if W.shape != (fan_in, fan_out):
                raise ValueError(f"init returned shape {W.shape}, expected {(fan_in, fan_out)}")
            self.params += [W, np.full(fan_out, bias_value, dtype=self.dtype)]
        self._grads = None  # the arrays backward() writes into, made by its first call
        self._cache = None  # what forward() keeps for backward(): each layer's input and pre-activation

    @property
    def weights(self):
        """The weight matrices ``[W1, W2, ...]`` (the same arrays as in ``params``)."""
        return self.params[0::2]

    @property
    def biases(self):
        """The bias vectors ``[b1, b2, ...]`` (the same arrays as in ``params``)."""
        return self.params[1::2]

    def __repr__(self):
        return f"MLP(sizes={self.sizes}, activation={self.activation!r}, dtype={self.dtype.name!r})"

    def copy(self):
        """A new MLP with copies of this one's parameters (training one never changes the other)."""
        twin = MLP(self.sizes, activation=self.activation, init="zeros", dtype=self.dtype)
        twin.params = [p.copy() for p in self.params]
        return twin

    def check_input(self, x):
        """``x`` as an array of this network's dtype, after checking it is a finite (batch, sizes[0]) array."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"x must be a numpy array, got {type(x).__name__}")
        if x.dtype.kind not in "biuf":
            raise TypeError(f"x must hold real numbers, got dtype {x.dtype}")
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"x must have shape (batch, {self.sizes[0]}), got {x.shape}")
        if x.dtype.kind == "f" and not _all_finite(x):  # integers are always finite
            raise ValueError("x contains nan or inf")
        return x.astype(self.dtype, copy=False)

    def forward(self, x):
        """Logits for the batch ``x`` of shape (batch, sizes[0]).

        Keeps each layer's input and pre-activation for ``backward`` and for the diagnostics
        (``self.layer_inputs``, ``self.pre_activations``).
        """
        a = self.check_input(x)
        f, _ = ACTIVATIONS[self.activation]
        inputs, pre_activations = [], []
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            inputs.append(a)
            z = a @ W + b
            pre_activations.append(z)
            a = z if i == last else f(z)
        self._cache = (inputs, pre_activations)
        return a

    def layer_output(self, x, n_layers):
        """The activation after the first ``n_layers`` layers: ``f(... f(x @ W1 + b1) ...)``, nothing kept.

        ``n_layers = 0`` returns ``x`` (as an array of the network's dtype); the last layer's output, the
        logits, is ``forward(x)``, so ``n_layers`` must be below the number of layers.
        """
        n_layers = as_int(n_layers, "n_layers", 0, len(self.weights) - 1)
        a = self.check_input(x)
        f, _ = ACTIVATIONS[self.activation]
        for W, b in zip(self.weights[:n_layers], self.biases[:n_layers]):
            a = f(a @ W + b)
        return a

    def clear_cache(self):
        """Forget what the last ``forward`` kept (its inputs and pre-activations), e.g. after changing ``params``."""
        self._cache = None

    @property
    def layer_inputs(self):
        """Inputs of each layer in the last forward pass: x, then each hidden layer's activation."""
        return self._require_cache()[0]

    @property
    def pre_activations(self):
        """Pre-activations z of each layer in the last forward pass (the last one are the logits)."""
        return self._require_cache()[1]

    def _require_cache(self):
        if self._cache is None:
            raise RuntimeError("call forward(x) before backward() or the layer statistics")
        return self._cache

    def backward(self, dlogits):
        """Gradients ``[dW1, db1, dW2, db2, ...]`` of the loss, given ``dlogits = dL/dlogits``.

        Uses the inputs and pre-activations kept by the last ``forward``. The gradients are written
        into the same arrays at every call, so the next ``backward`` overwrites them: to keep them,
        copy them (``[g.copy() for g in grads]``).
        """
        inputs, pre_activations = self._require_cache()
        expected = (inputs[0].shape[0], self.sizes[-1])
        if not isinstance(dlogits, np.ndarray) or dlogits.shape != expected:
            got = dlogits.shape if isinstance(dlogits, np.ndarray) else type(dlogits).__name__
            raise ValueError(f"dlogits must have the logits' shape {expected}, got {got}")
        _, f_prime = ACTIVATIONS[self.activation]
        dz = dlogits.astype(self.dtype, copy=False)
        grads = self._gradient_arrays()
        for i in reversed(range(len(self.weights))):
            np.matmul(inputs[i].T, dz, out=grads[2 * i])  # dW = a_prev.T @ dz, written into grads: no new array
            np.sum(dz, axis=0, out=grads[2 * i + 1])  # db = dz summed over the batch
            if i > 0:
                dz = (dz @ self.weights[i].T) * f_prime(pre_activations[i - 1])  # dz of the layer below
        return list(grads)

    def _gradient_arrays(self):
        """The arrays ``backward`` writes into, one per parameter: made once, then reused (made anew if
        ``params`` were replaced by arrays of other shapes, as ``pruning.structured_prune`` does)."""
        if self._grads is None or [g.shape for g in self._grads] != [p.shape for p in self.params]:
            self._grads = [np.zeros_like(p) for p in self.params]
        return self._grads

    def predict(self, x):
        """Predicted class labels: the argmax of the logits."""
        return self.forward(x).argmax(axis=1)
