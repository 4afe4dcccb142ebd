"""Chapter 06 (regularization): an over-sized network on little data with an L1 or L2 penalty, the numbers
behind ``widgets.regularization_explorer``."""

import functools

import numpy as np

from .._checks import as_float, as_int, choose
from ._common import _forward_in_chunks, _hidden_widths, _histogram, _readonly, _seed_of

__all__ = ["regularization_experiment", "regularization_curve", "REGULARIZATION_KINDS", "REGULARIZATION_STRENGTHS",
           "NEAR_ZERO", "WEIGHT_BIN_EDGES", "REGULARIZATION_GRID_EXTENT"]

REGULARIZATION_KINDS = ("L1", "L2")
REGULARIZATION_STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
NEAR_ZERO = 1e-2  # |w| below this counts as "near zero" in near_zero_fraction
WEIGHT_BIN_EDGES = np.linspace(-1.0, 1.0, 82)  # 81 bins of width ~0.025; the middle one is centred on 0
REGULARIZATION_GRID_EXTENT = (-2.0, 3.0, -1.5, 2.0)  # x1 from -2 to 3, x2 from -1.5 to 2: all of the moons


@functools.lru_cache(maxsize=64)
def _regularization_run(kind, strength, n_train, n_val, noise, hidden, steps, lr, seed):
    """Train once and measure (see ``regularization_experiment``); cached, every array read-only."""
    from ..data import moons
    from ..nn import MLP, softmax_cross_entropy
    from ..optim import SGD
    from ..regularization import L1, L2
    from ..train import train_step

    rng = np.random.default_rng(seed)
    x, y = moons(n_train, noise=noise, rng=rng)
    x_val, y_val = moons(n_val, noise=noise, rng=rng)
    # The same data and the same starting weights for every penalty. float64: in float32 the unpenalized run's
    # accuracies change with the CPU's code path (chapter 06 prints them; tools/numeric_env.py).
    model = MLP([2, *hidden, 2], rng=rng, dtype="float64")
    initial = np.concatenate([W.ravel() for W in model.weights]).astype(np.float64)
    optimizer = SGD(model.params, lr=lr)
    # L2 adds its gradient strength * W (= weight decay for SGD); L1 takes its proximal step after each step,
    # which sets small weights exactly to 0. Both on the weight matrices only.
    penalty = None if strength == 0 else L2(strength) if kind == "L2" else L1(strength, proximal=True)
    for _ in range(steps):  # full batch: every step sees all n_train points
        train_step(model, optimizer, x, y, penalty=penalty)

    train_logits, val_logits = _forward_in_chunks(model, x), _forward_in_chunks(model, x_val)
    train_loss, val_loss = softmax_cross_entropy(train_logits, y)[0], softmax_cross_entropy(val_logits, y_val)[0]
    train_accuracy = float(np.mean(train_logits.argmax(axis=1) == y))
    val_accuracy = float(np.mean(val_logits.argmax(axis=1) == y_val))
    weights = np.concatenate([W.ravel() for W in model.weights]).astype(np.float64)
    if kind == "L2":
        penalty = 0.5 * strength * float(np.sum(weights**2))
    else:
        penalty = strength * float(np.sum(np.abs(weights)))

    x0, x1, y0, y1 = REGULARIZATION_GRID_EXTENT
    g1, g2 = np.meshgrid(np.linspace(x0, x1, 100), np.linspace(y0, y1, 70))
    grid_logits = _forward_in_chunks(model, np.column_stack([g1.ravel(), g2.ravel()])).astype(np.float64)
    grid_probability = 1.0 / (1.0 + np.exp(np.clip(grid_logits[:, 0] - grid_logits[:, 1], -50, 50)))
    counts = np.round(_histogram(weights, WEIGHT_BIN_EDGES) * weights.size).astype(np.int64)
    return {
        "kind": kind, "strength": strength,
        "train_accuracy": train_accuracy, "val_accuracy": val_accuracy, "gap": train_accuracy - val_accuracy,
        "train_loss": float(train_loss), "val_loss": float(val_loss), "penalty": penalty,
        "weights": _readonly(weights), "initial_weights": _readonly(initial),
        "near_zero_fraction": float(np.mean(np.abs(weights) < NEAR_ZERO)),
        "zero_fraction": float(np.mean(weights == 0)),
        "weight_std": float(weights.std()),
        "weight_counts": _readonly(counts), "bin_edges": _readonly(WEIGHT_BIN_EDGES.copy()),
        "grid_probability": _readonly(grid_probability.reshape(g1.shape)), "grid_extent": REGULARIZATION_GRID_EXTENT,
        "x_train": _readonly(x), "y_train": _readonly(y),
    }


