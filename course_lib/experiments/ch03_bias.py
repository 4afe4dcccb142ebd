"""Chapter 03 (bias): the numbers behind ``widgets.bias_explorer`` (one neuron with two inputs, ``neuron_2d``),
behind the chapter's dead units (``inactive_fraction``, ``large_step_experiment``: one too-large step against its
control) and behind its myth box (``he_scaled_biases``, ``bias_start_experiment``)."""

import numpy as np

from .._checks import as_float, as_int, as_rng, choose
from ..nn import ACTIVATIONS, MLP, softmax_cross_entropy
from ._common import _hidden_widths

__all__ = ["NEURON_ACTIVATIONS", "neuron_2d", "inactive_fraction", "large_step_experiment", "he_scaled_biases",
           "bias_start_experiment"]

NEURON_ACTIVATIONS = ("sigmoid", "relu")  # what the bias explorer's neuron can apply


def neuron_2d(w1, w2, b, x, y, activation="sigmoid"):
    """One neuron ``a = f(w1 x1 + w2 x2 + b)`` on 2-D data ``x`` with labels ``y`` (0/1), ``f`` the sigmoid or ReLU.

    Returns z, a, ``line`` (two points of the line w . x + b = 0, None when w = 0: the sigmoid's decision line,
    the ReLU's kink), ``distance_from_origin`` (|b| / ||w||), ``active_fraction`` (the share of examples with
    z > 0: on the line's positive side, where a ReLU passes its input and its gradient) and ``accuracy`` (z > 0
    predicts class 1; for the sigmoid that is a > 0.5). A ReLU unit with ``active_fraction`` 0 is dead on ``x``.
    """
    w1, w2, b = as_float(w1, "w1"), as_float(w2, "w2"), as_float(b, "b")
    f, _ = ACTIVATIONS[choose(activation, "activation", NEURON_ACTIVATIONS)]
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (n, 2), got {x.shape}")
    y = np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"y must have shape ({len(x)},), got {y.shape}")
    z = x @ np.array([w1, w2]) + b
    norm = np.hypot(w1, w2)
    line = None
    if norm > 0:
        foot = -b / norm**2 * np.array([w1, w2])  # the point of the line nearest the origin
        along = np.array([-w2, w1]) / norm * 100
        line = np.array([foot - along, foot + along])
    active = z > 0
    return {"z": z, "a": f(z), "accuracy": float(np.mean(active == (y == 1))), "line": line,
            "distance_from_origin": None if norm == 0 else abs(b) / norm, "active_fraction": float(active.mean())}


def inactive_fraction(z):
    """Fraction of units (columns of the pre-activations ``z``) with ``z <= 0`` on every example (row).

    For ReLU these units are dead: they output 0 and pass no gradient, ``dead_fraction(relu(z))``. A Leaky ReLU
    unit there outputs 0.01 z and still passes 1% of the gradient (Maas, Hannun & Ng 2013), so it can come back.
    """
    z = np.asarray(z)
    if z.ndim != 2:
        raise ValueError(f"z must have shape (examples, units), got {z.shape}")
    return float(np.all(z <= 0, axis=0).mean())


def _measure(model, x, y, rows=64):
    """(per hidden layer: which units are active on some example of x, the mean loss, the accuracy), all for the
    current parameters, in blocks of ``rows`` examples (small products: one thread, see _forward_in_chunks)."""
    active = [np.zeros(width, dtype=bool) for width in model.sizes[1:-1]]
    loss, correct = 0.0, 0
    for start in range(0, len(x), rows):
        xb, yb = x[start:start + rows], y[start:start + rows]
        logits = model.forward(xb)
        for seen, z in zip(active, model.pre_activations[:-1]):
            seen |= np.any(z > 0, axis=0)
        loss += softmax_cross_entropy(logits, yb)[0] * len(yb)
        correct += int(np.sum(logits.argmax(axis=1) == yb))
    return active, loss / len(x), correct / len(x)


