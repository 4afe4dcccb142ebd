"""Chapter 09 (weights in practice): what a weight's size says about its feature, the numbers behind
``widgets.importance_explorer``; the weights of one training run averaged (``weight_averaging_run``)."""

import functools

import numpy as np

from .._checks import as_float, as_int, as_rng
from ._common import _readonly, _seed_of

__all__ = ["importance_experiment", "logistic_gradient_descent", "weight_averaging_run", "IMPORTANCE_TRUE_WEIGHTS",
           "IMPORTANCE_MAX_COPIES", "IMPORTANCE_SLOTS"]

IMPORTANCE_TRUE_WEIGHTS = (2.0, 1.0, 0.5, 0.0)  # the synthetic task's logit: 2 x1 + x2 + 0.5 x3 + 0 x4
IMPORTANCE_MAX_COPIES = 4
IMPORTANCE_SLOTS = ("x1", "x2", "x2 #2", "x2 #3", "x2 #4", "x3", "x4")  # every column the explorer can show


@functools.lru_cache(maxsize=4)
def _importance_data(n, seed):
    """Training and test sets of the synthetic task, read-only: four independent N(0, 1) features, labels drawn
    with p(y = 1) = sigmoid(2 x1 + x2 + 0.5 x3): noisy, so that the fitted weights are finite."""
    rng = np.random.default_rng(seed)
    w = np.array(IMPORTANCE_TRUE_WEIGHTS)
    sets = []
    for _ in range(2):
        x = rng.normal(size=(n, len(w)))
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ w)))
        sets += [_readonly(x), _readonly((rng.random(n) < p).astype(np.int64))]
    return tuple(sets)


def _importance_columns(x, scale, copies):
    """The columns the model sees: x1 times ``scale``, x2 and ``copies - 1`` exact copies of it, x3, x4."""
    return np.column_stack([x[:, 0] * scale] + [x[:, 1]] * copies + [x[:, 2], x[:, 3]])


def _importance_fit(x_train, y_train, scale, copies):
    from ..importance import fit_logistic_regression

    w, b = fit_logistic_regression(_importance_columns(x_train, scale, copies), y_train)
    return w, b, lambda x: (x @ w + b > 0).astype(np.int64)


@functools.lru_cache(maxsize=4)
def _importance_reference(n, seed):
    """The test predictions of the model fitted on the original features (scale 1, no copies), read-only."""
    x_train, y_train, x_test, _ = _importance_data(n, seed)
    predict = _importance_fit(x_train, y_train, 1.0, 1)[2]
    return _readonly(predict(_importance_columns(x_test, 1.0, 1)))


def importance_experiment(scale=1.0, copies=1, n=2000, n_repeats=5, rng=0):
    """Fit a logistic regression on a synthetic task whose features are rescaled or copied, and compare what its
    weights and permutation importance say about the features.

    The task (``n`` training and ``n`` test examples, drawn once per ``rng`` and cached): four independent N(0, 1)
    features x1..x4, labels with p(y = 1) = sigmoid(2 x1 + x2 + 0.5 x3); x4 is noise. The model sees x1 times
    ``scale`` (the same quantity in other units), ``copies`` identical columns of x2 (1 = just x2), x3 and x4, and
    is fitted exactly (``importance.fit_logistic_regression``). Permutation importance is the test accuracy lost
    when a column is shuffled (``n_repeats`` shuffles each; x1 and the group of x2 columns get the same shuffles
    for every setting, so that their importance does not move with the random draws).

    Returns a dict: columns (names), scale, copies, weights (one per column), bias, standardized_weights (weight
    times the column's std), importance and importance_std (per column), group_importance (x2 and its copies
    shuffled together), accuracy (on the test set) and same_predictions (the fraction of test predictions equal
    to those of the model fitted on the original features).
    """
    from ..importance import permutation_importance

    scale = as_float(scale, "scale", positive=True)
    copies = as_int(copies, "copies", 1, IMPORTANCE_MAX_COPIES)
    n = as_int(n, "n", 10, 100_000)
    n_repeats = as_int(n_repeats, "n_repeats", 1, 100)
    seed = _seed_of(rng)
    x_train, y_train, x_test, y_test = _importance_data(n, seed)
    w, b, predict = _importance_fit(x_train, y_train, scale, copies)
    test = _importance_columns(x_test, scale, copies)
    columns = permutation_importance(predict, test, y_test, n_repeats=n_repeats, rng=seed + 1)
    group = permutation_importance(predict, test, y_test, features=[list(range(1, 1 + copies))], n_repeats=n_repeats,
                                   rng=seed + 2)  # a generator of its own: the same shuffles for any copies
    return {
        "columns": ["x1", "x2", *(f"x2 #{k}" for k in range(2, copies + 1)), "x3", "x4"],
        "scale": scale, "copies": copies, "weights": w, "bias": b,
        "standardized_weights": w * _importance_columns(x_train, scale, copies).std(axis=0),
        "importance": columns.mean, "importance_std": columns.std, "group_importance": float(group.mean[0]),
        "accuracy": columns.baseline,
        "same_predictions": float(np.mean(predict(test) == _importance_reference(n, seed))),
    }