def regularization_experiment(kind="L2", strength=1e-3, n_train=40, n_val=1000, noise=0.3, hidden=(64, 64),
                              steps=500, lr=0.5, rng=0):
    """Over-fitting and its cure, measured: train a 2-64-64-2 ReLU network (far more weights, 4352, than the
    ``n_train`` = 40 training points need) on noisy ``moons`` with an L1 or L2 penalty of ``strength``, and
    compare accuracy on the training set and on ``n_val`` fresh validation points from the same distribution.

    Training is ``steps`` full-batch steps of plain SGD (``lr``) on the softmax cross-entropy plus the penalty
    on the weight matrices (not the biases; see ``course_lib.regularization``):

        L2:  a gradient step on  loss + (strength / 2) sum W^2,  i.e.  W <- (1 - lr strength) W - lr grad
             (for plain SGD, L2 is exactly weight decay)
        L1:  a gradient step on  loss, then  W <- soft_threshold(W, lr * strength)
             (the proximal step of  strength * sum |W|)

    L1 is applied by its proximal step because that is what sets weights *exactly* to 0; the subgradient
    ``strength * sign(W)`` would make small weights hop back and forth across 0 instead.
    ``rng`` (a seed) draws the data and the starting weights, so for one seed every setting starts from the
    same network on the same data and only the penalty differs. The network is float64, so that the
    accuracies do not depend on the CPU's numeric code path.

    With no penalty the network fits (nearly) every training point with a wiggly boundary that does worse
    on new data: the gap ``train_accuracy - val_accuracy`` is the over-fitting. A moderate
    strength narrows the gap; a large one under-fits (both accuracies fall, to chance when every weight is 0).
    L2 shrinks all weights, a narrower bell; L1 sets most of them exactly to 0, a spike at 0.

    Returns a dict: kind, strength, train_accuracy, val_accuracy, gap, train_loss and val_loss (data loss,
    no penalty), penalty (its value at the end), weights (all weight matrices, flattened; biases excluded)
    and initial_weights (the same at the start), near_zero_fraction (|w| < 0.01), zero_fraction (w == 0),
    weight_std, weight_counts over bin_edges (-1 to 1; weights beyond count in the end bins),
    grid_probability (P(class 1) on a 70 x 100 grid over grid_extent = (x1_min, x1_max, x2_min, x2_max)), and
    x_train, y_train. Results are cached by the arguments; the arrays are read-only.
    """
    kind = choose(kind, "kind", REGULARIZATION_KINDS)
    strength = as_float(strength, "strength", nonnegative=True)
    n_train = as_int(n_train, "n_train", 4, 10_000)
    n_val = as_int(n_val, "n_val", 2, 100_000)
    steps = as_int(steps, "steps", 1, 100_000)
    noise = as_float(noise, "noise", nonnegative=True)
    lr = as_float(lr, "lr", positive=True)
    hidden = _hidden_widths(hidden)
    return dict(_regularization_run(kind, strength, n_train, n_val, noise, hidden, steps, lr, _seed_of(rng)))


def regularization_curve(kind="L2", strengths=REGULARIZATION_STRENGTHS, **kwargs):
    """``regularization_experiment`` at each of ``strengths`` (same seed, same data): arrays of strength,
    train_accuracy, val_accuracy, gap and near_zero_fraction, one entry per strength. ``kwargs`` go to
    ``regularization_experiment``."""
    runs = [regularization_experiment(kind, s, **kwargs) for s in strengths]
    return {"kind": kind, "strength": np.array([r["strength"] for r in runs]),
            **{key: np.array([r[key] for r in runs])
               for key in ("train_accuracy", "val_accuracy", "gap", "near_zero_fraction")}}
