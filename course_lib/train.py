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

import sys
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_rng
from .clip import clip_grad_norm
from .nn import MLP, softmax_cross_entropy

__all__ = ["History", "train", "accuracy", "evaluate"]


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


class _Progress:
    """A text progress line, updated in place: an updatable display in Jupyter, '\\r' on a terminal."""

    def __init__(self, total, enabled):
        self.total, self.enabled, self.handle = total, enabled, None
        if enabled:
            try:
                from IPython import get_ipython
                from IPython.display import Pretty, display

                if get_ipython() is not None and hasattr(get_ipython(), "kernel"):
                    self.handle = display(Pretty(self._line(0, "")), display_id=True)
                    self.Pretty = Pretty
            except ImportError:
                pass

    def _line(self, done, text):
        filled = int(round(20 * done / self.total))
        return f"epoch {done:>{len(str(self.total))}}/{self.total} [{'=' * filled}{' ' * (20 - filled)}] {text}"

    def update(self, done, text):
        if not self.enabled:
            return
        if self.handle is not None:
            self.handle.update(self.Pretty(self._line(done, text)))
        else:
            end = "\n" if done == self.total else ""
            print("\r" + self._line(done, text), end=end, file=sys.stderr, flush=True)


def _check_data(x, y, model, name):
    if not isinstance(x, np.ndarray) or x.ndim != 2 or x.shape[1] != model.sizes[0]:
        shape = getattr(x, "shape", type(x).__name__)
        raise ValueError(f"{name} must be an array of shape (n, {model.sizes[0]}), got {shape}")
    y = np.asarray(y)
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"the labels of {name} must be {x.shape[0]} integers, got shape {y.shape}, dtype {y.dtype}")
    return y


def train(model, optimizer, x, y, epochs, batch_size=32, rng=None, scheduler=None, x_val=None, y_val=None,
          clip_norm=None, penalty=None, pruner=None, progress=True):
    """Train ``model`` (an ``MLP``) with ``optimizer`` on ``(x, y)`` for ``epochs`` epochs; return a ``History``.

    ``scheduler``: a ``course_lib.schedules.Scheduler`` (its ``step()`` is called before every optimizer
    step). ``clip_norm``: clip the total gradient norm to this value (``clip_grad_norm``).
    ``penalty``: a ``course_lib.regularization`` penalty (``L1``/``L2``); its gradient is added to the
    loss gradient before clipping; ``history.loss`` stays the data loss, ``history.penalty`` holds the
    penalty's value per epoch (mean over the epoch's steps). ``pruner``: a ``course_lib.pruning.Pruner``;
    pruned weights get zero gradients and are re-zeroed after every step (no regrowth).
    The model's parameters must be the optimizer's (``optimizer.params is model.params`` element-wise).
    """
    if not isinstance(model, MLP) and not all(hasattr(model, a) for a in ("params", "forward", "backward", "sizes")):
        raise TypeError(f"model must be a course_lib.nn.MLP (or have its params, forward, backward and sizes), "
                        f"got {type(model).__name__}")
    if len(optimizer.params) != len(model.params) or any(p is not q for p, q in zip(optimizer.params, model.params)):
        raise ValueError("the optimizer must be built on model.params (e.g. SGD(model.params, lr=0.1))")
    y = _check_data(x, y, model, "x")
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    if x_val is not None:
        y_val = _check_data(x_val, y_val, model, "x_val")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    rng = as_rng(rng)

    history, bar = History(), _Progress(epochs, progress)
    n = len(y)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        losses, correct, penalty_values = [], 0, []
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            with np.errstate(over="ignore", invalid="ignore"):  # an overflow is detected and reported below
                logits = model.forward(x[batch])
            if not np.all(np.isfinite(logits)):  # diverged: too large a learning rate, most often
                history.diverged_at_step = len(history.lr)
                break
            loss, dlogits = softmax_cross_entropy(logits, y[batch])
            grads = model.backward(dlogits)
            if penalty is not None:
                penalty_value, penalty_grads = penalty(model.params)
                grads = [g + pg for g, pg in zip(grads, penalty_grads)]
                penalty_values.append(penalty_value)
            if pruner is not None:
                grads = pruner.mask_gradients(grads)
            history.grad_norm.append(clip_grad_norm(grads, clip_norm) if clip_norm else _total_norm(grads))
            if scheduler is not None:
                scheduler.step()
            before = [W.copy() for W in model.weights]
            optimizer.step(grads)
            if pruner is not None:
                pruner.apply()
            history.lr.append(optimizer.lr)
            with np.errstate(over="ignore", invalid="ignore"):
                history.update_ratio.append([float(np.linalg.norm(W - W0) / max(np.linalg.norm(W0), 1e-12))
                                             for W, W0 in zip(model.weights, before)])
            losses.append(loss * len(batch))
            correct += int(np.sum(logits.argmax(axis=1) == y[batch]))
        if history.diverged_at_step is not None:
            bar.update(epoch, f"diverged at step {history.diverged_at_step}: the logits overflowed")
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
        bar.update(epoch, text)
    return history


def _total_norm(grads):
    return float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
