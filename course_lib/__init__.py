"""course_lib: the implementations behind the course on weights and biases in neural networks.

Modules: ``init`` (initializers), ``nn`` (MLP, activations, softmax cross-entropy), ``diagnostics`` (per-layer
statistics), ``gradcheck``, ``optim`` (SGD, RMSprop, Adam, AdamW), ``train`` (``train_step`` and the mini-batch
loop), ``clip``, ``schedules``, ``convergence`` (quadratics, chapter 04), ``regularization``, ``pruning``,
``quantization``, ``weightnorm``, ``conv`` (conv2d and max pooling as im2col), ``cnn`` (a small CNN), ``checkpoint``
(save and resume training), ``averaging`` (weight averaging), ``data`` (synthetic data sets, MNIST, the validation
split), ``mnist_tools`` (confusion matrix, image grids), ``transfer`` (freezing and reusing layers), ``autoencoder``
(tied weights), ``importance`` (permutation importance), ``progress`` (a one-line progress display),
``still_widgets`` (saved explorers as still pictures), ``ipython_hints`` (a NameError's hint); three packages with a
module per chapter: ``experiments`` (the numbers behind the explorers, numpy only), ``widgets`` (the interactive
explorers, ipywidgets and matplotlib) and ``exercises`` (checkers).
Numerics use numpy only. Weights have shape ``(fan_in, fan_out)``; a layer computes ``x @ W + b``.
"""

import inspect

__version__ = "0.1.0"
__all__ = ["show_source"]


def show_source(obj):
    """Print the source code of a course_lib function or class, so notebooks show the real code
    instead of a copy that could drift from it."""
    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError):
        raise TypeError(f"show_source needs a function, class or module defined in Python, got {obj!r}") from None
    name = f"{obj.__module__}.{obj.__qualname__}" if hasattr(obj, "__qualname__") else obj.__name__
    print(f"# {name}\n{source}", end="" if source.endswith("\n") else "\n")
