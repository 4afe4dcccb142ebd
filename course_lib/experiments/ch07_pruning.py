"""Chapter 07 (pruning and compression): magnitude pruning of a trained network (the numbers behind
``widgets.pruning_explorer``); retraining after pruning (iterative against one-shot, the lottery ticket,
gradual pruning against a small dense network); the bytes of each storage format; quantization (the numbers
behind ``widgets.ch07_pruning.quantization_explorer``)."""

import functools

import numpy as np

from .._checks import as_float, as_int, choose
from ._common import _forward_in_chunks, _hidden_widths, _histogram, _readonly, _seed_of

__all__ = ["pruning_setup", "pruning_experiment", "pruning_curve", "PRUNING_SCOPES", "PRUNING_SPARSITIES",
           "RETRAIN_SIZES", "accuracy_in_chunks", "equal_parameter_sparsity", "train_sparse", "prune_and_retrain",
           "lottery_ticket", "gradual_prune", "connected_units", "STORAGE_FORMATS", "encode_weights",
           "decode_weights", "storage_nbytes", "QUANT_BITS", "QUANT_GRANULARITIES", "QUANT_BIN_EDGES",
           "quantization_curve", "quantization_experiment"]

PRUNING_SCOPES = ("global", "per-layer")
PRUNING_SPARSITIES = tuple(round(0.01 * i, 2) for i in range(100))  # the slider's values, 0 to 0.99


@functools.lru_cache(maxsize=4)
def _pruning_setup(n_train, n_test, n_val, noise, hidden, epochs, lr, seed):
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
    x_val, y_val = spirals(n_val, classes=3, noise=noise, rng=rng)  # drawn last: the model does not depend on it
    return {
        "sizes": tuple(model.sizes), "params": tuple(_readonly(p.copy()) for p in model.params),
        "x_train": _readonly(x), "y_train": _readonly(y), "x_val": _readonly(x_val), "y_val": _readonly(y_val),
        "x_test": _readonly(x_test), "y_test": _readonly(y_test),
        "train_accuracy": float(np.mean(_forward_in_chunks(model, x).argmax(axis=1) == y)),
        "accuracy": float(np.mean(_forward_in_chunks(model, x_val).argmax(axis=1) == y_val)),
    }


def _new_mlp(sizes, params, activation="relu"):
    """A new MLP of layer widths ``sizes`` whose parameters are copies of ``params`` ([W1, b1, W2, ...])."""
    from ..nn import MLP

    model = MLP(list(sizes), activation=activation, dtype=params[0].dtype, rng=0)
    for destination, source in zip(model.params, params):
        destination[...] = source
    return model


def pruning_setup(n_train=600, n_test=1500, noise=0.2, hidden=(64, 64), epochs=200, lr=0.01, rng=0, n_val=1500):
    """The network that chapter 07 prunes: a 2-64-64-3 ReLU MLP trained with Adam (``lr``, batches of 64,
    ``epochs`` passes) on ``n_train`` points of 3-class ``spirals``, to about 99% validation accuracy in about
    a second. Trained once per set of arguments and cached; every call returns a *new* copy of the model,
    so pruning or fine-tuning it cannot change what the next caller gets.

    Every comparison (the explorers' curves) is scored on the ``n_val`` validation points; the ``n_test`` test
    points are for a final report only.

    Returns a dict: model (an ``MLP``), x_train, y_train, x_val, y_val, x_test, y_test (read-only arrays),
    train_accuracy and accuracy (on the validation set).
    """
    n_train = as_int(n_train, "n_train", 3, 100_000)
    n_test = as_int(n_test, "n_test", 3, 100_000)
    n_val = as_int(n_val, "n_val", 3, 100_000)
    epochs = as_int(epochs, "epochs", 1, 10_000)
    noise, lr = as_float(noise, "noise", nonnegative=True), as_float(lr, "lr", positive=True)
    hidden = _hidden_widths(hidden)
    setup = _pruning_setup(n_train, n_test, n_val, noise, hidden, epochs, lr, _seed_of(rng))
    model = _new_mlp(setup["sizes"], setup["params"])
    return {"model": model, **{key: value for key, value in setup.items() if key not in ("sizes", "params")}}


