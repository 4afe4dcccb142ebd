"""Chapter 07 (pruning): magnitude pruning of a trained network, the numbers behind ``widgets.pruning_explorer``."""

import functools

import numpy as np

from .._checks import as_float, as_int, choose
from ._common import _forward_in_chunks, _hidden_widths, _readonly, _seed_of

__all__ = ["pruning_setup", "pruning_experiment", "pruning_curve", "PRUNING_SCOPES", "PRUNING_SPARSITIES"]

PRUNING_SCOPES = ("global", "per-layer")
PRUNING_SPARSITIES = tuple(round(0.01 * i, 2) for i in range(100))  # the slider's values, 0 to 0.99


@functools.lru_cache(maxsize=4)
def _pruning_setup(n_train, n_test, noise, hidden, epochs, lr, seed):
    """Train once (see ``pruning_setup``); cached, every array read-only."""
    from ..data import spirals
    from ..nn import MLP
    from ..optim import Adam
    from ..train import train

    rng = np.random.default_rng(seed)
    x, y = spirals(n_train, classes=3, noise=noise, rng=rng)
    x_test, y_test = spirals(n_test, classes=3, noise=noise, rng=rng)
    model = MLP([2, *hidden, 3], rng=rng)
    optimizer = Adam(model.params, lr=lr)
    # small batches: fast, and below the multi-threading threshold (see _forward_in_chunks)
    train(model, optimizer, x, y, epochs, batch_size=64, rng=rng, diagnostics=False, progress=False)
    return {
        "sizes": tuple(model.sizes), "params": tuple(_readonly(p.copy()) for p in model.params),
        "x_train": _readonly(x), "y_train": _readonly(y), "x_test": _readonly(x_test), "y_test": _readonly(y_test),
        "train_accuracy": float(np.mean(_forward_in_chunks(model, x).argmax(axis=1) == y)),
        "accuracy": float(np.mean(_forward_in_chunks(model, x_test).argmax(axis=1) == y_test)),
    }


def _new_mlp(sizes, params, activation="relu"):
    """A new MLP of layer widths ``sizes`` whose parameters are copies of ``params`` ([W1, b1, W2, ...])."""
    from ..nn import MLP

    model = MLP(list(sizes), activation=activation, dtype=params[0].dtype, rng=0)
    for destination, source in zip(model.params, params):
        destination[...] = source
    return model


def pruning_setup(n_train=600, n_test=1500, noise=0.2, hidden=(64, 64), epochs=200, lr=0.01, rng=0):
    """The network that chapter 07 prunes: a 2-64-64-3 ReLU MLP trained with Adam (``lr``, batches of 64,
    ``epochs`` passes) on ``n_train`` points of 3-class ``spirals``, to about 99% test accuracy in about a
    second. Trained once per set of arguments and cached; every call returns a *new* copy of the model,
    so pruning or fine-tuning it cannot change what the next caller gets.

    Returns a dict: model (an ``MLP``), x_train, y_train, x_test, y_test (read-only arrays), train_accuracy
    and accuracy (on the test set).
    """
    n_train = as_int(n_train, "n_train", 3, 100_000)
    n_test = as_int(n_test, "n_test", 3, 100_000)
    epochs = as_int(epochs, "epochs", 1, 10_000)
    noise, lr = as_float(noise, "noise", nonnegative=True), as_float(lr, "lr", positive=True)
    hidden = _hidden_widths(hidden)
    setup = _pruning_setup(n_train, n_test, noise, hidden, epochs, lr, _seed_of(rng))
    model = _new_mlp(setup["sizes"], setup["params"])
    return {"model": model, **{key: value for key, value in setup.items() if key not in ("sizes", "params")}}


