"""Optimizers that update a list of numpy arrays in place, with the semantics of ``torch.optim``.

    opt = SGD(model.params, lr=0.1)
    loss, dlogits = softmax_cross_entropy(model.forward(x), y)
    opt.step(model.backward(dlogits))        # every array in model.params changes in place

``opt.lr`` may be changed between steps (that is what a learning-rate schedule does).
``step`` checks that the gradients match the parameters (count, shapes, dtypes) and are finite; a
bad gradient raises ``ValueError`` and leaves every parameter unchanged.
"""

import numpy as np

from ._checks import as_float

__all__ = ["Optimizer", "SGD"]


class Optimizer:
    """What every optimizer shares: the parameter list, a validated ``lr``, the gradient checks."""

    def __init__(self, params, lr):
        if isinstance(params, np.ndarray) or not hasattr(params, "__iter__"):
            raise TypeError("params must be a list of numpy arrays, e.g. model.params")
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: nothing to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"params[{i}] must be a float numpy array, got {type(p).__name__}")
            if not p.flags.writeable:
                raise ValueError(f"params[{i}] is read-only; the optimizer updates it in place")
        self.lr = lr

    @property
    def lr(self):
        """The learning rate; a schedule may set it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = as_float(value, "lr", nonnegative=True)

    def _check_grads(self, grads):
        if isinstance(grads, np.ndarray) or not hasattr(grads, "__iter__"):
            raise TypeError("grads must be a list of arrays, one per parameter (e.g. model.backward(dlogits))")
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"grads has {len(grads)} arrays but there are {len(self.params)} parameters")
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if not isinstance(g, np.ndarray):
                raise TypeError(f"grads[{i}] must be a numpy array, got {type(g).__name__}")
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}")
            if g.dtype != p.dtype:
                raise ValueError(f"grads[{i}] has dtype {g.dtype} but params[{i}] has dtype {p.dtype}")
            if not np.all(np.isfinite(g)):
                raise ValueError(f"grads[{i}] contains nan or inf; no parameter was updated "
                                 "(lower the learning rate, clip the gradients, or check the loss)")
        return grads


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD`` without momentum (chapter 04 adds it):

        g = grad + weight_decay * param          (L2 penalty (weight_decay / 2) * ||param||^2)
        param <- param - lr * g

    Robbins & Monro 1951; in deep learning e.g. Goodfellow, Bengio & Courville, "Deep Learning", 8.3.1.
    """

    def __init__(self, params, lr, weight_decay=0.0):
        super().__init__(params, lr)
        self.weight_decay = as_float(weight_decay, "weight_decay", nonnegative=True)

    def step(self, grads):
        """Update every parameter in place from its gradient."""
        for param, grad in zip(self.params, self._check_grads(grads)):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            param -= self.lr * grad
