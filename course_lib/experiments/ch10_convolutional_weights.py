"""Chapter 10 (convolutional weights): the numbers behind ``widgets.filter_explorer`` and the chapter's measurements.

    conv_as_dense_matrix          the dense matrix a convolution is: sparse, and its entries shared
    train_with_snapshots          training that keeps a copy of the first conv layer a few times per epoch
    filter_frame                  the first-layer filters of one snapshot, and what they make of one digit
    conv_stack_activation_stds    the activation std layer by layer of a deep stack of conv + ReLU layers
    filter_pruning_accuracy       accuracy after removing whole filters of one conv layer, in a given order
"""

import numpy as np

from .._checks import as_int, as_rng
from ..conv import conv2d, max_pool2d
from ..train import train_step

__all__ = ["conv_as_dense_matrix", "train_with_snapshots", "filter_frame", "conv_stack_activation_stds",
           "filter_pruning_accuracy"]


def _conv_weight(W, name="W"):
    if not isinstance(W, np.ndarray) or not np.issubdtype(W.dtype, np.floating) or W.ndim != 4:
        raise TypeError(f"{name} must be a 4-D float numpy array (C_out, C_in, kH, kW), got "
                        f"{getattr(W, 'shape', type(W).__name__)}")
    return W


def conv_as_dense_matrix(W, input_shape, stride=1, padding=0):
    """The (fan_in, fan_out) matrix M of the dense layer that computes the same as ``conv2d(x, W)`` (no bias).

    A convolution is linear in its input, so it is ``x.reshape(N, -1) @ M`` for one matrix M with
    fan_in = C_in*H*W rows and fan_out = C_out*H_out*W_out columns; row i of M is the output for the i-th basis
    image (a 1 at input pixel i, 0 elsewhere). M is mostly zeros (an output sees only a kH x kW patch) and its
    nonzero entries are copies of the C_out*C_in*kH*kW numbers of W: weight sharing (LeCun et al. 1998, Sec. II.A).
    ``input_shape``: (C_in, H, W). Returns a float64 array.
    """
    W = _conv_weight(W)
    if len(tuple(input_shape)) != 3:
        raise ValueError(f"input_shape must be (C_in, H, W), got {input_shape!r}")
    c_in, height, width = (as_int(v, "input_shape entries", 1) for v in input_shape)
    fan_in = c_in * height * width
    basis = np.eye(fan_in).reshape(fan_in, c_in, height, width)
    return conv2d(basis, W.astype(np.float64), stride=stride, padding=padding).reshape(fan_in, -1)


