"""Reusing trained weights on a new task: copy layers into a new network, freeze them, train the rest (chapter 09).

Freezing a layer means that no update reaches its parameters. The reliable way is to give the optimizer only
the trainable parameters: then nothing it does (the gradient step, weight decay, momentum, Adam's moments) can
touch the frozen ones. Zeroing the frozen parameters' gradients is *not* the same: with decoupled weight decay
(AdamW) or a momentum buffer filled before the freeze, the optimizer still moves them. PyTorch's
``param.requires_grad_(False)`` is the first kind: the parameter gets no ``.grad`` (it stays ``None``), and
``torch.optim`` skips parameters whose ``.grad`` is ``None``.

Layer ``l`` (counted from 0) of an ``MLP`` owns ``params[2 l]`` (its W) and ``params[2 l + 1]`` (its b).
Transfer learning by reusing the first layers: Yosinski et al. 2014, "How transferable are features in deep
neural networks?" (which also shows that features of the first layers are the most general ones).
"""

import numbers

import numpy as np

from ._checks import as_float, as_int, as_rng
from .nn import MLP
from .optim import Adam
from .train import train_step

__all__ = ["reuse_layers", "trainable_params", "layer_output", "fine_tune"]


def _check_model(model, name="model"):
    if not isinstance(model, MLP):
        raise TypeError(f"{name} must be a course_lib.nn.MLP, got {type(model).__name__}")


def _check_layers(layers, n_layers, name):
    if isinstance(layers, (numbers.Integral, str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"{name} must be a list of layer indices, e.g. [0], got {layers!r}")
    layers = list(layers)
    return sorted(set(as_int(layer, f"each of {name} (a layer index)", 0, n_layers - 1) for layer in layers))


def reuse_layers(source, sizes, n_layers=1, rng=None, activation=None):
    """A new ``MLP(sizes)`` whose first ``n_layers`` layers are copies of ``source``'s, the others new.

    The copied layers must have the same shapes in both networks (``sizes[:n_layers + 1]`` equal to
    ``source.sizes[:n_layers + 1]``); the layers above are initialized as a new ``MLP`` would (``rng``).
    The copy is a copy: training the new network never changes ``source``. ``activation`` defaults to
    ``source``'s; the dtype is ``source``'s.
    """
    _check_model(source, "source")
    n_layers = as_int(n_layers, "n_layers", 0, len(source.weights) - 1)
    model = MLP(sizes, activation=source.activation if activation is None else activation, rng=as_rng(rng),
                dtype=source.dtype)
    if model.sizes[:n_layers + 1] != source.sizes[:n_layers + 1]:
        raise ValueError(f"sizes must start like source's to reuse {n_layers} layer(s): "
                         f"{source.sizes[:n_layers + 1]}, got {model.sizes[:n_layers + 1]}")
    for i in range(2 * n_layers):
        model.params[i][...] = source.params[i]
    return model


def trainable_params(model, frozen=()):
    """``(indices, params)``: the positions in ``model.params`` and the arrays of the layers not in ``frozen``.

    Give the optimizer ``params`` and, at each step, the gradients at ``indices``: the frozen layers' gradients
    are then dropped, and the optimizer never sees (so never changes) the frozen parameters.
    """
    _check_model(model)
    frozen = _check_layers(frozen, len(model.weights), "frozen")
    indices = [i for i in range(len(model.params)) if i // 2 not in frozen]
    return indices, [model.params[i] for i in indices]


def layer_output(model, x, n_layers):
    """The activation after the first ``n_layers`` layers of ``model``: ``f(... f(x W1 + b1) ...)``.

    ``n_layers = 0`` returns ``x`` itself; ``n_layers`` must be below the number of layers (the last one
    returns logits, which is ``model.forward``).
    """
    _check_model(model)
    return model.layer_output(x, n_layers)


def _head(model, n_layers):
    """An MLP made of ``model``'s layers above the first ``n_layers``: its params ARE model's arrays (no copy),
    so training it trains ``model``."""
    head = MLP(model.sizes[n_layers:], activation=model.activation, dtype=model.dtype, rng=0)
    head.params = list(model.params[2 * n_layers:])
    return head


def fine_tune(model, x, y, frozen=(), steps=150, batch_size=50, lr=1e-3, rng=None, callback=None):
    """Train ``model`` with Adam(``lr``) for ``steps`` mini-batch steps, the layers in ``frozen`` left as they are.

    Batches of ``batch_size`` examples (all of them if there are fewer) are drawn in an order shuffled by ``rng``
    anew at each pass over ``(x, y)``. Loss: mean softmax cross-entropy. Returns the loss of every step.
    The optimizer receives only the trainable parameters (``trainable_params``); the frozen layers' gradients
    are dropped. When the frozen layers are the bottom ones (``frozen=[0]``, ``[0, 1]``, ...), their output is
    the same at every step: it is computed once (``layer_output``, "feature extraction"), and the layers above
    are trained on it, the same training (up to rounding) without recomputing those layers at every step.
    ``callback``: a function called after every step with the number of steps done (1, 2, ..., ``steps``), e.g. to
    measure ``model`` on validation data during training; ``model`` holds the weights after that step.
    """
    indices, params = trainable_params(model, frozen)
    if not params:
        raise ValueError("frozen must leave at least one layer to train")
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != model.sizes[0]:
        raise ValueError(f"x must be an array of shape (n, {model.sizes[0]}), got {getattr(x, 'shape', type(x))}")
    y = np.asarray(y)
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold {len(x)} integer labels, got shape {y.shape}, dtype {y.dtype}")
    steps, batch_size = as_int(steps, "steps", low=1), as_int(batch_size, "batch_size", low=1)
    lr, rng = as_float(lr, "lr", positive=True), as_rng(rng)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function of the step number, got {type(callback).__name__}")
    n_fixed = indices[0] // 2  # the frozen layers below the first trainable one
    if n_fixed and indices == list(range(2 * n_fixed, len(model.params))):  # frozen = exactly the bottom layers:
        x, model = layer_output(model, x, n_fixed), _head(model, n_fixed)  # their output, once; train the head on it
        indices = list(range(len(indices)))

    optimizer = Adam(params, lr=lr)  # only the trainable parameters: the frozen ones are out of its reach
    n, batch_size = len(y), min(int(batch_size), len(y))
    order, position, losses = rng.permutation(n), 0, []
    for _ in range(steps):
        if position + batch_size > n:  # a new pass over the data, in a new order
            order, position = rng.permutation(n), 0
        batch = order[position:position + batch_size]
        position += batch_size
        step = train_step(model, optimizer, x[batch], y[batch], trainable=indices)  # frozen layers' grads dropped
        if step is None:
            raise ValueError(f"the logits overflowed at step {len(losses)}: lower lr")
        losses.append(step.loss)
        if callback is not None:
            callback(len(losses))
    return losses
