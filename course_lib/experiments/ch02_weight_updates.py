"""Chapter 02 (weight updates): the numbers behind its explorer and its demonstrations.

    lr_experiment          gradient descent on a two-parameter regression (``widgets.lr_explorer``)
    backward_signal        per layer: the input's std, dL/dz and dL/dW (the "gradient flow" myth)
    GradientNormTracker    an optimizer wrapper recording every layer's gradient norm at every step
    gradient_noise         how far a mini-batch gradient lies from the full one, measured and by formula
    batch_losses           mini-batch training as ``train`` does it, recording every step's loss
    lr_range_test          the learning-rate range test (Smith 2017, Sec. 3.3; geometric sweep)
"""

import numpy as np

from .._checks import as_float, as_int, as_rng
from ..nn import ACTIVATIONS, softmax_cross_entropy
from ..schedules import Scheduler, exponential_range
from ..train import train_step

__all__ = ["lr_experiment", "LR_PROBLEM_SEED", "backward_signal", "GradientNormTracker", "gradient_noise",
           "batch_losses", "lr_range_test"]

LR_PROBLEM_SEED = 0


def _lr_problem():
    """Fit y = w x + b to 64 points with x ~ N(1, 1), y = 2x - 1 + noise, by mean squared error.

    The loss is a quadratic bowl in (w, b) with Hessian H = (2/n) [x 1]^T [x 1]; gradient descent
    converges for lr < 2 / lambda_max(H) and overshoots along the steepest direction for lr > 1 / lambda_max(H).
    """
    rng = np.random.default_rng(LR_PROBLEM_SEED)
    x = rng.normal(1.0, 1.0, 64)
    y = 2.0 * x - 1.0 + rng.normal(0.0, 0.3, 64)
    features = np.column_stack([x, np.ones_like(x)])
    hessian = 2.0 * features.T @ features / len(x)
    return features, y, hessian


def lr_experiment(lr, steps=40, start=(-2.0, 3.0)):
    """Gradient descent ``theta <- theta - lr * grad`` on the regression of ``_lr_problem`` from ``start``.

    Returns a dict: ``trajectory`` (steps + 1, 2) of (w, b), ``loss`` (steps + 1,), ``lr_max`` = 2/lambda_max
    (the stability limit), ``lr_best`` = 2/(lambda_max + lambda_min) (fastest worst-case rate) and
    ``verdict``: "good" (the excess loss over the minimum fell below 1% of its start), "too small" (not
    yet, at lr < lr_best), "too large (oscillates)" (not yet, at lr > lr_best: the steep direction
    overshoots back and forth), or "divergent" (the loss grows: lr > lr_max).
    Stops early once the loss passes 1e6.
    """
    lr = as_float(lr, "lr", positive=True)
    steps = as_int(steps, "steps", 1, 10_000)
    features, y, hessian = _lr_problem()
    eigenvalues = np.linalg.eigvalsh(hessian)
    theta = np.array(start, dtype=float)
    trajectory, losses = [theta.copy()], []
    for _ in range(steps + 1):
        residual = features @ theta - y
        losses.append(float(np.mean(residual**2)))
        if len(trajectory) > steps or losses[-1] > 1e6:
            break
        theta = theta - lr * (2.0 * features.T @ residual / len(y))
        trajectory.append(theta.copy())
    trajectory = np.array(trajectory[:len(losses)])
    losses = np.array(losses)
    minimum = float(np.mean((features @ np.linalg.lstsq(features, y, rcond=None)[0] - y) ** 2))
    excess = losses - minimum
    lr_best = 2.0 / (eigenvalues[0] + eigenvalues[-1])
    if excess[-1] > excess[0]:
        verdict = "divergent"
    elif excess[-1] <= 0.01 * excess[0]:
        verdict = "good"
    else:
        verdict = "too large (oscillates)" if lr > lr_best else "too small"
    return {"trajectory": trajectory, "loss": losses, "minimum": minimum, "verdict": verdict,
            "lr_max": float(2.0 / eigenvalues[-1]), "lr_best": float(lr_best)}


# --------------------------------------------------------------------------------------------------
# The backward signal layer by layer (the "gradient flow" myth)
# --------------------------------------------------------------------------------------------------