def large_step_experiment(x, y, activation="relu", large_lr=None, epochs=60, lr=0.1, batch_size=32,
                          hidden=(64, 64), seed=0):
    """Optionally one full-batch gradient step at ``large_lr``, then ``epochs`` epochs of mini-batch SGD at ``lr``.

    The network is ``MLP([2, *hidden, classes], activation, rng=seed)`` in float64, the batches are shuffled by
    ``seed``: a run with ``large_lr=None`` is the control of the run with the large step (same network, same
    batches, no large step). Measured on ``(x, y)`` with the same parameters at each point:

        dead_at_init    per hidden layer, the inactive fraction before anything (``inactive_fraction``)
        dead            (epochs + 1, layers): row 0 right after the large step (the control: at init),
                        row e after epoch e
        accuracy, loss  (epochs + 1,): training accuracy and mean loss, at the same points as ``dead``
        inactive        per hidden layer, (epochs + 1, units) booleans: which units are inactive, rows as ``dead``
        revived         per hidden layer, how many units are active at the end after being inactive at some row
                        of ``dead`` (right after the step or after some epoch: a unit that dies during epoch 1 and
                        comes back counts); a unit that came back and is inactive again at the end does not count
        weight_norm     (3, layers): ||W|| of each layer at init, after the large step, at the end

    "Inactive" means z <= 0 on every training example: dead for ReLU (see ``inactive_fraction``). That a too-large
    learning rate can kill many ReLU units for good is CS231n's warning (notes "Neural Networks Part 1", section
    "Commonly used activation functions"); this measures it, and what it costs, against the control.
    """
    from ..optim import SGD
    from ..train import train_step

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if x.ndim != 2 or y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"x must have shape (n, features) and y n integer labels, got {x.shape} and {y.shape}")
    choose(activation, "activation", ACTIVATIONS)
    large_lr = None if large_lr is None else as_float(large_lr, "large_lr", positive=True)
    epochs, batch_size = as_int(epochs, "epochs", low=1), as_int(batch_size, "batch_size", low=1)
    lr = as_float(lr, "lr", positive=True)
    seed = as_int(seed, "seed", low=0)
    model = MLP([x.shape[1], *_hidden_widths(hidden), int(y.max()) + 1], activation=activation, rng=seed,
                dtype="float64")

    def norms():
        return [float(np.linalg.norm(W)) for W in model.weights]

    weight_norm = [norms()]
    active_at_init = _measure(model, x, y)[0]
    if large_lr is not None:
        _, dlogits = softmax_cross_entropy(model.forward(x), y)
        SGD(model.params, lr=large_lr).step(model.backward(dlogits))
    weight_norm.append(norms())
    active, loss, accuracy = _measure(model, x, y)
    inactive, losses, accuracies = [[~a] for a in active], [loss], [accuracy]
    optimizer, shuffle = SGD(model.params, lr=lr), np.random.default_rng(seed)
    for _ in range(epochs):
        order = shuffle.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            if train_step(model, optimizer, x[batch], y[batch]) is None:
                raise FloatingPointError("the logits overflowed: choose a smaller large_lr")
        active, loss, accuracy = _measure(model, x, y)
        for history, a in zip(inactive, active):
            history.append(~a)
        losses.append(loss)
        accuracies.append(accuracy)
    weight_norm.append(norms())
    inactive = [np.array(history) for history in inactive]
    return {"dead_at_init": [float(1 - a.mean()) for a in active_at_init],
            "dead": np.column_stack([history.mean(axis=1) for history in inactive]), "inactive": inactive,
            "accuracy": np.array(accuracies), "loss": np.array(losses),
            "revived": [int(np.sum(history.any(axis=0) & ~history[-1])) for history in inactive],
            "weight_norm": np.array(weight_norm)}


def he_scaled_biases(model, layers, rng):
    """The tutorials' recipe: every bias drawn like a He-initialized weight, ``b ~ N(0, 2 / fan_in)``.

    One vector is drawn for every layer of ``model``, in order (so that a layer's biases do not depend on which
    other layers get theirs); only the layers listed in ``layers`` (0 = the first) are set to them, in place.
    """
    rng = as_rng(rng)
    for layer, (W, b) in enumerate(zip(model.weights, model.biases)):
        random_b = rng.standard_normal(b.shape) * np.sqrt(2 / W.shape[0])
        if layer in layers:
            b[:] = random_b


def bias_start_experiment(x, y, x_val, y_val, bias_init=0.0, random_layers=(), seed=0, epochs=60, lr=0.1,
                          batch_size=32, hidden=(64, 64)):
    """Train ``MLP([2, *hidden, classes], rng=seed, bias_init=bias_init)`` in float64 with SGD at ``lr``, after
    ``he_scaled_biases`` on the layers ``random_layers`` (drawn with the seed ``100 + seed``).

    The batches are shuffled by a generator seeded 0, for every ``seed`` (as ``train(..., rng=0)`` does).
    Returns ``dead_at_start`` (per hidden layer, the share of units dead on ``x`` before training) and
    ``val_accuracy`` (epochs,): the accuracy on ``(x_val, y_val)`` after each epoch.
    """
    from ..optim import SGD
    from ..train import train_step

    x, x_val = np.asarray(x, dtype=np.float64), np.asarray(x_val, dtype=np.float64)
    y, y_val = np.asarray(y), np.asarray(y_val)
    epochs, batch_size = as_int(epochs, "epochs", low=1), as_int(batch_size, "batch_size", low=1)
    seed = as_int(seed, "seed", low=0)
    model = MLP([x.shape[1], *_hidden_widths(hidden), int(y.max()) + 1], rng=seed, dtype="float64",
                bias_init=as_float(bias_init, "bias_init"))
    he_scaled_biases(model, random_layers, np.random.default_rng(100 + seed))
    active = _measure(model, x, y)[0]
    optimizer = SGD(model.params, lr=as_float(lr, "lr", positive=True))
    shuffle, val_accuracy = np.random.default_rng(0), []
    for _ in range(epochs):
        order = shuffle.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            train_step(model, optimizer, x[batch], y[batch])
        val_accuracy.append(_measure(model, x_val, y_val)[2])
    return {"dead_at_start": [float(1 - a.mean()) for a in active], "val_accuracy": np.array(val_accuracy)}