def _pruning_inputs(model, x, y):
    """``(model, x, y)``: the course's trained spirals network and its validation set when ``model`` is None."""
    from ..nn import MLP

    if model is None:
        if x is not None or y is not None:
            raise ValueError("x and y go with a model of your own; with model=None the validation set of "
                             "pruning_setup() is used")
        setup = pruning_setup()
        return setup["model"], setup["x_val"], setup["y_val"]
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a course_lib.nn.MLP or None, got {type(model).__name__}")
    if x is None or y is None:
        raise ValueError("with a model of your own, pass the data to score it on too (a validation set): x and y")
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

    ``model=None`` takes the trained spirals network of ``pruning_setup()`` and its validation set; a model of
    your own (an ``MLP``) needs the data to score it on, ``x``, ``y`` (a validation set: a comparison).

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


# --------------------------------------------------------------------------------------------------
# Retraining after pruning: iterative against one-shot, the lottery ticket, small-dense against large-sparse
# --------------------------------------------------------------------------------------------------

RETRAIN_SIZES = (2, 64, 64, 3)  # the chapter's network


def _check_split(x, y, name, n_inputs=RETRAIN_SIZES[0]):
    if x is None or y is None:
        raise ValueError(f"give both {name} and its labels")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != n_inputs:
        raise ValueError(f"{name} must have shape (n, {n_inputs}), got {x.shape}")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"the labels of {name} must be {len(x)} integers, got shape {y.shape}, dtype {y.dtype}")
    return x, y


def _n_parameters(sizes):
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))


