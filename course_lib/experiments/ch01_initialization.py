"""Chapter 01 (initialization): activations layer by layer, the numbers behind ``widgets.init_explorer``, and the
measurements that tie them to gradients and training (``signal_by_layer``, ``deep_linear_spread``,
``train_from_initializer``)."""

import math
from collections import OrderedDict

import numpy as np

from .._checks import as_float, as_int, as_rng, choose
from ..diagnostics import dead_fraction, saturated_fraction
from ..init import get_initializer
from ..nn import ACTIVATIONS, MLP, softmax_cross_entropy
from ..optim import SGD
from ._common import _forward_in_chunks, _readonly, _seed_of

__all__ = ["init_explorer_data", "EXPLORER_INITIALIZERS", "MAX_DEPTH", "WIDTH_RANGE", "signal_by_layer",
           "deep_linear_spread", "deep_linear_training", "spiral_task", "train_from_initializer", "first_step_below"]

# The initializers offered by the init explorer, each at its library defaults (as a PyTorch user
# would call them): "normal" is N(0, 1), kaiming_* assume ReLU, xavier_* and orthogonal use gain 1.
EXPLORER_INITIALIZERS = (
    "zeros", "normal", "truncated_normal", "lecun_normal", "lecun_uniform", "xavier_normal",
    "xavier_uniform", "kaiming_normal", "kaiming_uniform", "orthogonal",
)
MAX_DEPTH = 20
WIDTH_RANGE = (16, 1024)

# The unit-scale networks last used are kept while their weights fit in this many bytes; the one in use is kept
# whatever its size (20 layers of 1024 x 1024 float64 take 168 MB). 128 MB holds all ten initializers at the
# explorer's default width (256) and full depth (20 layers: 10.5 MB each), or three at width 512.
WEIGHT_CACHE_BYTES = 128 * 2**20

# A "round" number is one of these times a power of ten: rounding a histogram range up to one wastes at most a
# third of the axis (1 -> 1.5, 2 -> 3), and each is a whole number of round tick steps (1, 2, 2.5, 4 or 5 times
# a power of ten), so an axis over it can label 0 and both its ends.
ROUND_MANTISSAS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


class _UnitScaleNet:
    """The input batch and the unit-scale weights of one (initializer, width, n_examples, seed), drawn as
    ``init_explorer_data`` always drew them: x first, then W1, W2, ... from one ``np.random.default_rng(seed)``.

    Layers are drawn when a depth first needs them, and the generator is kept: a network of depth 20 after one
    of depth 10 draws only layers 11 to 20, and one of depth 10 after one of depth 20 draws nothing. The weights
    of layer l are therefore the same whatever depth asked for them first. Every array is read-only, so that a
    caller cannot change what the cache holds.
    """

    def __init__(self, initializer, width, n_examples, seed):
        self._rng = np.random.default_rng(seed)
        self._initializer = get_initializer(initializer)
        self.width = width
        self.x = _readonly(self._rng.standard_normal((n_examples, width)))
        self.weights = []

    def first_layers(self, depth):
        """The weights of layers 1 to ``depth``, drawing the ones not drawn yet."""
        while len(self.weights) < depth:
            layer = self._initializer((self.width, self.width), rng=self._rng)
            self.weights.append(_readonly(np.asarray(layer, dtype=np.float64)))
        return self.weights[:depth]

    def nbytes(self, depth=None):
        """Bytes held with ``depth`` layers drawn (default: the layers drawn so far)."""
        layers = len(self.weights) if depth is None else max(depth, len(self.weights))
        return self.x.nbytes + layers * self.width * self.width * 8


_UNIT_SCALE_NETS = OrderedDict()  # (initializer, width, n_examples, seed) -> _UnitScaleNet, least recently used first


def _unit_scale_net(initializer, depth, width, n_examples, seed):
    """The input batch x and the unit-scale weights of layers 1 to ``depth``, from a cache of ``_UnitScaleNet``.

    A change of scale, activation or depth reuses the weights already drawn. The least recently used networks
    are forgotten while the cache would hold more than WEIGHT_CACHE_BYTES, before the new layers are drawn (so
    that memory does not peak with an old network and a new one both held).
    """
    key = (initializer, width, n_examples, seed)
    net = _UNIT_SCALE_NETS.pop(key) if key in _UNIT_SCALE_NETS else _UnitScaleNet(*key)
    _UNIT_SCALE_NETS[key] = net  # now the most recently used
    while len(_UNIT_SCALE_NETS) > 1:
        held_by_others = sum(other.nbytes() for other in _UNIT_SCALE_NETS.values() if other is not net)
        if held_by_others + net.nbytes(depth) <= WEIGHT_CACHE_BYTES:
            break
        _UNIT_SCALE_NETS.popitem(last=False)  # the least recently used
    return net.x, net.first_layers(depth)