def train_with_snapshots(model, optimizer, x, y, epochs, batch_size=128, rng=None, scheduler=None,
                         snapshots_per_epoch=10):
    """Train ``model`` as ``course_lib.train.train`` does (each epoch a new shuffle by ``rng``, one ``train_step``
    per mini-batch, ``scheduler.step()`` before each) and keep a copy of its first weight (the first conv layer's
    filters) ``snapshots_per_epoch`` times per epoch, at evenly spaced steps.

    Returns a dict: ``snapshots`` (a list, [0] the initial weights), ``biases`` (the first layer's biases at the
    same moments), ``epochs`` (the fraction of an epoch done at each snapshot, 0 first), ``loss`` (the mean
    training loss of the steps since the snapshot before, nan for the first) and ``steps`` (the number of steps
    done at each snapshot).
    """
    epochs = as_int(epochs, "epochs", 1)
    batch_size = as_int(batch_size, "batch_size", 1)
    snapshots_per_epoch = as_int(snapshots_per_epoch, "snapshots_per_epoch", 1)
    rng = as_rng(rng)
    n = len(y)
    steps_per_epoch = -(-n // batch_size)
    if snapshots_per_epoch > steps_per_epoch:
        raise ValueError(f"snapshots_per_epoch ({snapshots_per_epoch}) is more than the {steps_per_epoch} steps of "
                         "an epoch")
    marks = set(np.round(np.linspace(0, steps_per_epoch, snapshots_per_epoch + 1)[1:]).astype(int).tolist())
    snapshots, biases = [model.params[0].copy()], [model.params[1].copy()]
    fractions, losses, steps = [0.0], [float("nan")], [0]
    recent, done = [], 0
    for epoch in range(epochs):
        order = rng.permutation(n)
        for index, start in enumerate(range(0, n, batch_size), start=1):
            batch = order[start:start + batch_size]
            if scheduler is not None:
                scheduler.step()
            result = train_step(model, optimizer, x[batch], y[batch])
            if result is None:
                raise FloatingPointError(f"the logits overflowed at step {done + 1}: training diverged")
            recent.append(result.loss)
            done += 1
            if index in marks:
                snapshots.append(model.params[0].copy())
                biases.append(model.params[1].copy())
                fractions.append(epoch + index / steps_per_epoch)
                losses.append(float(np.mean(recent)))
                steps.append(done)
                recent = []
    return {"snapshots": snapshots, "biases": biases, "epochs": fractions, "loss": losses, "steps": steps}


def _check_snapshots(snapshots):
    if isinstance(snapshots, np.ndarray) or not isinstance(snapshots, (list, tuple)) or not snapshots:
        raise TypeError("snapshots must be a non-empty list of conv weights (C_out, C_in, kH, kW)")
    shape = _conv_weight(snapshots[0], "snapshots[0]").shape
    for i, W in enumerate(snapshots):
        if _conv_weight(W, f"snapshots[{i}]").shape != shape:
            raise ValueError(f"snapshots[{i}] has shape {W.shape}, but snapshots[0] has shape {shape}")
    return list(snapshots)


def _check_biases(biases, snapshots):
    """``biases``: None, or one bias vector (C_out,) per snapshot."""
    if biases is None:
        return None
    if isinstance(biases, np.ndarray) or not isinstance(biases, (list, tuple)) or len(biases) != len(snapshots):
        raise TypeError(f"biases must be None or a list of one bias vector per snapshot ({len(snapshots)})")
    c_out = snapshots[0].shape[0]
    for i, b in enumerate(biases):
        if np.shape(b) != (c_out,):
            raise ValueError(f"biases[{i}] has shape {np.shape(b)}, expected ({c_out},): one bias per filter")
    return list(biases)


def filter_frame(snapshots, index, image, biases=None):
    """The first conv layer at snapshot ``index``: its filters and what they make of one ``image``.

    ``snapshots``: conv weights (C_out, C_in, kH, kW), one per snapshot ([0] the initial ones); ``image``:
    (C_in, H, W) or (H, W) for one channel; ``biases``: None or the layer's bias (C_out,) at each snapshot.
    Returns a dict: index; filters (C_out, kH, kW), channel 0 of each filter; maps (C_out, H_out, W_out), the
    feature maps ``relu(conv2d(image, W) + b)`` as the network computes them (without ``b`` when ``biases`` is
    None); bias (the bias used, or None); norms, the L1 norm of each filter; change = ||W - W(0)|| / ||W(0)||;
    nothing is copied or changed.
    """
    snapshots = _check_snapshots(snapshots)
    biases = _check_biases(biases, snapshots)
    index = as_int(index, "index", 0, len(snapshots) - 1)
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[None]
    if image.ndim != 3 or image.shape[0] != snapshots[0].shape[1]:
        raise ValueError(f"image must be (C_in, H, W) with C_in = {snapshots[0].shape[1]} (or (H, W)), "
                         f"got shape {image.shape}")
    W, W0 = snapshots[index], snapshots[0]
    b = None if biases is None else np.asarray(biases[index], dtype=W.dtype)
    maps = np.maximum(conv2d(image[None].astype(W.dtype), W, b)[0], 0)
    initial = float(np.linalg.norm(W0))
    return {"index": index, "filters": W[:, 0], "maps": maps, "bias": b, "norms": np.abs(W).sum(axis=(1, 2, 3)),
            "change": float(np.linalg.norm(W - W0)) / initial if initial else float("nan")}


def conv_stack_activation_stds(x, weights, activation="relu"):
    """The std of the activations after each of the conv layers ``weights`` (3x3 or any odd size, stride 1,
    "same" padding k // 2, no bias), applied in turn to ``x`` (N, C, H, W): the conv version of chapter 01's
    ``propagate``. ``activation``: "relu" or "linear". Returns an array, one std per layer (float64).

    With weights of variance Var(W) and fan_in = C_in*kH*kW, a pre-activation has
    Var(z) = fan_in * Var(W) * E[a^2] (He et al. 2015, eq. 7; a conv output sums over fan_in inputs), away
    from the border where the zero padding removes some of them.
    """
    if activation not in ("relu", "linear"):
        raise ValueError(f"activation must be 'relu' or 'linear', got {activation!r}")
    if not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError("weights must be a non-empty list of conv weights (C_out, C_in, kH, kW)")
    a, stds = x, []
    for i, W in enumerate(weights):
        W = _conv_weight(W, f"weights[{i}]")
        if W.shape[2] % 2 == 0 or W.shape[3] % 2 == 0:
            raise ValueError(f"weights[{i}] has an even kernel {W.shape[2:]}: 'same' padding needs odd sizes")
        with np.errstate(over="ignore", invalid="ignore"):
            z = conv2d(a, W, padding=(W.shape[2] // 2, W.shape[3] // 2))
            a = np.maximum(z, 0) if activation == "relu" else z
            stds.append(float(a.std(dtype=np.float64)))
    return np.array(stds)


def filter_pruning_accuracy(model, x, y, layer, orders, counts, batch_size=2000):
    """The accuracy of ``model`` (a ``cnn.CNN``) on (x, y) after removing the first ``k`` filters of an order
    from conv layer ``layer``, for each order of ``orders`` and each ``k`` of ``counts`` (structured pruning: a
    removed filter takes its output channel with it, and the next layer's weights that read that channel:
    ``CNN.without_filters``). No retraining.

    ``orders``: one order (a permutation of the layer's filters, or its first few) or a list of them. The layers
    before ``layer`` do not change, so their output is computed once (in batches of ``batch_size``), and
    ``k = 0`` (the unpruned network) is evaluated once. Returns an array (len(orders), len(counts)).
    """
    layer = as_int(layer, "layer", 0, model.n_conv - 1)
    orders = np.atleast_2d(np.asarray(orders, dtype=np.intp))
    if orders.ndim != 2:
        raise ValueError(f"orders must be one order of filters or a list of them, got shape {orders.shape}")
    counts = [as_int(k, "counts entries", 0, model.channels[layer] - 1) for k in np.ravel(counts)]
    for order in orders:
        if len(np.unique(order)) != len(order) or max(counts, default=0) > len(order):
            raise ValueError("each order must list distinct filters, at least as many as the largest count")
    y = np.asarray(y)
    starts = range(0, len(y), batch_size)
    batches = [model.features(x[start:start + batch_size], layer) for start in starts]

    def accuracy(net):
        correct = 0
        for start, a in zip(starts, batches):
            for W, b in zip(net.weights[layer:net.n_conv], net.biases[layer:net.n_conv]):
                a = np.maximum(max_pool2d(conv2d(a, W, b), net.pool), 0)
            a = a.reshape(len(a), -1)
            for i in range(net.n_conv, len(net.weights)):
                a = a @ net.weights[i] + net.biases[i]
                if i < len(net.weights) - 1:
                    a = np.maximum(a, 0)
            correct += int(np.sum(a.argmax(axis=1) == y[start:start + batch_size]))
        return correct / len(y)

    unpruned = accuracy(model) if 0 in counts else None
    return np.array([[accuracy(model.without_filters(layer, order[:k])) if k else unpruned for k in counts]
                     for order in orders])