def logistic_gradient_descent(x, y, w_start, lr=1.0, steps=1000, l2=0.0):
    """Fit a logistic regression by full-batch gradient descent from ``w_start`` (and b = 0), for ``steps`` steps:

        w <- w - lr (X^T (p - y) / n + l2 w),     b <- b - lr mean(p - y),     p = sigmoid(X w + b),

    the gradient of L(w, b) = mean_i [log(1 + exp(z_i)) - y_i z_i] + (l2 / 2) ||w||^2, the loss that
    ``importance.fit_logistic_regression`` minimizes by Newton's method (Hastie, Tibshirani & Friedman 2009, §4.4).

    When columns j and k of x are identical, the gradient's entries j and k are equal at every step, so without
    ``l2`` the difference w_j - w_k never changes: gradient descent keeps the difference it started with and moves
    only the sum w_j + w_k, the one thing the data determine. Started from w = 0 it therefore ends with equal weights,
    the minimum-norm optimum. With l2 > 0 the difference shrinks by the factor (1 - lr l2) per step, towards ridge's
    unique optimum, where the copies have equal weights (Hastie, Tibshirani & Friedman 2009, §3.4.1).

    Returns ``(w, b)``: the weights (float64, one per column) and the bias after the last step.
    """
    from ..importance import _check_labels, _check_x

    x = _check_x(x)
    y = _check_labels(y, len(x))
    if len(x) == 0 or not np.isin(y, (0, 1)).all():
        raise ValueError("y must hold at least one label, each 0 or 1")
    w = np.array(w_start, dtype=np.float64)
    if w.shape != (x.shape[1],) or not np.all(np.isfinite(w)):
        raise ValueError(f"w_start must hold {x.shape[1]} finite numbers (one per column of x), got shape {w.shape}")
    lr = as_float(lr, "lr", positive=True)
    steps = as_int(steps, "steps", low=0)
    l2 = as_float(l2, "l2", nonnegative=True)
    b, n = 0.0, len(x)
    for _ in range(steps):
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ w + b)))  # sigmoid, without overflow
        error = p - y
        w = w - lr * (x.T @ error / n + l2 * w)
        b = b - lr * float(np.mean(error))
    return w, b


def weight_averaging_run(x, y, x_val, y_val, hidden=64, epochs=5, batch_size=32, lr=0.05, momentum=0.9, decay=0.995,
                         tail_start=0.5, cosine=False, rng=0):
    """Train an ``MLP([n_in, hidden, n_classes])`` (float64) with SGD(``lr``, ``momentum``) for ``epochs`` passes
    over ``(x, y)`` in shuffled batches of ``batch_size``, and keep two averages of its weights along the way
    (``course_lib.averaging``):

        ema:  w_ema <- decay w_ema + (1 - decay) w after every step (from the initial weights)
        tail: the plain mean of the weights after each step from the fraction ``tail_start`` of the steps on
              (Polyak & Juditsky 1992; SWA's equal average, Izmailov et al. 2018)

    ``cosine=True`` lowers the learning rate from ``lr`` to 0 by cosine annealing over the run (Loshchilov & Hutter
    2017), the usual alternative to averaging: the iterates themselves settle. Returns ``{name: (loss, accuracy)}``
    on ``(x_val, y_val)`` for ``raw`` (the last iterate), ``ema`` and ``tail``, and ``steps``.
    """
    from ..averaging import ExponentialMovingAverage, IterateAverage
    from ..nn import MLP
    from ..optim import SGD
    from ..schedules import Scheduler, cosine_annealing
    from ..train import evaluate, train_step

    epochs, batch_size = as_int(epochs, "epochs", low=1), as_int(batch_size, "batch_size", low=1)
    tail_start = as_float(tail_start, "tail_start")
    if not 0.0 <= tail_start < 1.0:
        raise ValueError(f"tail_start must be in [0, 1), got {tail_start}")
    rng = as_rng(rng)
    n_classes = int(max(np.max(y), np.max(y_val))) + 1
    model = MLP([x.shape[1], as_int(hidden, "hidden", low=1), n_classes], rng=rng, dtype="float64")
    optimizer = SGD(model.params, lr=lr, momentum=momentum)
    steps_per_epoch = -(-len(y) // batch_size)
    steps = epochs * steps_per_epoch
    scheduler = Scheduler(optimizer, cosine_annealing(lr, steps)) if cosine else None
    ema, tail = ExponentialMovingAverage(model.params, decay=decay), IterateAverage(model.params)
    step = 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            if scheduler is not None:
                scheduler.step()
            if train_step(model, optimizer, x[batch], y[batch]) is None:
                raise ValueError(f"the logits overflowed at step {step}: lower lr")
            step += 1
            ema.update()
            if step > tail_start * steps:
                tail.update()
    result = {"raw": evaluate(model, x_val, y_val), "steps": steps}
    for name, average in (("ema", ema), ("tail", tail)):
        averaged = model.copy()
        average.copy_to(averaged.params)
        result[name] = evaluate(averaged, x_val, y_val)
    return result
