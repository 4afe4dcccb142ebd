"""Chapter 06 (regularization): an over-sized network on little data with an L1 or L2 penalty, the numbers
behind ``widgets.regularization_explorer``; the same network trained long (early stopping against L2) and on more
data (the training-set size as a lever).

Notation, as in the chapter: training minimizes  J = L + lambda * Omega(W)  over the weight matrices W (not the
biases), with  Omega = 1/2 sum W^2  for L2 (gradient of lambda * Omega: lambda * W, which is SGD's and PyTorch's
``weight_decay``) and  Omega = sum |W|  for L1 (subgradient lambda * sign(W)). ``strength`` is lambda."""

import functools

import numpy as np

from .._checks import as_float, as_int, choose
from ._common import _forward_in_chunks, _hidden_widths, _histogram, _readonly, _seed_of

__all__ = ["regularization_experiment", "regularization_curve", "training_trajectory", "early_stopping_choices",
           "held_out_test_accuracy", "training_size_sweep", "REGULARIZATION_KINDS", "REGULARIZATION_STRENGTHS",
           "EARLY_STOPPING_STRENGTHS", "TRAINING_SIZES", "NEAR_ZERO", "WEIGHT_BIN_EDGES", "REGULARIZATION_GRID_EXTENT"]

REGULARIZATION_KINDS = ("L1", "L2")
REGULARIZATION_STRENGTHS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
NEAR_ZERO = 1e-2  # |w| below this counts as "near zero" in near_zero_fraction
WEIGHT_BIN_EDGES = np.linspace(-1.0, 1.0, 82)  # 81 bins of width ~0.025; the middle one is centred on 0
REGULARIZATION_GRID_EXTENT = (-2.0, 3.0, -1.5, 2.0)  # x1 from -2 to 3, x2 from -1.5 to 2: all of the moons
EARLY_STOPPING_STRENGTHS = (3e-3, 1e-2, 3e-2)  # the L2 strengths early stopping is compared with
TRAINING_SIZES = (20, 40, 80, 160)  # training-set sizes of the sweep
ROWS = 64  # examples per matrix product: below OpenBLAS's threshold for a second thread (see _forward_in_chunks)


def _full_batch_step(model, x, y, lr, penalty=None):
    """One step of full-batch gradient descent on  J = L + lambda * Omega,  L the mean softmax cross-entropy over
    all of ``x``:  every parameter  p <- p - lr * (dL/dp + d(lambda Omega)/dp),  then, for a proximal ``L1``,
    its soft thresholding.

    This is the arithmetic of ``course_lib.train.train_step(model, SGD(model.params, lr), x, y, penalty=penalty)``,
    bit for bit when ``x`` has at most ``ROWS`` rows (tests/test_ch06_evidence.py checks it): the same
    ``MLP.forward`` and ``MLP.backward``, ``dlogits = (softmax(z) - onehot(y)) / n`` computed as
    ``softmax_cross_entropy`` does, ``p -= lr * grad`` as ``SGD.step`` does, and L2's gradient strength * W. It
    leaves out their argument checks, about a quarter of a step this small. The gradient of L is summed over
    blocks of ``ROWS`` examples, so that no matrix product is large enough for OpenBLAS to wait for a second
    thread (see ``_forward_in_chunks``).
    """
    from ..nn import log_softmax
    from ..regularization import L2

    n, total = len(x), None
    for start in range(0, n, ROWS):
        logits = model.forward(x[start:start + ROWS])
        dlogits = np.exp(log_softmax(logits))  # softmax(z), then minus onehot(y), over n: softmax_cross_entropy's
        dlogits[np.arange(len(dlogits)), y[start:start + ROWS]] -= 1.0
        dlogits /= n  # over all n examples: each block adds its share of the mean
        grads = model.backward(dlogits)  # written into the same arrays at every call: copy to keep a sum
        if total is None:
            total = grads if n <= ROWS else [g.copy() for g in grads]
        else:
            for t, g in zip(total, grads):
                t += g
    if isinstance(penalty, L2):  # its gradient strength * W, as L2(strength) returns it, without its value
        total = [g + penalty.strength * p if penalty.applies_to(p) else g for g, p in zip(total, model.params)]
    elif penalty is not None:
        total = [g + pg for g, pg in zip(total, penalty(model.params)[1])]
    for p, g in zip(model.params, total):
        p -= lr * g  # SGD.step without momentum or weight decay
    if penalty is not None and getattr(penalty, "proximal", False):
        penalty.proximal_step(model.params, lr)


