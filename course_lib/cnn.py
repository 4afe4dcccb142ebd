"""A small convolutional network in numpy, with the MLP's interface (``params``, ``forward``, ``backward``,
``predict``), so that the optimizers of ``course_lib.optim`` and ``course_lib.train.train`` train it unchanged.

    x (N, 1, 28, 28)
    conv 5x5, C1 filters   -> (N, C1, 24, 24)   z1 = conv2d(x, W1, b1)
    max pool 2, ReLU       -> (N, C1, 12, 12)   a1 = relu(max_pool2d(z1, 2))
    conv 5x5, C2 filters   -> (N, C2, 8, 8)     z2 = conv2d(a1, W2, b2)
    max pool 2, ReLU       -> (N, C2, 4, 4)     a2 = relu(max_pool2d(z2, 2))
    flatten, dense         -> (N, 10)           logits = a2.reshape(N, -1) @ W3 + b3   (W3: (C2*16, 10))

The layout of LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document
recognition", Sec. II.B), with max pooling and ReLU in place of its subsampling and tanh. ``hidden=[h]`` puts a
dense ReLU layer of h units between the flattened features and the logits.

Pooling comes *before* the ReLU: max pooling and ReLU commute, ``max(relu(a), relu(b)) = relu(max(a, b))``
(ReLU is non-decreasing), so the output is the same as conv -> ReLU -> pool, and the ReLU runs on 4x fewer
numbers. The gradients are the same too (wherever the window's maximum is not exactly 0).

Layout: the conv blocks work on activations with the batch last, ``(C, H, W, N)`` (``course_lib.conv``'s
``layout="CHWN"``, cuda-convnet's), which makes numpy's copies in im2col, col2im and pooling run along rows of
128 images instead of rows of 8-24 pixels (a process that loads MNIST and trains one epoch takes about 0.7 of
the time it takes in NCHW: ``course_lib.conv``'s docstring).
``forward`` takes and ``features`` returns PyTorch's (N, C, H, W), and the flattened features
keep its (c, h, w) order, so the weights and every output are those of the same network in NCHW (up to rounding).

Weights: conv weights keep PyTorch's layout ``(C_out, C_in, kH, kW)``; dense weights the course's
``(fan_in, fan_out)``. ``course_lib.init`` computes the fans of both (fan_in = C_in*kH*kW for a conv).
"""

import numpy as np

from ._checks import as_dtype, as_float, as_int, as_rng
from .conv import conv2d, conv2d_backward, conv_output_size, max_pool2d, max_pool2d_backward
from .init import get_initializer
from .nn import _all_finite

__all__ = ["CNN"]