def init_explorer_data(initializer="kaiming_normal", scale=1.0, depth=10, width=256, activation="relu",
                       n_examples=256, bins=48, rng=0, round_range=False):
    """Push a unit-variance batch through ``depth`` layers ``a = f(scale * (a @ W))`` and measure.

    Every layer is ``width`` wide, with W drawn by ``initializer`` at its defaults; biases are zero. The scale
    multiplies each layer's product ``a @ W``, which is ``a @ (scale * W)`` up to rounding, without a scaled
    copy of every weight matrix (at width 1024 and depth 10 those copies took 20 ms, as long as the products).
    The batch and the weights at scale 1 are drawn from ``rng`` (x first, then W1, W2, ...) and cached, so that
    moving the scale, the activation or the depth does not draw them again (see ``_UnitScaleNet``).
    Computed in float64 so that exploding scales show as huge numbers rather than overflow.
    Returns a dict of numpy arrays, one entry per layer:

        std, mean             activation std and mean
        pre_std               pre-activation std
        histograms            (depth, bins): each layer's activation histogram, as fractions
        bin_edges             (bins + 1,): shared by all layers (see ``_histogram_range``)
        dead_fraction         ReLU units that output 0 for every example (None for other activations)
        saturated_fraction    tanh/sigmoid values with |a| > 0.99 or a outside [0.01, 0.99] (None otherwise)

    ``round_range=True`` rounds the histogram range of identity, ReLU and leaky ReLU up to a round number
    (see ``_round_up``), so that an axis over it can be labelled with round values, as the explorer does.
    """
    choose(initializer, "initializer", EXPLORER_INITIALIZERS)
    choose(activation, "activation", ACTIVATIONS)
    scale = as_float(scale, "scale", positive=True)
    depth = as_int(depth, "depth", 1, MAX_DEPTH)
    width = as_int(width, "width", *WIDTH_RANGE)
    n_examples = as_int(n_examples, "n_examples", 2, 4096)
    bins = as_int(bins, "bins", 2, 1000)
    x, unit_weights = _unit_scale_net(initializer, depth, width, n_examples, _seed_of(rng))
    f, _ = ACTIVATIONS[activation]

    with np.errstate(over="ignore", invalid="ignore"):  # huge scales may overflow: reported, not raised
        activations, pre_std = [], []
        a = x
        for weight in unit_weights:
            z = a @ weight
            z *= scale
            pre_std.append(z.std())
            a = f(z)
            activations.append(a)
        std = np.array([a.std() for a in activations])
        low, high = _histogram_range(activation, std, round_range)
        edges = np.linspace(low, high, bins + 1)
        return {
            "std": std,
            "mean": np.array([a.mean() for a in activations]),
            "pre_std": np.array(pre_std),
            "histograms": _layer_histograms(activations, edges),
            "bin_edges": edges,
            "dead_fraction": np.array([dead_fraction(a) for a in activations]) if activation == "relu" else None,
            "saturated_fraction": (np.array([saturated_fraction(a, activation) for a in activations])
                                   if activation in ("tanh", "sigmoid") else None),
        }


def _layer_histograms(activations, edges):
    """Each layer's histogram over the equal-width bins ``edges``, as fractions: a row per layer, the numbers of
    ``_common._histogram`` (values outside the range count in the end bins, NaN in the first). fmax and fmin do
    what nan_to_num and clip do there (fmax(NaN, 0) is 0), in place. Measured over the scale slider's 81 values
    at the explorer's defaults: init_explorer_data takes 11.5 ms with this, 19 ms with ``_histogram``."""
    bins = len(edges) - 1
    histograms = np.empty((len(activations), bins))
    for layer, a in enumerate(activations):
        position = (a.ravel() - edges[0]) * (bins / (edges[-1] - edges[0]))
        np.fmax(position, 0, out=position)  # NaN and -inf: the first bin
        np.fmin(position, bins - 1, out=position)  # +inf: the last bin
        histograms[layer] = np.bincount(position.astype(np.intp), minlength=bins) / a.size
    return histograms


def _histogram_range(activation, std, round_range=False):
    """tanh: [-1, 1]; sigmoid: [0, 1]; others: 3 times the largest layer std (ReLU from 0), rounded up to a
    round number if ``round_range``."""
    if activation == "tanh":
        return -1.0, 1.0
    if activation == "sigmoid":
        return 0.0, 1.0
    finite = std[np.isfinite(std)]
    reach = 3.0 * finite.max() if finite.size and finite.max() > 0 else 1.0
    if round_range and np.isfinite(reach):
        reach = _round_up(reach)
    return (0.0, reach) if activation == "relu" else (-reach, reach)