def _moons_task(n_train, n_val, noise, hidden, seed):
    """The data and the starting network of one seed: training and validation ``moons``, then a float64
    2-hidden-2 ReLU network, all drawn from one generator in that order."""
    from ..data import moons
    from ..nn import MLP

    rng = np.random.default_rng(seed)
    x, y = moons(n_train, noise=noise, rng=rng)
    x_val, y_val = moons(n_val, noise=noise, rng=rng)
    # float64: in float32 the unpenalized run's accuracies change with the CPU's code path (chapter 06 prints
    # them; tools/numeric_env.py).
    model = MLP([2, *hidden, 2], rng=rng, dtype="float64")
    return x, y, x_val, y_val, model


@functools.lru_cache(maxsize=64)
def _regularization_run(kind, strength, n_train, n_val, noise, hidden, steps, lr, seed):
    """Train once and measure (see ``regularization_experiment``); cached, every array read-only."""
    from ..nn import softmax_cross_entropy
    from ..regularization import L1, L2

    # The same data and the same starting weights for every penalty.
    x, y, x_val, y_val, model = _moons_task(n_train, n_val, noise, hidden, seed)
    initial = np.concatenate([W.ravel() for W in model.weights]).astype(np.float64)
    # L2 adds its gradient strength * W (= weight decay for SGD); L1 takes its proximal step after each step,
    # which sets small weights exactly to 0. Both on the weight matrices only.
    penalty = None if strength == 0 else L2(strength) if kind == "L2" else L1(strength, proximal=True)
    for _ in range(steps):  # full batch: every step sees all n_train points
        _full_batch_step(model, x, y, lr, penalty)

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

    Training is ``steps`` full-batch steps of plain SGD (``lr``) on  J = L + strength * Omega(W):  L the softmax
    cross-entropy, Omega a penalty on the weight matrices (not the biases; see ``course_lib.regularization``):

        L2:  Omega = 1/2 sum W^2; a gradient step on J,  i.e.  W <- (1 - lr strength) W - lr grad L
             (for plain SGD, L2 is exactly weight decay)
        L1:  Omega = sum |W|; a gradient step on L, then  W <- soft_threshold(W, lr * strength)
             (the proximal step of  strength * Omega)

    L1 is applied by its proximal step because that is what sets weights *exactly* to 0; the subgradient
    ``strength * sign(W)`` would make small weights hop back and forth across 0 instead.
    ``rng`` (a seed) draws the data and the starting weights, so for one seed every setting starts from the
    same network on the same data and only the penalty differs. The network is float64, so that the
    accuracies do not depend on the CPU's numeric code path.

    With no penalty the network fits (nearly) every training point with a wiggly boundary that does worse
    on new data: the gap ``train_accuracy - val_accuracy`` is the over-fitting. A moderate
    strength narrows the gap; a large one under-fits (both accuracies fall, to chance when every weight is 0).
    L2 shrinks all weights, a narrower bell; L1 sets most of them exactly to 0, a spike at 0.

    Returns a dict: kind, strength, train_accuracy, val_accuracy, gap, train_loss and val_loss (data loss L,
    no penalty), penalty (strength * Omega at the end), weights (all weight matrices, flattened; biases excluded)
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


# --------------------------------------------------------------------------------------------------
# Early stopping: the same network trained long, measured as it goes
# --------------------------------------------------------------------------------------------------


def _weight_vector(params):
    """Every weight matrix among ``params`` (ndim >= 2; the biases left out), flattened into one float64 vector."""
    return np.concatenate([p.astype(np.float64).ravel() for p in params if p.ndim >= 2])


def _weight_norm(weights):
    """||W||: the square root of the sum of squares of every weight matrix (the biases left out)."""
    return float(np.sqrt(sum(np.sum(W.astype(np.float64) ** 2) for W in weights)))


class _L2TowardStart:
    """strength * Omega with Omega = 1/2 sum (W - W_0)^2: L2 centred on the starting weights W_0, not on 0
    (weight matrices only); gradient strength * (W - W_0). Called like ``course_lib.regularization.L2``."""

    def __init__(self, strength, start):
        self.strength, self.start = strength, [W.copy() for W in start]

    def __call__(self, params):
        starts, value, grads = iter(self.start), 0.0, []
        for p in params:
            if p.ndim >= 2:
                difference = p - next(starts)
                value += 0.5 * self.strength * float(np.sum(difference**2))
                grads.append(self.strength * difference)
            else:
                grads.append(np.zeros_like(p))
        return value, grads