def to_batch_last(x):
    """(N, C, H, W) -> (C, H, W, N), contiguous: the layout the conv blocks work in."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0))


class CNN:
    """conv -> pool -> ReLU -> conv -> pool -> ReLU -> (dense -> ReLU ...) -> dense, for images (N, C, H, W).

    Arguments:
        channels: the filters of each conv layer, e.g. (8, 16).
        kernel_size: the side of every (square) conv kernel, 5.
        pool: the side and stride of every max pooling window, 2.
        hidden: widths of dense ReLU layers after the flattened features, e.g. () or (64,).
        num_classes: the number of logits, 10.
        input_shape: (C, H, W) of one image, (1, 28, 28) for MNIST. ``forward`` also takes images flattened to
            (N, C*H*W), as ``load_mnist`` gives them.
        init: an initializer of ``course_lib.init`` (name or callable), used for every weight, conv and dense:
            ``"kaiming_normal"`` draws each with std sqrt(2 / fan_in), fan_in = C_in*kH*kW for a conv.
        bias_init, rng, dtype: as ``MLP``: every bias starts at ``bias_init``; ``rng`` seeds the weights.

    ``params`` is ``[W1, b1, W2, b2, ...]``: conv weights (C_out, C_in, k, k) and biases (C_out,) first, then
    dense weights (fan_in, fan_out) and biases. ``backward(dlogits)`` returns the gradients in that order, after
    a ``forward`` on the batch (new arrays at each call).
    """

    def __init__(self, channels=(8, 16), kernel_size=5, pool=2, hidden=(), num_classes=10, input_shape=(1, 28, 28),
                 init="kaiming_normal", bias_init=0.0, rng=None, dtype="float32"):
        self.channels = [as_int(c, f"channels[{i}]", low=1) for i, c in enumerate(channels)]
        if not self.channels:
            raise ValueError("channels must list at least one conv layer, e.g. (8, 16)")
        self.kernel_size = as_int(kernel_size, "kernel_size", low=1)
        self.pool = as_int(pool, "pool", low=1)
        self.hidden = [as_int(h, f"hidden[{i}]", low=1) for i, h in enumerate(hidden)]
        self.num_classes = as_int(num_classes, "num_classes", low=1)
        if len(tuple(input_shape)) != 3:
            raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
        self.input_shape = tuple(as_int(d, "input_shape", low=1) for d in input_shape)
        self.dtype = as_dtype(dtype)
        self.feature_shape = self._feature_shape()  # (C, H, W) after the last pooling
        initializer, rng = get_initializer(init), as_rng(rng)
        bias_value = as_float(bias_init, "bias_init")
        shapes = [(c_out, c_in, self.kernel_size, self.kernel_size)
                  for c_in, c_out in zip([self.input_shape[0]] + self.channels[:-1], self.channels)]
        widths = [int(np.prod(self.feature_shape))] + self.hidden + [self.num_classes]
        shapes += list(zip(widths[:-1], widths[1:]))
        self.params = []
        for shape in shapes:
            W = np.array(initializer(shape, rng=rng), dtype=self.dtype)
            if W.shape != shape:
                raise ValueError(f"init returned shape {W.shape}, expected {shape}")
            n_out = shape[0] if len(shape) == 4 else shape[1]
            self.params += [W, np.full(n_out, bias_value, dtype=self.dtype)]
        self._cache = None

    def _feature_shape(self):
        """(C, H, W) of the last conv block's output; raises if an image is too small for the layers."""
        _, H, W = self.input_shape
        for i in range(len(self.channels)):
            for what, k, s in (("conv", self.kernel_size, 1), ("pool", self.pool, self.pool)):
                if k > min(H, W):
                    raise ValueError(f"input_shape {self.input_shape} is too small: the {what} of block {i + 1} "
                                     f"needs at least {k}x{k}, it gets {H}x{W}")
                H, W = conv_output_size(H, k, s), conv_output_size(W, k, s)
        return self.channels[-1], H, W

    @property
    def n_conv(self):
        """The number of conv layers."""
        return len(self.channels)

    @property
    def weights(self):
        """The weight arrays ``[W1, W2, ...]``: conv filters first, then dense matrices (the arrays of ``params``)."""
        return self.params[0::2]

    @property
    def biases(self):
        """The bias vectors ``[b1, b2, ...]`` (the arrays of ``params``)."""
        return self.params[1::2]

    def __repr__(self):
        return (f"CNN(channels={self.channels}, kernel_size={self.kernel_size}, pool={self.pool}, "
                f"hidden={self.hidden}, num_classes={self.num_classes}, input_shape={self.input_shape}, "
                f"dtype={self.dtype.name!r})")

    def copy(self):
        """A new CNN with copies of this one's parameters."""
        twin = CNN(self.channels, self.kernel_size, self.pool, self.hidden, self.num_classes, self.input_shape,
                   init="zeros", dtype=self.dtype)
        twin.params = [p.copy() for p in self.params]
        return twin

    def filter_norms(self, layer):
        """The L1 norm ``sum |W[o]|`` of each filter of conv layer ``layer`` (0 = the first): the ranking of
        Li, Kadav, Durdanovic, Samet & Graf 2017, "Pruning Filters for Efficient ConvNets", Sec. 3.1."""
        layer = as_int(layer, "layer", 0, self.n_conv - 1)
        W = self.weights[layer]
        return np.abs(W).reshape(len(W), -1).sum(axis=1)

    def without_filters(self, layer, filters):
        """A new, smaller CNN: conv layer ``layer`` without the output channels ``filters`` (structured pruning).

        Removing filter o of a conv layer removes its weights W[o] and bias b[o], the channel o of its output, and
        so everything that read that channel: the input channel o of the next conv's W[:, o], or, after the last
        conv, the rows of the dense W for that channel's features (flattened index o*H*W + h*W + w). Every other
        weight is copied unchanged. The shapes shrink, so the pruned network does less work (chapter 07's
        structured pruning, for filters; Li et al. 2017, Sec. 3 and Fig. 1: a pruned filter takes its
        feature map, and the next layer's kernels that read it, with it).
        """
        layer = as_int(layer, "layer", 0, self.n_conv - 1)
        n_filters = self.channels[layer]
        drop = np.unique(np.asarray(filters, dtype=np.intp).ravel())
        if drop.size and (drop.min() < 0 or drop.max() >= n_filters):
            raise ValueError(f"filters must be indices in [0, {n_filters}) of layer {layer}'s filters, got {filters!r}")
        if drop.size >= n_filters:
            raise ValueError(f"filters would remove all {n_filters} filters of layer {layer}; keep at least one")
        keep = np.setdiff1d(np.arange(n_filters), drop)
        channels = list(self.channels)
        channels[layer] = len(keep)
        pruned = CNN(channels, self.kernel_size, self.pool, self.hidden, self.num_classes, self.input_shape,
                     init="zeros", dtype=self.dtype)
        params = [p.copy() for p in self.params]
        params[2 * layer], params[2 * layer + 1] = params[2 * layer][keep], params[2 * layer + 1][keep]
        if layer + 1 < self.n_conv:  # the next conv reads these channels
            params[2 * layer + 2] = params[2 * layer + 2][:, keep]
        else:  # the first dense layer reads their flattened features
            _, H, W = self.feature_shape
            rows = (keep[:, None] * H * W + np.arange(H * W)).ravel()
            params[2 * layer + 2] = params[2 * layer + 2][rows]
        pruned.params = [np.ascontiguousarray(p) for p in params]
        return pruned

    def check_input(self, x):
        """``x`` as a float array (N, C, H, W) of the network's dtype; images flattened to (N, C*H*W) are reshaped."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"x must be a numpy array, got {type(x).__name__}")
        if x.dtype.kind not in "biuf":
            raise TypeError(f"x must hold real numbers, got dtype {x.dtype}")
        flat = int(np.prod(self.input_shape))
        if x.ndim == 2 and x.shape[1] == flat:
            x = x.reshape(len(x), *self.input_shape)
        if x.shape[1:] != self.input_shape:
            raise ValueError(f"x must have shape (batch, {', '.join(map(str, self.input_shape))}) or (batch, {flat}), "
                             f"got {x.shape}")
        if x.dtype.kind == "f" and not _all_finite(x):
            raise ValueError("x contains nan or inf")
        return x.astype(self.dtype, copy=False)

    def features(self, x, n_blocks=None):
        """The activation after the first ``n_blocks`` conv blocks (conv, pool, ReLU), default all of them:
        the feature maps (N, C, H, W) of a batch, nothing kept. ``features(x, 1)`` shows what the first filters see."""
        n_blocks = self.n_conv if n_blocks is None else as_int(n_blocks, "n_blocks", 0, self.n_conv)
        a = to_batch_last(self.check_input(x))
        for W, b in zip(self.weights[:n_blocks], self.biases[:n_blocks]):
            a = np.maximum(max_pool2d(conv2d(a, W, b, layout="CHWN"), self.pool, layout="CHWN"), 0)
        return np.ascontiguousarray(a.transpose(3, 0, 1, 2))  # (N, C, H, W)

    def forward(self, x):
        """Logits (N, num_classes) for the batch ``x``; keeps what ``backward`` needs."""
        a = to_batch_last(self.check_input(x))  # (C, H, W, N)
        blocks = []  # per conv block: its input, im2col's columns, the conv output, the pooling indices, the pooled
        for W, b in zip(self.weights[:self.n_conv], self.biases[:self.n_conv]):
            z, cols = conv2d(a, W, b, return_cols=True, layout="CHWN")
            pooled, indices = max_pool2d(z, self.pool, return_indices=True, layout="CHWN")
            blocks.append((a, cols, z, indices, pooled))
            a = np.maximum(pooled, 0)
        a = a.transpose(3, 0, 1, 2).reshape(a.shape[3], -1)  # (N, C*H*W): each image's features in (c, h, w) order
        dense_inputs = []
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights[self.n_conv:], self.biases[self.n_conv:]), start=self.n_conv):
            dense_inputs.append(a)
            a = a @ W + b
            if i < last:
                a = np.maximum(a, 0)
        self._cache = (blocks, dense_inputs)
        return a

    def backward(self, dlogits):
        """Gradients ``[dW1, db1, dW2, db2, ...]`` of the loss given ``dlogits = dL/dlogits`` (after ``forward``).

        Dense layers as ``MLP.backward``; each conv block backwards: ReLU (dz = da * (pooled > 0)), pooling
        (``max_pool2d_backward``), convolution (``conv2d_backward``, which gives dW, db and the input's gradient).
        """
        if self._cache is None:
            raise RuntimeError("call forward(x) before backward()")
        blocks, dense_inputs = self._cache
        expected = (len(dense_inputs[0]), self.num_classes)
        if not isinstance(dlogits, np.ndarray) or dlogits.shape != expected:
            got = dlogits.shape if isinstance(dlogits, np.ndarray) else type(dlogits).__name__
            raise ValueError(f"dlogits must have the logits' shape {expected}, got {got}")
        grads = [None] * len(self.params)
        dz = dlogits.astype(self.dtype, copy=False)
        for i in reversed(range(self.n_conv, len(self.weights))):
            a = dense_inputs[i - self.n_conv]
            grads[2 * i], grads[2 * i + 1] = a.T @ dz, dz.sum(axis=0)
            da = dz @ self.weights[i].T
            dz = da * (a > 0) if i > self.n_conv else da  # a dense input after a ReLU, or the flattened features
        da = to_batch_last(dz.reshape(len(dz), *self.feature_shape))  # (C, H, W, N), as the conv blocks
        for i in reversed(range(self.n_conv)):
            a_in, cols, z, indices, pooled = blocks[i]
            dpooled = da * (pooled > 0)  # through the ReLU
            dz = max_pool2d_backward(dpooled, z, self.pool, indices=indices, layout="CHWN")
            da, grads[2 * i], grads[2 * i + 1] = conv2d_backward(dz, a_in, self.weights[i], cols=cols,
                                                                 input_grad=i > 0, layout="CHWN")
        return grads

    def predict(self, x, batch_size=1000):
        """Predicted class labels: the argmax of the logits (in batches of ``batch_size``, nothing kept)."""
        x = self.check_input(x)
        labels = [self.logits(x[start:start + batch_size]).argmax(axis=1) for start in range(0, len(x), batch_size)]
        return np.concatenate(labels) if labels else np.zeros(0, dtype=np.intp)

    def logits(self, x):
        """The logits of ``x``, without keeping anything for ``backward``."""
        a = self.features(x).reshape(len(x), -1)
        last = len(self.weights) - 1
        for i, (W, b) in enumerate(zip(self.weights[self.n_conv:], self.biases[self.n_conv:]), start=self.n_conv):
            a = a @ W + b
            if i < last:
                a = np.maximum(a, 0)
        return a