def _round_up(value):
    """The smallest round number >= ``value`` > 0: 1, 1.5, 2, 3, 4, 5, 6 or 8 times a power of ten."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(mantissa * power for mantissa in ROUND_MANTISSAS if mantissa * power >= value)


# --------------------------------------------------------------------------------------------------
# Beyond the explorer: gradients beside activations, deep linear networks, training from each start
# --------------------------------------------------------------------------------------------------


def signal_by_layer(initializer="kaiming_normal", depth=10, width=512, activation="relu", n_examples=256, rng=0):
    """One forward and one backward pass through ``depth`` layers ``a = f(a @ W)``: each layer's activation std
    beside the std of the gradients that reach it.

    ``initializer`` is a name of ``course_lib.init`` or a function ``init(shape, rng=...)``; biases are zero. The
    batch and the weights are drawn as ``init_explorer_data`` draws them (x first, then W1, W2, ... from one
    generator seeded by ``rng``), so for a named initializer the activation stds are those of
    ``init_explorer_data`` at scale 1. Then a gradient dL/da with unit variance per example arrives at the top,
    drawn from the same generator, as if from a loss averaged over the batch, and flows down by chapter 00's
    backward equations (Rumelhart, Hinton & Williams 1986):

        dz_l = da_l * f'(z_l)        dW_l = a_{l-1}.T @ dz_l / n        da_{l-1} = dz_l @ W_l.T

    (dz is written per example here, so dW is the batch mean ``/ n``.) Returns a dict of arrays, one entry per
    layer 1 to ``depth``: ``act_std`` (std of a_l), ``dz_std`` (std of dL/dz_l, the gradient reaching the layer's
    pre-activations), ``dw_std`` (std of dL/dW_l), and ``dead_fraction`` (ReLU) or ``saturated_fraction``
    (tanh, sigmoid), None otherwise.
    """
    initializer = get_initializer(initializer)
    depth = as_int(depth, "depth", 1, 100)
    width = as_int(width, "width", 1, 4096)
    f, f_prime = ACTIVATIONS[choose(activation, "activation", ACTIVATIONS)]
    n_examples = as_int(n_examples, "n_examples", 2, 4096)
    rng = as_rng(rng)
    x = rng.standard_normal((n_examples, width))
    weights = [np.asarray(initializer((width, width), rng=rng), dtype=np.float64) for _ in range(depth)]
    with np.errstate(over="ignore", invalid="ignore"):  # huge scales may overflow: reported, not raised
        inputs, pre_activations, a = [], [], x
        for weight in weights:
            inputs.append(a)
            z = a @ weight
            pre_activations.append(z)
            a = f(z)
        activations = inputs[1:] + [a]
        da = rng.standard_normal(a.shape)  # dL/da at the top, unit variance per example
        dz_std, dw_std = np.empty(depth), np.empty(depth)
        for layer in reversed(range(depth)):
            dz = da * f_prime(pre_activations[layer])
            dz_std[layer] = dz.std()
            dw_std[layer] = (inputs[layer].T @ dz / n_examples).std()
            da = dz @ weights[layer].T
        return {
            "act_std": np.array([a.std() for a in activations]),
            "dz_std": dz_std,
            "dw_std": dw_std,
            "dead_fraction": np.array([dead_fraction(a) for a in activations]) if activation == "relu" else None,
            "saturated_fraction": (np.array([saturated_fraction(a, activation) for a in activations])
                                   if activation in ("tanh", "sigmoid") else None),
        }


def deep_linear_spread(initializer="orthogonal", depth=50, width=128, n_inputs=1000, rng=0):
    """How a deep *linear* network ``x -> x @ W1 @ W2 ... @ W_depth`` stretches its inputs.

    Every W is ``width x width``, drawn by ``initializer`` (a name or a function ``init(shape, rng=...)``) from
    the generator ``rng``, then ``n_inputs`` Gaussian inputs. Returns a dict:

        singular_values   of the product P = W1 @ ... @ W_depth, largest first
        norm_ratio        ||x P|| / ||x|| for each input x

    Each ratio lies between the smallest and the largest singular value. With orthogonal W every singular value
    of P is 1, at any depth; with Gaussian W of the same variance 1/width they spread apart as the depth grows
    (Saxe, McClelland & Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning in deep linear
    neural networks": orthogonal initialization keeps every singular value of the product at 1, which
    they call dynamical isometry; random Gaussian initialization does not).
    """
    initializer = get_initializer(initializer)
    depth = as_int(depth, "depth", 1, 1000)
    width = as_int(width, "width", 1, 4096)
    n_inputs = as_int(n_inputs, "n_inputs", 1, 100000)
    rng = as_rng(rng)
    product = np.eye(width)
    for _ in range(depth):
        product = product @ np.asarray(initializer((width, width), rng=rng), dtype=np.float64)
    x = rng.standard_normal((n_inputs, width))
    return {
        "singular_values": np.linalg.svd(product, compute_uv=False),
        "norm_ratio": np.linalg.norm(x @ product, axis=1) / np.linalg.norm(x, axis=1),
    }


def deep_linear_training(initializer="orthogonal", depth=10, width=32, lr=0.01, max_steps=3000, target=0.05,
                         rng=0):
    """Train a deep linear network ``x -> x @ W1 @ ... @ W_depth`` by full-batch gradient descent to map x to x @ A.

    As in Saxe, McClelland & Ganguli 2014 (Sec. 1), the inputs are whitened (E[x.T x] = I), so the mean squared
    error over the inputs is exactly ``L = ||P - A||_F^2 / 2`` with P = W1 @ ... @ W_depth, and its gradient is

        dL/dW_l = (W1 ... W_{l-1}).T @ (P - A) @ (W_{l+1} ... W_depth).T

    Every W is ``width x width``, drawn by ``initializer`` (a name or a function ``init(shape, rng=...)``) from
    the generator ``rng``, then the target A with N(0, 1/width) entries (a random linear map that keeps the
    average length). Steps of size ``lr`` run until L falls below ``target`` times its starting value, for at most
    ``max_steps`` steps, or until L is not finite or 1e6 times its start (diverged). Returns a dict:

        steps_to_target   the first step with L < target * L(0), or None
        diverged_at       the step at which L blew up, or None
        loss              L before each step (up to where the run stopped), relative to L(0)
    """
    initializer = get_initializer(initializer)
    depth = as_int(depth, "depth", 1, 1000)
    width = as_int(width, "width", 1, 1024)
    lr = as_float(lr, "lr", positive=True)
    max_steps = as_int(max_steps, "max_steps", 1, 10**6)
    target = as_float(target, "target", positive=True)
    rng = as_rng(rng)
    weights = [np.asarray(initializer((width, width), rng=rng), dtype=np.float64) for _ in range(depth)]
    goal = rng.standard_normal((width, width)) / math.sqrt(width)
    eye = np.eye(width)
    losses, steps_to_target, diverged_at = [], None, None
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not raised
        for step in range(max_steps + 1):
            below = [eye]  # below[l] = W1 @ ... @ W_l
            for weight in weights:
                below.append(below[-1] @ weight)
            error = below[-1] - goal
            loss = 0.5 * float(np.sum(error * error))
            losses.append(loss)
            if not np.isfinite(loss) or loss > 1e6 * losses[0]:
                diverged_at = step
                break
            if loss < target * losses[0]:
                steps_to_target = step
                break
            if step == max_steps:
                break
            above = eye  # W_{l+1} @ ... @ W_depth, built from the top down
            gradients = [None] * depth
            for layer in reversed(range(depth)):
                gradients[layer] = below[layer].T @ error @ above.T
                above = weights[layer] @ above
            for weight, gradient in zip(weights, gradients):
                weight -= lr * gradient
    return {"steps_to_target": steps_to_target, "diverged_at": diverged_at,
            "loss": np.array(losses) / losses[0]}


def spiral_task(n_train=600, n_val=200, rng=0):
    """The task ``train_from_initializer`` learns: three interleaved spirals (``data.spirals``, noise 0.2),
    ``n_train + n_val`` points drawn from ``rng``, split into training and validation points, and scaled with the
    training points' mean and std so that each input has mean 0 and variance 1 (the chapter's unit-variance
    input). Returns ``(x_train, y_train, x_val, y_val)``."""
    from ..data import spirals

    n_train = as_int(n_train, "n_train", 3, 100000)
    n_val = as_int(n_val, "n_val", 1, 100000)
    x, y = spirals(n_train + n_val, classes=3, noise=0.2, rng=rng)
    mean, std = x[:n_train].mean(axis=0), x[:n_train].std(axis=0)
    x = (x - mean) / std
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def train_from_initializer(initializer, hidden_layers=10, width=32, steps=1500, lr=0.05, batch_size=64,
                           eval_every=25, rng=0, task=None, torch_biases=False):
    """Train a deep ReLU network on ``spiral_task`` from the weights ``initializer`` draws; return its record.

    The network: 2 inputs, ``hidden_layers`` ReLU layers of ``width`` units, 3 outputs (``nn.MLP``), every bias 0;
    with ``torch_biases=True`` each bias is drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) instead, as PyTorch's
    ``nn.Linear.reset_parameters`` draws it (after all the weights, from the weights' generator).
    Training: plain SGD (``optim.SGD``, no momentum) with learning rate ``lr`` on mini-batches of ``batch_size``
    drawn with replacement, for ``steps`` steps. ``rng`` (an int seed) fixes both the weights and the order of the
    batches: two runs with the same seed and different initializers see the same batches in the same order, so
    only the start differs. ``task`` is ``spiral_task()``'s 4-tuple (drawn once if None).

    A run diverges at the first step whose logits or gradients are not finite; it stops there. Returns a dict:

        steps, loss       the loss on all training points every ``eval_every`` steps and after the last step
                          (step 0 = the start; nan from the divergence on)
        final_loss        the training loss after the last step (nan if the run diverged)
        val_accuracy      accuracy on the validation points after the last step (nan if the run diverged)
        diverged_at       the step at which the run diverged, or None
        start_act_std     std of each hidden layer's activations at the start, on the training points
    """
    initializer = get_initializer(initializer)
    hidden_layers = as_int(hidden_layers, "hidden_layers", 1, 100)
    width = as_int(width, "width", 1, 4096)
    steps = as_int(steps, "steps", 1, 10**6)
    lr = as_float(lr, "lr", positive=True)
    batch_size = as_int(batch_size, "batch_size", 1, 10**5)
    eval_every = as_int(eval_every, "eval_every", 1, steps)
    seed = as_int(rng, "rng (an int seed)", 0)
    x, y, x_val, y_val = spiral_task() if task is None else task
    weights_rng, batches_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    model = MLP([x.shape[1]] + [width] * hidden_layers + [int(y.max()) + 1], activation="relu", init=initializer,
                rng=weights_rng, dtype="float64")
    if torch_biases:
        for weight, bias in zip(model.weights, model.biases):
            bias[:] = weights_rng.uniform(-1, 1, bias.shape) / math.sqrt(weight.shape[0])
    optimizer = SGD(model.params, lr=lr)
    record_steps = sorted(set(range(0, steps + 1, eval_every)) | {steps})
    losses = np.full(len(record_steps), np.nan)
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverging run is reported, not raised
        start_act_std = [model.layer_output(x, n).std() for n in range(1, hidden_layers + 1)]
        recorded = 0
        for step in range(steps + 1):
            if step == record_steps[recorded]:
                losses[recorded] = _loss(model, x, y)
                recorded += 1
            if step == steps:
                break
            batch = batches_rng.integers(0, len(x), batch_size)
            logits = model.forward(x[batch])
            if not np.isfinite(logits).all():
                diverged_at = step
                break
            _, dlogits = softmax_cross_entropy(logits, y[batch])
            try:
                optimizer.step(model.backward(dlogits))
            except ValueError:  # optim.SGD refuses gradients with nan or inf, and then updates nothing
                diverged_at = step
                break
        if diverged_at is None and not np.isfinite(losses[-1]):  # the last update made the logits overflow
            diverged_at = steps
        diverged = diverged_at is not None
        predictions = None if diverged else _forward_in_chunks(model, x_val).argmax(axis=1)
    return {
        "steps": np.array(record_steps),
        "loss": losses,
        "final_loss": np.nan if diverged else float(losses[-1]),
        "val_accuracy": np.nan if diverged else float((predictions == y_val).mean()),
        "diverged_at": diverged_at,
        "start_act_std": np.array(start_act_std),
    }


def _loss(model, x, y):
    """The mean cross-entropy of ``model`` on all of ``x``, nan if its logits are not finite. The forward pass runs
    in blocks of rows small enough that every product has at most 2^18 multiply-adds (one OpenBLAS thread: see
    ``_common._forward_in_chunks``)."""
    logits = _forward_in_chunks(model, x, rows=max(64, 2**18 // max(model.sizes[1:-1]) ** 2))
    return softmax_cross_entropy(logits, y)[0] if np.isfinite(logits).all() else np.nan


def first_step_below(run, threshold):
    """The first recorded step of ``run`` (a ``train_from_initializer`` record) where the training loss is below
    ``threshold``, or None if it never is."""
    below = np.flatnonzero(run["loss"] < as_float(threshold, "threshold"))
    return int(run["steps"][below[0]]) if below.size else None