TRAJECTORY_KEYS = ("step", "train_loss", "val_loss", "train_accuracy", "val_accuracy", "weight_norm",
                   "distance_from_start")


@functools.lru_cache(maxsize=64)
def _trajectory_run(strength, anchor, n_train, n_val, noise, hidden, steps, lr, eval_every, seed):
    """Train once, measuring every ``eval_every`` steps (see ``training_trajectory``); cached, read-only."""
    from ..nn import softmax_cross_entropy
    from ..regularization import L2

    x, y, x_val, y_val, model = _moons_task(n_train, n_val, noise, hidden, seed)
    start = [_readonly(W.copy()) for W in model.weights]
    penalty = None if strength == 0 else L2(strength) if anchor == "zero" else _L2TowardStart(strength, start)
    rows = {key: [] for key in TRAJECTORY_KEYS}
    best_step, best_accuracy, best_params = 0, -1.0, None
    for step in range(steps + 1):
        if step % eval_every == 0 or step == steps:
            train_logits, val_logits = _forward_in_chunks(model, x), _forward_in_chunks(model, x_val)
            val_accuracy = float(np.mean(val_logits.argmax(axis=1) == y_val))
            values = (step, softmax_cross_entropy(train_logits, y)[0], softmax_cross_entropy(val_logits, y_val)[0],
                      float(np.mean(train_logits.argmax(axis=1) == y)), val_accuracy, _weight_norm(model.weights),
                      _weight_norm([W - W0 for W, W0 in zip(model.weights, start)]))
            for key, value in zip(TRAJECTORY_KEYS, values):
                rows[key].append(value)
            if val_accuracy > best_accuracy:  # strictly better: the earliest of equally good steps is kept
                best_step, best_accuracy, best_params = step, val_accuracy, [p.copy() for p in model.params]
        if step < steps:
            _full_batch_step(model, x, y, lr, penalty)
    result = {key: _readonly(np.array(values)) for key, values in rows.items()}
    result.update(strength=strength, anchor=anchor, lr=lr, steps=steps, sizes=(2, *hidden, 2),
                  best_step=best_step, best_val_accuracy=best_accuracy, start_weights=tuple(start),
                  best_params=tuple(_readonly(p) for p in best_params),
                  final_params=tuple(_readonly(p.copy()) for p in model.params))
    return result


def training_trajectory(strength=0.0, n_train=40, n_val=1000, noise=0.3, hidden=(64, 64), steps=1300, lr=0.5,
                        eval_every=10, anchor="zero", rng=0):
    """The network of ``regularization_experiment`` (same data, same start for the same seed) trained for
    ``steps`` full-batch SGD steps on  J = L + strength * Omega,  measured every ``eval_every`` steps.

    Omega = 1/2 sum W^2 (L2, ``anchor="zero"``), or 1/2 sum (W - W_0)^2 (``anchor="start"``: L2 centred on the
    starting weights W_0); strength 0 is no penalty. Without a penalty the training loss falls toward 0 (the
    network memorizes the noisy training points), the weight norm ||W|| = sqrt(sum W^2) grows, and the
    validation loss, after a minimum, rises: over-fitting develops with the number of steps. *Early stopping*
    keeps the weights of the step with the best validation accuracy (Goodfellow, Bengio & Courville 2016,
    *Deep Learning*, Sec. 7.8); here the earliest measured step with the highest validation accuracy. Step k of
    an L2 run is ``regularization_experiment("L2", strength, steps=k)`` for the same arguments.

    Returns a dict of arrays, one entry per measured step: step, train_loss and val_loss (the data loss L, no
    penalty), train_accuracy, val_accuracy, weight_norm (||W||, biases excluded) and distance_from_start
    (||W - W_0||); and strength, anchor, lr, steps, sizes, best_step, best_val_accuracy, start_weights (W_0, the
    weight matrices at step 0), best_params (the parameters at best_step) and final_params (after ``steps``), both
    as ``MLP.params`` lists. Cached, read-only.
    """
    strength = as_float(strength, "strength", nonnegative=True)
    anchor = choose(anchor, "anchor", ("zero", "start"))
    n_train = as_int(n_train, "n_train", 4, 10_000)
    n_val = as_int(n_val, "n_val", 2, 100_000)
    noise = as_float(noise, "noise", nonnegative=True)
    hidden = _hidden_widths(hidden)
    steps = as_int(steps, "steps", 1, 100_000)
    lr = as_float(lr, "lr", positive=True)
    eval_every = as_int(eval_every, "eval_every", 1, steps)
    return dict(_trajectory_run(strength, anchor, n_train, n_val, noise, hidden, steps, lr, eval_every,
                                _seed_of(rng)))


