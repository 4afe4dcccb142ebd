"""Per-layer statistics of a network on a batch: how healthy is the signal, layer by layer?

For each layer: mean and std of the pre-activations z and of the activations a = f(z), the fraction
of dead ReLU units, the fraction of saturated tanh/sigmoid values, and (after a backward pass) the
std of the weight gradient. Chapter 01 uses these to compare initializers; chapter 02 to watch training.

Definitions:
    dead ReLU unit:  a unit whose output is exactly 0 for every example of the batch. Its gradient is
                     0 for all of them, so gradient descent cannot revive it on this data.
    saturated value: tanh with |a| > 0.99 (SATURATION_THRESHOLD), sigmoid with a < 0.01 or a > 0.99.
                     There f'(z) is below 2% of its maximum (tanh: 1 - a^2 < 0.02; sigmoid:
                     a(1 - a) < 0.0099, 4% of 0.25), so almost no gradient passes. The fraction is
                     over all (example, unit) values of the layer.
"""

from dataclasses import dataclass, replace

import numpy as np

from ._checks import choose
from .nn import ACTIVATIONS, MLP, softmax_cross_entropy

__all__ = ["SATURATION_THRESHOLD", "LayerStats", "propagate", "activation_statistics",
           "layer_statistics", "format_table"]

SATURATION_THRESHOLD = 0.99  # tanh: |a| > 0.99
SIGMOID_SATURATION = (0.01, 0.99)  # sigmoid: a < 0.01 or a > 0.99 (written out: 1 - 0.99 is not 0.01 in floats)


@dataclass(frozen=True)
class LayerStats:
    """Statistics of one layer on one batch. ``None`` means "does not apply" (e.g. dead tanh units)."""

    layer: int  # 1 = first layer
    pre_mean: float
    pre_std: float
    act_mean: float
    act_std: float
    dead_fraction: float | None = None  # ReLU only
    saturated_fraction: float | None = None  # tanh and sigmoid only
    grad_std: float | None = None  # std of dL/dW, only when labels were given


def dead_fraction(a):
    """Fraction of units (columns of ``a``) that output 0 for every example (row)."""
    return float(np.all(a == 0, axis=0).mean())


def saturated_fraction(a, activation):
    """Fraction of values of ``a`` in the saturated zone of tanh or sigmoid (see the module doc)."""
    choose(activation, "activation", ("tanh", "sigmoid"))
    if activation == "tanh":
        return float((np.abs(a) > SATURATION_THRESHOLD).mean())
    low, high = SIGMOID_SATURATION
    return float(((a < low) | (a > high)).mean())


def propagate(x, weights, activation, biases=None):
    """Forward ``x`` through ``a = f(a @ W + b)`` for every W (f on every layer, no output layer).

    Returns ``(pre_activations, activations)``, one array per layer. A pure function: the init
    explorer and the chapter 01 tables are built on it.
    """
    f, _ = ACTIVATIONS[choose(activation, "activation", ACTIVATIONS)]
    if biases is not None and len(biases) != len(weights):
        raise ValueError(f"biases must have one entry per weight, got {len(biases)} for {len(weights)}")
    a = x
    pre_activations, activations = [], []
    with np.errstate(over="ignore", invalid="ignore"):  # huge scales may overflow: reported, not raised
        for i, W in enumerate(weights):
            if a.shape[-1] != W.shape[0]:
                raise ValueError(f"layer {i + 1}: input has {a.shape[-1]} features but W has shape {W.shape}")
            z = a @ W if biases is None else a @ W + biases[i]
            a = f(z)
            pre_activations.append(z)
            activations.append(a)
    return pre_activations, activations


def activation_statistics(pre_activations, activations, activation):
    """LayerStats (without gradients) for every layer, from the output of ``propagate``."""
    stats = []
    with np.errstate(over="ignore", invalid="ignore"):
        for i, (z, a) in enumerate(zip(pre_activations, activations)):
            stats.append(
                LayerStats(
                    layer=i + 1,
                    pre_mean=float(z.mean()),
                    pre_std=float(z.std()),
                    act_mean=float(a.mean()),
                    act_std=float(a.std()),
                    dead_fraction=dead_fraction(a) if activation == "relu" else None,
                    saturated_fraction=saturated_fraction(a, activation) if activation in ("tanh", "sigmoid") else None,
                )
            )
    return stats


def layer_statistics(model, x, y=None):
    """Statistics of every layer of ``model`` (an ``MLP``) on the batch ``x``.

    The last layer's "activations" are the logits. With integer labels ``y``, also runs
    ``softmax_cross_entropy`` and ``model.backward`` and reports each layer's weight-gradient std.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a course_lib.nn.MLP, got {type(model).__name__}")
    logits = model.forward(x)
    zs = model.pre_activations
    activations = model.layer_inputs[1:] + [logits]
    stats = activation_statistics(zs, activations, model.activation)
    # The output layer has no nonlinearity: dead/saturated do not apply to it.
    stats[-1] = replace(stats[-1], dead_fraction=None, saturated_fraction=None)
    if y is not None:
        _, dlogits = softmax_cross_entropy(logits, y)
        grads = model.backward(dlogits)
        stats = [replace(s, grad_std=float(dW.std())) for s, dW in zip(stats, grads[0::2])]
    return stats


def format_table(stats, digits=3):
    """The statistics as a fixed-width text table, numbers rounded to ``digits`` significant digits."""
    columns = ["layer", "pre_mean", "pre_std", "act_mean", "act_std", "dead_fraction",
               "saturated_fraction", "grad_std"]
    present = [c for c in columns if any(getattr(s, c) is not None for s in stats)]

    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, int):
            return str(value)
        return f"{value:.{digits}g}"

    rows = [[cell(getattr(s, c)) for c in present] for s in stats]
    widths = [max(len(c), *(len(r[j]) for r in rows)) for j, c in enumerate(present)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(present, widths))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)
