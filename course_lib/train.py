"""A mini-batch training loop that records what the chapters plot.

    history = train(model, SGD(model.params, lr=0.1), x, y, epochs=20, batch_size=32, rng=0)

Each epoch visits the training set once in an order shuffled by ``rng``; each mini-batch does
forward, softmax cross-entropy, backward, optional clipping, one optimizer step. The history records
    loss, accuracy             per epoch, on the training set (the mean over the epoch's batches)
    diverged_at_step           the step at which the logits overflowed (training stops), else None
    val_loss, val_accuracy     per epoch, when validation data are given (after the epoch)
    lr                         per step (after the scheduler, if any, set it)
    grad_norm                  per step, the total gradient norm before clipping
    update_ratio               per step and weight matrix: ||W_after - W_before|| / ||W_before||
The update:data ratio says how fast each layer moves; around 1e-3 per step is a common healthy value
(Karpathy, CS231n notes "Neural Networks Part 3", "Ratio of weights:updates").

Progress: with ``progress=True`` a one-line text bar is shown and updated in place (in Jupyter through an
updatable display; elsewhere on stderr). It shows only epochs and losses, no timings, so a notebook's
stored output stays reproducible. Tests pass ``progress=False``.
"""

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_int, as_rng
from .clip import clip_grad_norm
from .nn import MLP, softmax_cross_entropy
from .progress import ProgressLine

__all__ = ["History", "StepResult", "train", "train_step", "accuracy", "evaluate"]


@dataclass
class History:
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    update_ratio: list = field(default_factory=list)  # one list per step: one ratio per weight matrix
    penalty: list = field(default_factory=list)  # per epoch, when a penalty is given
    diverged_at_step: int | None = None  # the step whose logits overflowed to inf/nan; training stopped there


@dataclass
class StepResult:
    """What one ``train_step`` measured."""

    loss: float  # the batch's mean data loss (before the update)
    correct: int  # how many of the batch's examples the model classified right (before the update)
    penalty: float | None = None  # the penalty's value, when a penalty was given
    grad_norm: float | None = None  # the total gradient norm before clipping, when asked for (or clipped)
    update_ratio: list | None = None  # per weight matrix ||W_after - W_before|| / ||W_before||, when asked for