def backward_signal(model, x, y):
    """Per layer l of ``model`` (an ``MLP``) on the batch ``(x, y)``, with softmax cross-entropy:

        input_std    std of the layer's input a_(l-1)  (the data x for layer 1)
        dz_std       std of dL/dz_l, the backward signal at the layer's pre-activation z_l = a_(l-1) W_l + b_l
        dW_std       std of dL/dW_l = a_(l-1)^T dL/dz_l   (what ``layer_statistics`` calls grad_std)

    dL/dz_l = (dL/dz_(l+1) W_(l+1)^T) * f'(z_l): the chain rule, the same recursion as ``MLP.backward``.
    Because dL/dW_l multiplies the layer's input by its backward signal, dW can stay level across layers while
    both factors shrink, one going up, the other going down (Glorot & Bengio 2010, Sec. 4.2.1).
    Returns a dict of arrays, one entry per layer (layer 1 first).
    """
    logits = model.forward(x)
    _, dz = softmax_cross_entropy(logits, y)
    inputs, pre_activations = model.layer_inputs, model.pre_activations
    _, f_prime = ACTIVATIONS[model.activation]
    dz_std, dW_std = [], []
    for i in reversed(range(len(model.weights))):
        dz_std.append(float(np.std(dz)))
        dW_std.append(float(np.std(inputs[i].T @ dz)))
        if i > 0:
            dz = (dz @ model.weights[i].T) * f_prime(pre_activations[i - 1])
    return {"layer": np.arange(1, len(model.weights) + 1),
            "input_std": np.array([float(np.std(a)) for a in inputs]),
            "dz_std": np.array(dz_std[::-1]), "dW_std": np.array(dW_std[::-1])}


# --------------------------------------------------------------------------------------------------
# Watching training: the gradient norm of every layer at every step
# --------------------------------------------------------------------------------------------------