def _pruning_inputs(model, x, y):
    """``(model, x, y)``: the course's trained spirals network and its test set when ``model`` is None."""
    from ..nn import MLP

    if model is None:
        if x is not None or y is not None:
            raise ValueError("x and y go with a model of your own; with model=None the test set of "
                             "pruning_setup() is used")
        setup = pruning_setup()
        return setup["model"], setup["x_test"], setup["y_test"]
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a course_lib.nn.MLP or None, got {type(model).__name__}")
    if x is None or y is None:
        raise ValueError("with a model of your own, pass its test set too: x and y")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != model.sizes[0]:
        raise ValueError(f"x must have shape (n, {model.sizes[0]}), got {x.shape}")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold {len(x)} integer labels, got shape {y.shape}, dtype {y.dtype}")
    return model, x, y


def pruning_experiment(model=None, sparsity=0.5, scope="global", x=None, y=None):
    """Magnitude-prune a *copy* of ``model``'s weight matrices to ``sparsity`` and measure its accuracy.

    ``scope="per-layer"``: ``magnitude_prune`` on each weight matrix, so every layer loses exactly
    ``round(sparsity * size)`` weights. ``scope="global"``: ``global_magnitude_prune`` ranks the weights of
    all layers together and removes ``round(sparsity * total)`` in all, shared unevenly: layers whose weights
    are small (here the 64 x 64 hidden one) lose more, layers with few, large weights (the input and output
    layers) keep theirs. Biases are never pruned. ``model`` itself is never changed.

    ``model=None`` takes the trained spirals network of ``pruning_setup()`` and its test set; a model of
    your own (an ``MLP``) needs its test set ``x``, ``y``.

    Returns a dict: sparsity, scope, accuracy (on x, y), weights (the pruned matrices), masks (True =
    kept), layer_sparsity (fraction of zeros per matrix, from ``sparsity_report``), total_sparsity,
    n_nonzero (weights left), n_weights (all of them) and report (the ``sparsity_report`` rows).
    """
    from ..pruning import global_magnitude_prune, magnitude_prune, sparsity_report

    sparsity = as_float(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    scope = choose(scope, "scope", PRUNING_SCOPES)
    model, x, y = _pruning_inputs(model, x, y)
    weights = list(model.weights)  # read only: magnitude_prune and global_magnitude_prune return new arrays
    if scope == "global":
        pruned, masks = global_magnitude_prune(weights, sparsity)
    else:
        pruned, masks = (list(t) for t in zip(*(magnitude_prune(W, sparsity) for W in weights)))
    params = list(model.params)
    params[0::2] = pruned
    logits = _forward_in_chunks(_new_mlp(model.sizes, params, model.activation), x)  # a pruned copy
    report = sparsity_report(pruned)
    n_weights = sum(W.size for W in pruned)
    return {
        "sparsity": sparsity, "scope": scope, "accuracy": float(np.mean(logits.argmax(axis=1) == y)),
        "weights": pruned, "masks": masks, "layer_sparsity": np.array([row[3] for row in report[:-1]]),
        "total_sparsity": report[-1][3], "n_nonzero": n_weights - report[-1][2], "n_weights": n_weights,
        "report": report,
    }


_PRUNING_CURVES = {}  # (scope, sparsities) -> accuracies, for the default network (model=None)


def pruning_curve(model=None, scope="global", sparsities=PRUNING_SPARSITIES, x=None, y=None):
    """Accuracy against sparsity: ``pruning_experiment`` at each of ``sparsities`` (default: the explorer's
    slider values, 0 to 0.99 in steps of 0.01). Returns a dict: scope, sparsity and accuracy (arrays).
    For the default network (``model=None``) the result is cached."""
    scope = choose(scope, "scope", PRUNING_SCOPES)
    sparsities = tuple(float(s) for s in sparsities)
    default, key = model is None, (scope, sparsities)
    if default and key in _PRUNING_CURVES:
        accuracy = _PRUNING_CURVES[key]
    else:
        model, x, y = _pruning_inputs(model, x, y)
        accuracy = _readonly([pruning_experiment(model, s, scope, x, y)["accuracy"] for s in sparsities])
        if default:
            _PRUNING_CURVES[key] = accuracy
    return {"scope": scope, "sparsity": np.array(sparsities), "accuracy": accuracy}