def train_step(model, optimizer, x, y, *, penalty=None, pruner=None, clip_norm=None, trainable=None,
               diagnostics=False):
    """One step of gradient descent on the batch ``(x, y)``; returns a ``StepResult``, or None if the logits
    overflowed (to inf or nan: the run has diverged, and nothing was updated).

        logits = model.forward(x)
        loss, dlogits = softmax_cross_entropy(logits, y)
        grads = model.backward(dlogits)                     (+ the penalty's gradient, if any)
        optimizer.step(grads)

    ``penalty``: a ``course_lib.regularization`` penalty; its gradient is added to the loss gradient (an
    ``L1(..., proximal=True)`` is applied after the step instead, by its proximal step).
    ``pruner``: a ``course_lib.pruning.Pruner``: pruned weights get zero gradients and are re-zeroed after the
    step (no regrowth). ``clip_norm``: clip the total gradient norm to this value (``clip_grad_norm``).
    ``trainable``: the positions in ``model.params`` that the optimizer was given, when it was given only some
    of them (``transfer.trainable_params``); the other gradients are dropped. ``diagnostics=True`` also
    measures the gradient norm and each weight matrix's update ratio (a copy of the weights per step).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is detected and reported below
        logits = model.forward(x)
    if not np.all(np.isfinite(logits)):  # diverged: too large a learning rate, most often
        return None
    loss, dlogits = softmax_cross_entropy(logits, y)
    grads = model.backward(dlogits)
    result = StepResult(loss=loss, correct=int(np.sum(logits.argmax(axis=1) == y)))
    if penalty is not None:
        result.penalty, penalty_grads = penalty(model.params)
        grads = [g + pg for g, pg in zip(grads, penalty_grads)]
    if pruner is not None:
        grads = pruner.mask_gradients(grads)
    if trainable is not None:
        grads = [grads[i] for i in trainable]
    if clip_norm:
        result.grad_norm = clip_grad_norm(grads, clip_norm)
    elif diagnostics:
        result.grad_norm = _total_norm(grads)
    before = [W.copy() for W in model.weights] if diagnostics else None
    optimizer.step(grads)
    if penalty is not None and getattr(penalty, "proximal", False):
        penalty.proximal_step(model.params, optimizer.lr)
    if pruner is not None:
        pruner.apply()
    if diagnostics:
        with np.errstate(over="ignore", invalid="ignore"):
            result.update_ratio = [float(np.linalg.norm(W - W0) / max(np.linalg.norm(W0), 1e-12))
                                   for W, W0 in zip(model.weights, before)]
    return result


def accuracy(model, x, y):
    """Fraction of the examples whose predicted class is ``y``."""
    return float(np.mean(model.predict(x) == y))


def evaluate(model, x, y, batch_size=1024):
    """(mean loss, accuracy) of ``model`` on ``(x, y)``, in batches to bound memory."""
    total, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        logits = model.forward(xb)
        total += softmax_cross_entropy(logits, yb)[0] * len(yb)
        correct += int(np.sum(logits.argmax(axis=1) == yb))
    return total / len(y), correct / len(y)


def _epoch_line(done, total, text):
    filled = int(round(20 * done / total))
    return f"epoch {done:>{len(str(total))}}/{total} [{'=' * filled}{' ' * (20 - filled)}] {text}"


def _input_shapes(model):
    """The shapes of one example that ``model.forward`` takes: ``(sizes[0],)`` for an MLP; for a model with an
    ``input_shape`` (a ``course_lib.cnn.CNN``: (C, H, W)), that shape or its flattened length."""
    if hasattr(model, "input_shape"):
        shape = tuple(model.input_shape)
        return [shape, (int(np.prod(shape)),)]
    return [(model.sizes[0],)]


def _check_data(x, y, model, name):
    shapes = _input_shapes(model)
    if not isinstance(x, np.ndarray) or x.ndim < 2 or x.shape[1:] not in shapes:
        shape = getattr(x, "shape", type(x).__name__)
        expected = " or ".join("(n, " + ", ".join(map(str, s)) + ")" for s in shapes)
        raise ValueError(f"{name} must be an array of shape {expected}, got {shape}")
    y = np.asarray(y)
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"the labels of {name} must be {x.shape[0]} integers, got shape {y.shape}, dtype {y.dtype}")
    return y


def train(model, optimizer, x, y, epochs, batch_size=32, rng=None, scheduler=None, x_val=None, y_val=None,
          clip_norm=None, penalty=None, pruner=None, diagnostics=True, progress=True):
    """Train ``model`` (an ``MLP``, or a ``cnn.CNN``) with ``optimizer`` on ``(x, y)`` for ``epochs`` epochs; return a
    ``History``.

    ``scheduler``: a ``course_lib.schedules.Scheduler`` (its ``step()`` is called before every optimizer
    step). ``clip_norm``: clip the total gradient norm to this value (``clip_grad_norm``).
    ``penalty``: a ``course_lib.regularization`` penalty (``L1``/``L2``); its gradient is added to the
    loss gradient before clipping; ``history.loss`` stays the data loss, ``history.penalty`` holds the
    penalty's value per epoch (mean over the epoch's steps). ``pruner``: a ``course_lib.pruning.Pruner``;
    pruned weights get zero gradients and are re-zeroed after every step (no regrowth).
    ``diagnostics``: record ``grad_norm`` and ``update_ratio`` per step (``False`` skips them: faster).
    Each step is one ``train_step``. The model's parameters must be the optimizer's (``optimizer.params is
    model.params`` element-wise).
    """
    if not isinstance(model, MLP) and not (all(hasattr(model, a) for a in ("params", "forward", "backward"))
                                           and (hasattr(model, "sizes") or hasattr(model, "input_shape"))):
        raise TypeError(f"model must be a course_lib.nn.MLP or cnn.CNN (or have their params, forward, backward and "
                        f"sizes or input_shape), got {type(model).__name__}")
    if len(optimizer.params) != len(model.params) or any(p is not q for p, q in zip(optimizer.params, model.params)):
        raise ValueError("the optimizer must be built on model.params (e.g. SGD(model.params, lr=0.1))")
    y = _check_data(x, y, model, "x")
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    if x_val is not None:
        y_val = _check_data(x_val, y_val, model, "x_val")
    epochs, batch_size = as_int(epochs, "epochs", low=1), as_int(batch_size, "batch_size", low=1)
    rng = as_rng(rng)

    history, bar = History(), ProgressLine(enabled=progress)
    bar.show(_epoch_line(0, epochs, ""))
    n = len(y)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        losses, correct, penalty_values = [], 0, []
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            if scheduler is not None:
                scheduler.step()
            step = train_step(model, optimizer, x[batch], y[batch], penalty=penalty, pruner=pruner,
                              clip_norm=clip_norm, diagnostics=diagnostics)
            if step is None:  # the logits overflowed: stop
                history.diverged_at_step = len(history.lr)
                break
            history.lr.append(optimizer.lr)
            if diagnostics:
                history.grad_norm.append(step.grad_norm)
                history.update_ratio.append(step.update_ratio)
            losses.append(step.loss * len(batch))
            correct += step.correct
            if penalty is not None:
                penalty_values.append(step.penalty)
        if history.diverged_at_step is not None:
            bar.show(_epoch_line(epoch, epochs, f"diverged at step {history.diverged_at_step}: the logits overflowed"))
            break
        history.loss.append(float(np.sum(losses) / n))
        if penalty is not None:
            history.penalty.append(float(np.mean(penalty_values)))
        history.accuracy.append(correct / n)
        text = f"loss {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.1%}"
        if x_val is not None:
            val_loss, val_accuracy = evaluate(model, x_val, y_val)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_accuracy)
            text += f", validation {val_accuracy:.1%}"
        bar.show(_epoch_line(epoch, epochs, text))
    bar.close()
    return history


def _total_norm(grads):
    return float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