def equal_parameter_sparsity(width, sizes=RETRAIN_SIZES):
    """The sparsity at which the network of layer widths ``sizes`` has exactly as many parameters as a dense
    network with two hidden layers of ``width`` units (same inputs and outputs), counting every bias and every
    non-zero weight (biases are never pruned). Returns ``(sparsity, n_parameters)``; ``global_magnitude_prune``
    at that sparsity keeps exactly ``n_parameters - (number of biases)`` weights."""
    width = as_int(width, "width", 1, 4096)
    sizes = tuple(as_int(s, "sizes", 1) for s in sizes)
    n_parameters = _n_parameters((sizes[0], width, width, sizes[-1]))
    n_weights = sum(fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
    kept = n_parameters - sum(sizes[1:])
    if not 1 <= kept <= n_weights:
        raise ValueError(f"a dense {sizes[0]}-{width}-{width}-{sizes[-1]} network has {n_parameters} parameters; "
                         f"the network {sizes} cannot match that with between 1 and {n_weights} non-zero weights "
                         f"and its {sum(sizes[1:])} biases")
    return (n_weights - kept) / n_weights, n_parameters


def train_sparse(sizes, x, y, epochs, start=None, masks=None, lr=0.01, rng=0, x_val=None, y_val=None,
                 eval_every=1):
    """Train a ReLU MLP of layer widths ``sizes`` (float64) with Adam (``lr``, batches of 64, in an order
    shuffled by ``rng``) for ``epochs`` passes over ``(x, y)``.

    ``start``: the parameters to start from, ``[W1, b1, W2, ...]`` (copied); ``None``: a new He init drawn from
    ``rng``. ``masks``: one boolean array per weight matrix (True = kept): the other weights start at 0 and stay
    there (a ``Pruner``: their gradients are masked and they are re-zeroed after each step).
    Returns ``(model, curve)``: the trained ``MLP`` and its accuracy on ``(x_val, y_val)`` after every
    ``eval_every`` epochs (empty without validation data).
    """
    from ..nn import MLP
    from ..optim import Adam
    from ..pruning import Pruner
    from ..train import train

    sizes = [as_int(n, "sizes", 1, 4096) for n in sizes]
    x, y = _check_split(x, y, "x", sizes[0])
    if x_val is not None or y_val is not None:
        x_val, y_val = _check_split(x_val, y_val, "x_val", sizes[0])
    epochs = as_int(epochs, "epochs", 0, 100_000)
    rng = np.random.default_rng(_seed_of(rng))
    model = MLP(sizes, rng=rng, dtype="float64")
    if start is not None:
        if len(start) != len(model.params):
            raise ValueError(f"start must hold {len(model.params)} arrays [W1, b1, ...], got {len(start)}")
        for destination, source in zip(model.params, start):
            destination[...] = source
    pruner = None if masks is None else Pruner(model, masks)
    eval_every = as_int(eval_every, "eval_every", 1) if x_val is not None else epochs
    optimizer, curve, done = Adam(model.params, lr=lr), [], 0
    while done < epochs:
        chunk = min(eval_every, epochs - done)
        train(model, optimizer, x, y, chunk, batch_size=64, rng=rng, pruner=pruner, diagnostics=False,
              progress=False)
        done += chunk
        if x_val is not None:
            curve.append(_accuracy(model, x_val, y_val))
    return model, curve


def accuracy_in_chunks(model, x, y):
    """The fraction of ``x`` that ``model`` classifies as ``y``, from a forward pass in blocks of 64 rows: the
    same number as ``train.accuracy``, with matrix products small enough to stay on one thread, so that a busy
    second core does not make each evaluation wait (``_forward_in_chunks``)."""
    return float(np.mean(_forward_in_chunks(model, x).argmax(axis=1) == y))


_accuracy = accuracy_in_chunks


def prune_and_retrain(model, sparsity, rounds, epochs, x, y, lr=0.01, rng=0):
    """Han et al. (2015, "Learning both Weights and Connections", Sec. 3): prune the trained ``model`` by
    global weight magnitude and retrain the survivors, in ``rounds`` rounds. Round k prunes to the sparsity
    ``1 - (1 - s)^(k / rounds)`` (each round removes the same fraction of the weights still there) and retrains
    ``epochs / rounds`` epochs with the mask fixed; ``rounds=1`` is one-shot pruning followed by ``epochs`` of
    fine-tuning. Same final sparsity ``s``, same total training, whatever ``rounds`` is.
    Returns a new MLP (``model`` is not changed)."""
    from ..pruning import global_magnitude_prune

    sparsity = as_float(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    rounds = as_int(rounds, "rounds", 1, 1000)
    epochs = as_int(epochs, "epochs", rounds, 100_000)
    if epochs % rounds:
        raise ValueError(f"epochs ({epochs}) must be a multiple of rounds ({rounds}): every round trains as long")
    seed = _seed_of(rng)
    for k in range(1, rounds + 1):
        _, masks = global_magnitude_prune(model.weights, 1.0 - (1.0 - sparsity) ** (k / rounds))
        model, _ = train_sparse(model.sizes, x, y, epochs // rounds, start=model.params, masks=masks, lr=lr,
                                rng=seed + k)
    return model


def lottery_ticket(dense, theta_0, sparsity, x, y, x_val, y_val, epochs=60, lr=0.01, eval_every=5, rng=0):
    """Frankle & Carbin (2019, "The Lottery Ticket Hypothesis", Sec. 2, one-shot pruning): prune the trained
    ``dense`` network by global weight magnitude to ``sparsity`` (mask m), then train from

        ticket:           m * theta_0    the surviving weights rewound to their values at initialization
        random reinit:    m * theta'     the same mask on a fresh He init theta' (drawn from ``rng``)
        rescaled reinit:  m * theta''    theta' with each masked matrix scaled to the ticket's norm,
                                         ||m * W''|| = ||m * W_0||: the ticket's scale without its values

    for ``epochs`` each, with the same batch order (both drawn from ``rng``, by ``SeedSequence.spawn``, so never
    equal to ``theta_0`` even when ``theta_0`` was drawn from the same seed), and score all three on
    ``(x_val, y_val)`` every ``eval_every`` epochs. ``theta_0`` is the list of parameters ``[W1, b1, ...]`` that
    ``dense`` started from.

    Returns a dict: epochs (when the curves were measured), ticket, random reinit and rescaled reinit
    (validation accuracy at those epochs), start_norm (per start, the norm of each masked weight matrix before
    training), kept (weights left).
    """
    from ..nn import MLP
    from ..pruning import global_magnitude_prune

    x, y = _check_split(x, y, "x")
    x_val, y_val = _check_split(x_val, y_val, "x_val")
    epochs, eval_every = as_int(epochs, "epochs", 1, 10_000), as_int(eval_every, "eval_every", 1)
    if len(theta_0) != len(dense.params) or any(a.shape != b.shape for a, b in zip(theta_0, dense.params)):
        raise ValueError("theta_0 must hold the starting values of dense.params, array for array")
    init_seed, order_seed = np.random.SeedSequence(_seed_of(rng)).spawn(2)  # never the stream theta_0 came from
    _, masks = global_magnitude_prune(dense.weights, sparsity)
    fresh = MLP(dense.sizes, rng=np.random.default_rng(init_seed), dtype="float64").params
    rescaled = [p.copy() for p in fresh]  # the fresh init, each masked matrix scaled to the ticket's norm
    for W, W_0, m in zip(rescaled[0::2], theta_0[0::2], masks):
        W *= np.linalg.norm(W_0 * m) / max(np.linalg.norm(W * m), 1e-300)
    starts = {"ticket": list(theta_0), "random reinit": fresh, "rescaled reinit": rescaled}
    result = {"epochs": [min(e, epochs) for e in range(eval_every, epochs + eval_every, eval_every)],
              "kept": int(sum(m.sum() for m in masks))}
    for name, start in starts.items():
        _, result[name] = train_sparse(dense.sizes, x, y, epochs, start=start, masks=masks, lr=lr,
                                       rng=np.random.default_rng(order_seed), x_val=x_val, y_val=y_val,
                                       eval_every=eval_every)
    result["start_norm"] = {name: [float(np.linalg.norm(W * m)) for W, m in zip(start[0::2], masks)]
                            for name, start in starts.items()}
    return result


def gradual_prune(x, y, final_sparsity, scope="global", epochs=60, t0=6, n_prunes=10, dt=3, lr=0.01, rng=0):
    """Zhu & Gupta (2017, "To prune, or not to prune", eq. 1) on a new 2-64-64-3 network: every ``dt`` epochs,
    prune the current weights by magnitude (``scope``: "global" or "per-layer") to the schedule's sparsity
    ``gradual_sparsity(epoch, final_sparsity, 0, t0, n_prunes, dt)`` and train the next ``dt`` epochs (Adam,
    ``lr``, batches of 64) with a ``Pruner`` holding that mask; weights pruned once stay pruned (zeros are the
    smallest magnitudes). ``epochs`` in all. The network is drawn from ``rng`` (a seed), the batch order of the
    chunk starting at epoch e from seed e. Returns the trained MLP."""
    from ..nn import MLP
    from ..optim import Adam
    from ..pruning import Pruner, global_magnitude_prune, gradual_sparsity, magnitude_prune
    from ..train import train

    x, y = _check_split(x, y, "x")
    scope = choose(scope, "scope", PRUNING_SCOPES)
    epochs, dt = as_int(epochs, "epochs", 1, 100_000), as_int(dt, "dt", 1, 100_000)
    net = MLP(list(RETRAIN_SIZES), rng=_seed_of(rng), dtype="float64")
    optimizer = Adam(net.params, lr=as_float(lr, "lr", positive=True))
    for epoch in range(0, epochs, dt):
        s = gradual_sparsity(epoch, final_sparsity, 0.0, t0, n_prunes, dt)
        if scope == "global":
            _, masks = global_magnitude_prune(net.weights, s)
        else:
            masks = [magnitude_prune(W, s)[1] for W in net.weights]
        train(net, optimizer, x, y, epochs=min(dt, epochs - epoch), batch_size=64, rng=epoch,
              pruner=Pruner(net, masks), diagnostics=False, progress=False)
    return net


def connected_units(weights):
    """Per hidden layer, how many units still take part in the computation: at least one non-zero weight in
    (column of the matrix before) and one out (row of the matrix after). A unit without either contributes
    at most a constant (its bias) to the next layer."""
    weights = list(weights)
    return [int(np.sum(np.any(w_in != 0, axis=0) & np.any(w_out != 0, axis=1)))
            for w_in, w_out in zip(weights[:-1], weights[1:])]


# --------------------------------------------------------------------------------------------------
# Storage: the bytes a weight matrix takes in each format, and what decoding them gives back
# --------------------------------------------------------------------------------------------------

STORAGE_FORMATS = ("float32", "float16", "int8", "int4", "int2", "csr float32", "csr int8")


def encode_weights(w, fmt):
    """The arrays that store the 2-D weight matrix ``w`` (fan_in, fan_out) in format ``fmt``, as a dict:

    float32, float16        values: w in that float type (4 or 2 bytes a weight)
    int8, int4, int2        codes: symmetric per-channel codes q + 2^(b-1) in [0, 2^b - 1], packed b bits each
                            (``pack_bits``); scales: one float32 per output unit (``quantize(w, b, axis=1)``)
    csr float32, csr int8   the non-zeros only, in compressed sparse rows (``to_csr``): values (float32, or
                            int8 codes with per-unit float32 scales), their column indices and the row pointers

    The size of a format is the sum of the arrays' ``nbytes``; ``decode_weights`` turns them back into a matrix.
    (The shape, a few bytes, is not counted.)
    """
    from ..pruning import to_csr
    from ..quantization import pack_bits, quantize

    fmt = choose(fmt, "fmt", STORAGE_FORMATS)
    w = np.asarray(w)
    if w.ndim != 2 or not np.issubdtype(w.dtype, np.floating):
        raise ValueError(f"w must be a 2-D float array, got {w.dtype} of shape {w.shape}")
    if fmt in ("float32", "float16"):
        return {"values": w.astype(fmt)}
    if fmt == "csr float32":
        values, indices, indptr = to_csr(w)
        return {"values": values.astype(np.float32), "indices": indices, "indptr": indptr}
    bits = 8 if fmt == "csr int8" else int(fmt[3:])
    q, scale, _ = quantize(w, bits, "symmetric", axis=1)
    scales = scale.astype(np.float32)
    if fmt == "csr int8":
        values, indices, indptr = to_csr(q)  # a pruned weight is 0 and its code is 0 (zero point 0)
        return {"values": values.astype(np.int8), "scales": scales, "indices": indices, "indptr": indptr}
    return {"codes": pack_bits(q + 2 ** (bits - 1), bits), "scales": scales}


def decode_weights(stored, fmt, shape):
    """The matrix of ``shape`` that ``encode_weights(w, fmt)`` stored (float64): what a model loaded from that
    format computes with."""
    from ..pruning import from_csr
    from ..quantization import unpack_bits

    fmt = choose(fmt, "fmt", STORAGE_FORMATS)
    shape = tuple(int(n) for n in shape)
    if fmt in ("float32", "float16"):
        return stored["values"].astype(np.float64).reshape(shape)
    if fmt == "csr float32":
        return from_csr(stored["values"], stored["indices"], stored["indptr"], shape).astype(np.float64)
    scales = stored["scales"].astype(np.float64)
    if fmt == "csr int8":
        return from_csr(stored["values"], stored["indices"], stored["indptr"], shape) * scales
    bits = int(fmt[3:])
    q = unpack_bits(stored["codes"], bits, shape[0] * shape[1]).reshape(shape) - 2 ** (bits - 1)
    return q * scales


def storage_nbytes(stored):
    """Bytes of the arrays of one stored matrix (``encode_weights``)."""
    return int(sum(array.nbytes for array in stored.values()))


# --------------------------------------------------------------------------------------------------
# The quantization explorer: bits and scheme against a layer's weight histogram and the accuracy
# --------------------------------------------------------------------------------------------------

QUANT_BITS = tuple(range(2, 9))
QUANT_GRANULARITIES = ("per tensor", "per channel")
QUANT_BIN_EDGES = np.linspace(-1.0, 1.0, 82)  # w / max|w| of the layer: 81 bins, one centred on 0


def _quantized_model(model, bits, scheme, granularity):
    from ..quantization import fake_quantize_model

    return fake_quantize_model(model, bits, scheme, None if granularity == "per tensor" else 1)


_QUANT_CURVES = {}  # accuracies for the default network (model=None), by (scheme, granularity)


def quantization_curve(model=None, scheme="symmetric", granularity="per tensor", x=None, y=None):
    """Accuracy of ``model`` with every weight matrix quantized to b bits (``fake_quantize_model``) for b in
    ``QUANT_BITS`` (2 to 8). Returns a dict: bits, accuracy (arrays) and float_accuracy (unquantized).
    Cached for the default network."""
    from ..quantization import SCHEMES

    scheme = choose(scheme, "scheme", SCHEMES)
    granularity = choose(granularity, "granularity", QUANT_GRANULARITIES)
    default, key = model is None, (scheme, granularity)
    if default and key in _QUANT_CURVES:
        accuracy, float_accuracy = _QUANT_CURVES[key]
    else:
        model, x, y = _pruning_inputs(model, x, y)
        accuracy = _readonly([_accuracy(_quantized_model(model, b, scheme, granularity), x, y) for b in QUANT_BITS])
        float_accuracy = _accuracy(model, x, y)
        if default:
            _QUANT_CURVES[key] = accuracy, float_accuracy
    return {"bits": np.array(QUANT_BITS), "accuracy": accuracy, "float_accuracy": float_accuracy}


def quantization_experiment(model=None, bits=4, scheme="symmetric", granularity="per channel", layer=1, x=None,
                            y=None):
    """Quantize every weight matrix of a copy of ``model`` to ``bits`` bits (``scheme`` "symmetric" or
    "affine", ``granularity`` "per tensor" or "per channel", i.e. one scale per output unit; Jacob et al. 2018,
    Sec. 2) and measure its accuracy on ``(x, y)``; describe weight matrix number ``layer`` (0 = W1).

    ``model=None`` takes the trained spirals network of ``pruning_setup()`` and its validation set.
    Returns a dict: accuracy, histogram (fraction of the layer's weights in each bin of ``QUANT_BIN_EDGES``,
    in units of the layer's max|w|), quantized_histogram (the same for the dequantized weights), levels
    (distinct values of the dequantized layer), max_error and half_step (the largest |w - w_hat| and the
    largest S/2 of the layer), nbytes (the layer's codes packed b bits each, plus a float32 scale, and for
    affine a zero point of b bits rounded up to bytes, per scale) and float32_nbytes.
    """
    from ..quantization import SCHEMES, dequantize, quantize

    bits = as_int(bits, "bits", QUANT_BITS[0], QUANT_BITS[-1])
    scheme = choose(scheme, "scheme", SCHEMES)
    granularity = choose(granularity, "granularity", QUANT_GRANULARITIES)
    model, x, y = _pruning_inputs(model, x, y)
    layer = as_int(layer, "layer", 0, len(model.weights) - 1)
    W = model.weights[layer]
    axis = None if granularity == "per tensor" else 1
    q, scale, zero_point = quantize(W, bits, scheme, axis)
    W_hat = dequantize(q, scale, zero_point, axis)
    largest = float(np.abs(W).max()) or 1.0
    n_scales = 1 if axis is None else W.shape[1]
    side_bytes = 4 + (0 if scheme == "symmetric" else -(-bits // 8))
    return {
        "bits": bits, "scheme": scheme, "granularity": granularity, "layer": layer,
        "accuracy": _accuracy(_quantized_model(model, bits, scheme, granularity), x, y),
        "histogram": _histogram(W / largest, QUANT_BIN_EDGES),
        "quantized_histogram": _histogram(W_hat / largest, QUANT_BIN_EDGES),
        "levels": int(np.unique(W_hat).size), "max_error": float(np.abs(W - W_hat).max()),
        "half_step": float(np.max(scale)) / 2, "nbytes": -(-W.size * bits // 8) + n_scales * side_bytes,
        "float32_nbytes": 4 * W.size,
    }