def early_stopping_choices(seeds=(0, 1, 2, 3, 4), strengths=EARLY_STOPPING_STRENGTHS, steps=1300, eval_every=10,
                           l2_eval_every=50, **task):
    """Early stopping against L2 for each seed (a new draw of data and starting weights), every choice made on
    the validation set: no test data is used here (``held_out_test_accuracy`` measures the choices once, after).

    Early stopping: the unpenalized run of ``training_trajectory``, ``steps`` long and measured every
    ``eval_every`` steps, stops at ``stop_step``, the earliest step with its best validation accuracy.
    L2: the same number of steps at each of ``strengths``; the strength with the best final validation accuracy
    is chosen (of equally good ones, the first in ``strengths``).

    Goodfellow et al. (2016, Sec. 7.8): for a quadratic loss and gradient descent from W = 0 with learning
    rate eta, stopping after tau steps acts like L2 with lambda ~ 1 / (eta * tau). ``equivalent_strength`` is
    1 / (lr * stop_step). Our network starts at W_0 != 0, so the penalty the argument predicts is centred on
    W_0: the ``anchored_*`` entries are a run with that penalty (``anchor="start"``) at equivalent_strength.
    Whether it ends where early stopping does is measured with the weight matrices W (biases left out) flattened
    into one vector: anchored_to_stop = ||W_anchored - W_stop||, and anchored_cosine = the cosine of the angle
    between the two displacements W_anchored - W_0 and W_stop - W_0 (1: the same direction). The control is the
    unpenalized network after all ``steps``: final_to_stop = ||W_final - W_stop||.

    Returns a dict: seeds, strengths, task (the ``training_trajectory`` arguments used), and per seed (arrays):
    start_weight_norm (||W_0||), stop_step, stop_val_accuracy, stop_weight_norm, stop_distance (||W - W_0|| at
    the stop), memorized_step (the measured step from which the training accuracy stays 100% to the end, -1 if it
    is below 100% at the end), final_train_accuracy, final_train_loss, final_val_accuracy, final_weight_norm (the
    unpenalized run at the end); chosen_strength, chosen_val_accuracy, chosen_weight_norm, chosen_distance;
    equivalent_strength, anchored_val_accuracy, anchored_weight_norm, anchored_distance, anchored_to_stop,
    anchored_cosine, final_to_stop; val_accuracy_by_strength (seed, strength).
    Also eval_every, the pair (eval_every, l2_eval_every), which ``held_out_test_accuracy`` needs.
    """
    seeds = [_seed_of(seed) for seed in seeds]
    strengths = tuple(as_float(s, "strengths", positive=True) for s in strengths)
    if not seeds or not strengths:
        raise ValueError("seeds and strengths must not be empty")
    task = {**task, "steps": steps}
    rows = []
    for seed in seeds:
        free = training_trajectory(0.0, eval_every=eval_every, rng=seed, **task)
        penalized = [training_trajectory(s, eval_every=l2_eval_every, rng=seed, **task) for s in strengths]
        final_accuracies = np.array([run["val_accuracy"][-1] for run in penalized])
        chosen = penalized[int(np.argmax(final_accuracies))]  # the first maximum
        stop = int(np.searchsorted(free["step"], free["best_step"]))
        equivalent = 1.0 / (free["lr"] * max(free["best_step"], 1))
        anchored = training_trajectory(equivalent, eval_every=steps, anchor="start", rng=seed, **task)
        unfitted = np.flatnonzero(free["train_accuracy"] < 1.0)  # measured steps with a training point wrong
        fitted_from = 0 if unfitted.size == 0 else unfitted[-1] + 1
        start, at_stop = _weight_vector(free["start_weights"]), _weight_vector(free["best_params"])
        at_anchored, at_end = _weight_vector(anchored["final_params"]), _weight_vector(free["final_params"])
        moved_anchored, moved_stop = at_anchored - start, at_stop - start
        rows.append({
            "start_weight_norm": free["weight_norm"][0],
            "stop_step": free["best_step"], "stop_val_accuracy": free["best_val_accuracy"],
            "stop_weight_norm": free["weight_norm"][stop], "stop_distance": free["distance_from_start"][stop],
            "memorized_step": int(free["step"][fitted_from]) if fitted_from < len(free["step"]) else -1,
            "final_train_accuracy": free["train_accuracy"][-1], "final_train_loss": free["train_loss"][-1],
            "final_val_accuracy": free["val_accuracy"][-1],
            "final_weight_norm": free["weight_norm"][-1],
            "chosen_strength": chosen["strength"], "chosen_val_accuracy": chosen["val_accuracy"][-1],
            "chosen_weight_norm": chosen["weight_norm"][-1], "chosen_distance": chosen["distance_from_start"][-1],
            "equivalent_strength": equivalent, "anchored_val_accuracy": anchored["val_accuracy"][-1],
            "anchored_weight_norm": anchored["weight_norm"][-1],
            "anchored_distance": anchored["distance_from_start"][-1],
            "anchored_to_stop": float(np.linalg.norm(at_anchored - at_stop)),
            "anchored_cosine": float(moved_anchored @ moved_stop
                                     / (np.linalg.norm(moved_anchored) * np.linalg.norm(moved_stop) or 1.0)),
            "final_to_stop": float(np.linalg.norm(at_end - at_stop)),
            "val_accuracy_by_strength": final_accuracies,
        })
    return {"seeds": np.array(seeds), "strengths": np.array(strengths), "task": task,
            "eval_every": (eval_every, l2_eval_every),
            **{key: np.array([row[key] for row in rows]) for key in rows[0]}}