class GradientNormTracker:
    """Wraps an optimizer and records, at every step, the norm ||g|| of each gradient it is given, then lets the
    optimizer take the step. Pass it to ``train`` in place of the optimizer:

        tracker = GradientNormTracker(SGD(model.params, lr=0.1))
        train(model, tracker, x, y, ...)
        tracker.weight_norms()          # (steps, layers): ||dL/dW_l|| at every step

    The gradients come from the backward pass (``model.backward``), as the optimizer sees them: after clipping,
    when ``train`` clips. ``lr`` and ``params`` are the wrapped optimizer's, so schedules work unchanged.
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "step") or not hasattr(optimizer, "params"):
            raise TypeError(f"optimizer must have step() and params, got {type(optimizer).__name__}")
        self.optimizer, self.norms = optimizer, []

    @property
    def params(self):
        return self.optimizer.params

    @property
    def lr(self):
        return self.optimizer.lr

    @lr.setter
    def lr(self, value):
        self.optimizer.lr = value

    def step(self, grads):
        grads = list(grads)
        self.norms.append([float(np.linalg.norm(g)) for g in grads])
        self.optimizer.step(grads)

    def weight_norms(self):
        """``(steps, layers)`` array of ||dL/dW_l||: the norms of the gradients at even positions of ``params``
        (an ``MLP``'s ``[W1, b1, W2, b2, ...]``)."""
        return np.array(self.norms, dtype=float).reshape(len(self.norms), -1)[:, 0::2]


# --------------------------------------------------------------------------------------------------
# Batch size: the noise of a mini-batch gradient, and training at several batch sizes
# --------------------------------------------------------------------------------------------------

def gradient_noise(model, x, y, batch_sizes, draws=200, rng=None):
    """How far a mini-batch gradient lies from the full-batch gradient g, for each batch size B.

    measured   sqrt(mean over ``draws`` batches of ||g_B - g||^2) / ||g||, batches drawn without replacement
    predicted  sqrt(sigma^2 / B * (N - B) / (N - 1)) / ||g||, with sigma^2 = mean_i ||g_i - g||^2 over the N
               per-example gradients g_i: the variance of a mean of B draws without replacement (Cochran 1977,
               "Sampling Techniques", Thm. 2.2). The noise falls like 1/sqrt(B) and is 0 at B = N.
    All gradients are of every parameter of ``model`` (an ``MLP``), at its current weights.
    """
    rng = as_rng(rng)
    n = len(y)

    def flat_gradient(rows):
        _, dlogits = softmax_cross_entropy(model.forward(x[rows]), y[rows])
        return np.concatenate([g.ravel() for g in model.backward(dlogits)])

    full = flat_gradient(np.arange(n))
    sigma2 = float(np.mean([np.sum((flat_gradient([i]) - full) ** 2) for i in range(n)]))
    measured, predicted = [], []
    for b in batch_sizes:
        b = as_int(b, "batch size", 1, n)
        squared = [np.sum((flat_gradient(rng.choice(n, b, replace=False)) - full) ** 2) for _ in range(draws)]
        measured.append(float(np.sqrt(np.mean(squared)) / np.linalg.norm(full)))
        predicted.append(float(np.sqrt(sigma2 / b * (n - b) / max(n - 1, 1)) / np.linalg.norm(full)))
    return {"batch_size": np.array(batch_sizes), "measured": np.array(measured), "predicted": np.array(predicted)}


def batch_losses(model, optimizer, x, y, epochs, batch_size, rng=None, full_loss=False, max_steps=None):
    """Mini-batch training exactly as ``train`` does it (``train_step`` on shuffled batches), recording every step.

    Returns ``epoch`` (examples seen / N after each step), ``loss`` (the batch's loss, before the step), with
    ``full_loss=True`` also ``full_loss`` (the loss on all of ``(x, y)`` after the step: one more forward pass per
    step), and ``diverged`` (True if the logits overflowed; the record stops there). ``max_steps``: stop after that
    many steps, even within an epoch (the steps taken are the first steps of the longer run).
    """
    rng, n = as_rng(rng), len(y)
    epochs, batch_size = as_int(epochs, "epochs", 1), as_int(batch_size, "batch_size", 1)
    max_steps = None if max_steps is None else as_int(max_steps, "max_steps", 1)
    record = {"epoch": [], "loss": [], "full_loss": []}
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            if max_steps is not None and len(record["loss"]) == max_steps:
                return _as_arrays(record, full_loss, diverged=False)
            batch = order[start:start + batch_size]
            step = train_step(model, optimizer, x[batch], y[batch])
            if step is None:
                return _as_arrays(record, full_loss, diverged=True)
            record["loss"].append(step.loss)
            record["epoch"].append((record["epoch"][-1] if record["epoch"] else 0.0) + len(batch) / n)
            if full_loss:
                with np.errstate(over="ignore", invalid="ignore"):
                    logits = model.forward(x)
                finite = np.all(np.isfinite(logits))
                record["full_loss"].append(softmax_cross_entropy(logits, y)[0] if finite else np.inf)
    return _as_arrays(record, full_loss, diverged=False)


def _as_arrays(record, full_loss, diverged):
    result = {key: np.array(values) for key, values in record.items() if key != "full_loss" or full_loss}
    result["diverged"] = diverged
    return result


# --------------------------------------------------------------------------------------------------
# The learning-rate range test
# --------------------------------------------------------------------------------------------------

def lr_range_test(model, optimizer, x, y, lr_min=1e-4, lr_max=10.0, steps=200, batch_size=32, rng=None,
                  smoothing=0.9, stop_factor=4.0):
    """One short run whose learning rate grows by the same factor at every step, from ``lr_min`` to ``lr_max``
    (``schedules.exponential_range``), recording the batch loss at each rate.

    Smith (2017, "Cyclical Learning Rates", Sec. 3.3) raises the rate linearly over a few epochs and reads where
    the accuracy starts to rise and where it turns ragged or falls; the geometric sweep with the loss (fastai's
    ``lr_find``) covers several decades in one short run. The loss is smoothed by an exponential moving average
    with bias correction, s_t = (beta m_(t-1) + (1 - beta) L_t) / (1 - beta^t), and the run stops once s_t passes
    ``stop_factor`` times its minimum (or the logits overflow).
    Returns ``lr``, ``loss``, ``smoothed`` (per step), ``lr_at_minimum`` (the rate where ``smoothed`` was lowest)
    and ``lr_blowup`` (the rate at which the run stopped, or None if it reached ``lr_max``). Trains ``model``.
    """
    rng, n = as_rng(rng), len(y)
    steps = as_int(steps, "steps", 2)
    batch_size = as_int(batch_size, "batch_size", 1)
    smoothing = as_float(smoothing, "smoothing", nonnegative=True)
    if smoothing >= 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    scheduler = Scheduler(optimizer, exponential_range(lr_min, lr_max, steps))
    lrs, losses, smoothed, average, blowup = [], [], [], 0.0, None
    order = rng.permutation(n)
    position = 0
    for t in range(1, steps + 1):
        if position + batch_size > n:
            order, position = rng.permutation(n), 0
        batch = order[position:position + batch_size]
        position += batch_size
        lr = scheduler.step()
        step = train_step(model, optimizer, x[batch], y[batch])
        if step is None:
            blowup = lr
            break
        average = smoothing * average + (1 - smoothing) * step.loss
        lrs.append(lr)
        losses.append(step.loss)
        smoothed.append(average / (1 - smoothing**t))
        if smoothed[-1] > stop_factor * min(smoothed):
            blowup = lr
            break
    best = int(np.argmin(smoothed))
    return {"lr": np.array(lrs), "loss": np.array(losses), "smoothed": np.array(smoothed),
            "lr_at_minimum": float(lrs[best]), "lr_blowup": blowup}