def held_out_test_accuracy(choices, n_test=10_000):
    """The test accuracy of what ``early_stopping_choices`` chose, measured once, on ``n_test`` fresh points per
    seed (drawn from a generator of their own, never seen while training or choosing).

    Returns a dict of arrays, one entry per seed: ``no_penalty`` (the unpenalized network after all its steps:
    the control), ``early_stopping`` (the same run's parameters at stop_step) and ``l2`` (the chosen strength).
    """
    from ..data import moons
    from ..nn import MLP

    n_test = as_int(n_test, "n_test", 2, 1_000_000)
    task = choices["task"]
    eval_every, l2_eval_every = choices["eval_every"]
    accuracies = {"no_penalty": [], "early_stopping": [], "l2": []}
    for seed, strength in zip(choices["seeds"], choices["chosen_strength"]):
        x_test, y_test = moons(n_test, noise=task.get("noise", 0.3), rng=np.random.default_rng([int(seed), 2024]))
        free = training_trajectory(0.0, eval_every=eval_every, rng=int(seed), **task)
        penalized = training_trajectory(float(strength), eval_every=l2_eval_every, rng=int(seed), **task)
        for name, params in (("no_penalty", free["final_params"]), ("early_stopping", free["best_params"]),
                             ("l2", penalized["final_params"])):
            model = MLP(free["sizes"], init="zeros", dtype="float64")
            model.params = [p.copy() for p in params]
            accuracies[name].append(float(np.mean(_forward_in_chunks(model, x_test).argmax(axis=1) == y_test)))
    return {name: np.array(values) for name, values in accuracies.items()}


# --------------------------------------------------------------------------------------------------
# More data: the training-set size as a lever
# --------------------------------------------------------------------------------------------------


def training_size_sweep(sizes=TRAINING_SIZES, strengths=(0.0, 1e-2), seeds=(0, 1, 2, 3, 4), **kwargs):
    """``regularization_experiment`` (L2, the chapter's 500 full-batch steps) for every training-set size in
    ``sizes``, every strength in ``strengths`` and every seed (a new draw of data and starting weights).

    More training points from the same distribution leave less room to fit the noise of a few: the gap
    ``train_accuracy - val_accuracy`` shrinks toward 0 as n grows, with no penalty at all.

    Returns a dict: sizes, strengths, seeds, and train_accuracy, val_accuracy, gap as arrays of shape
    (strength, size, seed). ``kwargs`` go to ``regularization_experiment`` (not n_train, kind or rng).
    """
    sizes = tuple(as_int(n, "sizes", 4, 10_000) for n in sizes)
    strengths = tuple(as_float(s, "strengths", nonnegative=True) for s in strengths)
    seeds = tuple(_seed_of(seed) for seed in seeds)
    if not sizes or not strengths or not seeds:
        raise ValueError("sizes, strengths and seeds must not be empty")
    runs = [[[regularization_experiment("L2", s, n_train=n, rng=seed, **kwargs) for seed in seeds] for n in sizes]
            for s in strengths]
    return {"sizes": np.array(sizes), "strengths": np.array(strengths), "seeds": np.array(seeds),
            **{key: np.array([[[run[key] for run in by_seed] for by_seed in by_size] for by_size in runs])
               for key in ("train_accuracy", "val_accuracy", "gap")}}
