"""2-D convolution and max pooling in numpy, with PyTorch's layouts and meaning.

Layouts (as ``torch.nn.functional``): a batch of images ``x`` has shape ``(N, C_in, H, W)`` (batch, channels,
height, width); a convolution's weights ``W`` have shape ``(C_out, C_in, kH, kW)``, one filter of ``C_in`` channels
per output channel, and its bias ``b`` has shape ``(C_out,)``. (A dense layer of this course stores
``(fan_in, fan_out)``; conv weights keep PyTorch's ``(out, in, ...)`` order, as ``course_lib.init`` explains.)

What ``conv2d`` computes is a cross-correlation, as ``torch.nn.functional.conv2d`` (the kernel is *not* flipped):

    y[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] * xp[n, c, i*s + u, j*s + v]

where ``xp`` is ``x`` with ``p`` zeros added on each side of H and W, and the output has

    H_out = floor((H + 2p - kH) / s) + 1          W_out = floor((W + 2p - kW) / s) + 1.

How: im2col, then one matrix product (Chellapilla, Puri & Simard 2006, "High Performance Convolutional Neural
Networks for Document Processing", Sec. 3; CS231n notes "Convolutional Networks", "Implementation as Matrix
Multiplication"). ``im2col`` copies every receptive field ``xp[n, :, i*s:i*s+kH, j*s:j*s+kW]`` into one column of
a matrix ``cols`` of shape ``(C_in*kH*kW, N*H_out*W_out)``; the filters, flattened to rows, form
``W.reshape(C_out, C_in*kH*kW)``; then ``W_rows @ cols`` is every output at once. The backward pass is two more
matrix products and ``col2im``, which adds each column's gradient back onto the pixels it was copied from.

``cols`` holds a patch per *column* (Caffe's layout), so the product is ``(C_out, K) @ (K, N*P)``: with few output
channels, OpenBLAS is much faster on this orientation than on ``(N*P, K) @ (K, C_out)`` (measured on the course's
machine for a first layer of 8 filters and a batch of 128 images: 3 ms against 35 ms).

**Two layouts of the activations.** Every function takes ``layout="NCHW"`` (the default, PyTorch's) or
``layout="CHWN"``: the same numbers with the batch as the *last* axis, ``(C, H, W, N)``, the layout of
Krizhevsky's cuda-convnet ("images: (numImgColors, imgSizeY, imgSizeX, numImages)"). The formulas do not change;
only the order of ``cols``' columns does, ``(n, i, j)`` for NCHW and ``(i, j, n)`` for CHWN. Why a second layout:
numpy's elementwise loops run fastest along long contiguous rows, and in NCHW the innermost row of every copy that
im2col, col2im and pooling make is one image row (8-24 numbers for MNIST), in CHWN it is the whole batch (128).
``course_lib.cnn`` trains in CHWN: a process that loads MNIST and trains one epoch of chapter 10's network took
about 0.7 of the time it took in NCHW (0.67 and 0.71: two measurements on the course's 2-core machine, each the
median of 5 pairs); the matrix products are the same in both, the copies around them are faster. Weights keep
PyTorch's ``(C_out, C_in, kH, kW)`` in both.

Max pooling takes the largest value of each ``kernel_size`` window (no padding, ``stride`` defaults to the
kernel size, as ``torch.nn.functional.max_pool2d``); its gradient goes to the position of that maximum.
"""

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .nn import _all_finite

__all__ = ["conv2d", "conv2d_backward", "conv_output_size", "im2col", "col2im", "max_pool2d",
           "max_pool2d_backward"]


# --------------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------------


def _pair(value, name, low):
    """``value`` as ``(vertical, horizontal)`` ints >= ``low``: an int ``k`` means ``(k, k)``, as in PyTorch."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    expected = f"an int >= {low} or a pair of them"
    if len(pair) != 2:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be {expected}, got {value!r}")
        if v < low:
            raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _float_array(a, name, ndim, layout):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"{name} must be a float array, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, {layout}, got shape {a.shape}")
    return a


LAYOUTS = ("NCHW", "CHWN")


def _check_layout(layout):
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be 'NCHW' (batch, channels, height, width) or 'CHWN' (the batch last), "
                         f"got {layout!r}")
    return layout


def _axes(channels, layout):
    """How an activation's axes are named in ``layout``: ``(N, C, H, W)`` or ``(C, H, W, N)``."""
    return f"(N, {channels}, H, W)" if layout == "NCHW" else f"({channels}, H, W, N)"


def _nchw(shape, layout):
    """``(N, C, H, W)`` of an activation of ``shape`` in ``layout``."""
    return tuple(shape) if layout == "NCHW" else (shape[3], shape[0], shape[1], shape[2])


def _at(a, rows, cols, layout):
    """The view ``a[n, c, rows, cols]`` for every n and c: the slices ``rows`` and ``cols`` of the H and W axes."""
    return a[:, :, rows, cols] if layout == "NCHW" else a[:, rows, cols]


def conv_output_size(size, kernel, stride=1, padding=0):
    """``floor((size + 2*padding - kernel) / stride) + 1``: the output length of a convolution or pooling along
    one axis (PyTorch's ``Conv2d`` documentation, "Shape"). Raises if the kernel is larger than the padded input."""
    if kernel > size + 2 * padding:
        raise ValueError(f"the kernel ({kernel}) is larger than the padded input ({size} + 2*{padding})")
    return (size + 2 * padding - kernel) // stride + 1


def _check_conv(x, W, b, stride, padding, layout):
    """The checked arguments of a convolution: ``(stride, padding, (H_out, W_out))``."""
    _float_array(x, "x", 4, _axes("C_in", _check_layout(layout)))
    _float_array(W, "W", 4, "(C_out, C_in, kH, kW)")
    _, C_in, H, Wd = _nchw(x.shape, layout)
    if W.shape[1] != C_in:
        raise ValueError(f"x has {C_in} channels but W expects {W.shape[1]}: W must have shape "
                         f"(C_out, C_in={C_in}, kH, kW), got {W.shape}")
    if b is not None:
        if not isinstance(b, np.ndarray):
            raise TypeError(f"b must be a numpy array or None, got {type(b).__name__}")
        if b.shape != (W.shape[0],):
            raise ValueError(f"b must have shape (C_out,) = ({W.shape[0]},), got {b.shape}")
    stride, padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    kH, kW = W.shape[2:]
    if kH > H + 2 * padding[0] or kW > Wd + 2 * padding[1]:
        raise ValueError(f"the kernel ({kH}x{kW}) is larger than the padded input "
                         f"({H + 2 * padding[0]}x{Wd + 2 * padding[1]}: {H}x{Wd} with padding {padding})")
    out = (conv_output_size(H, kH, stride[0], padding[0]), conv_output_size(Wd, kW, stride[1], padding[1]))
    return stride, padding, out


# --------------------------------------------------------------------------------------------------
# im2col and col2im
# --------------------------------------------------------------------------------------------------


def _pad(x, padding, layout):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    spatial = ((ph, ph), (pw, pw))
    return np.pad(x, ((0, 0), (0, 0)) + spatial if layout == "NCHW" else ((0, 0),) + spatial + ((0, 0),))


def im2col(x, kernel_size, stride=1, padding=0, *, layout="NCHW"):
    """The receptive fields of ``x`` (N, C, H, W) as the columns of a matrix of shape ``(C*kH*kW, N*H_out*W_out)``.

    Column ``(n, i, j)`` (in that order, row-major) holds ``xp[n, :, i*sH:i*sH+kH, j*sW:j*sW+kW]`` flattened in the
    order ``(c, u, v)``, the order of ``W.reshape(C_out, -1)``'s rows, so that ``W.reshape(C_out, -1) @ cols`` is
    the convolution (Chellapilla et al. 2006, Sec. 3). ``xp`` is ``x`` zero-padded by ``padding``. With
    ``layout="CHWN"``, ``x`` is (C, H, W, N) and the columns come in the order ``(i, j, n)``.

    ``sliding_window_view`` gives every window as a view, without copying (shape (N, C, H', W', kH, kW));
    slicing it by the stride keeps the windows the convolution uses; the one copy is the reshape to 2-D.
    """
    kH, kW = _pair(kernel_size, "kernel_size", 1)
    (sH, sW), padding = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    _float_array(x, "x", 4, _axes("C", _check_layout(layout)))
    C = _nchw(x.shape, layout)[1]
    xp = _pad(x, padding, layout)
    if layout == "NCHW":  # windows (N, C, H_out, W_out, kH, kW) -> rows (c, u, v), columns (n, i, j)
        windows = sliding_window_view(xp, (kH, kW), axis=(2, 3))[:, :, ::sH, ::sW].transpose(1, 4, 5, 0, 2, 3)
    else:  # windows (C, H_out, W_out, N, kH, kW) -> rows (c, u, v), columns (i, j, n)
        windows = sliding_window_view(xp, (kH, kW), axis=(1, 2))[:, ::sH, ::sW].transpose(0, 4, 5, 1, 2, 3)
    return windows.reshape(C * kH * kW, -1)


def col2im(cols, x_shape, kernel_size, stride=1, padding=0, *, layout="NCHW"):
    """The adjoint of ``im2col``: add each column back onto the pixels of ``x`` (shape ``x_shape``) it came from.

    A pixel that lies in several receptive fields (overlapping windows) receives the sum of their entries, which
    is what the chain rule asks of the gradient: ``dx = col2im(dcols)`` when ``cols = im2col(x)``. The sum is taken
    with one strided addition per kernel offset ``(u, v)``, kH*kW of them; the padding is cut off at the end.
    """
    kH, kW = _pair(kernel_size, "kernel_size", 1)
    (sH, sW), (pH, pW) = _pair(stride, "stride", 1), _pair(padding, "padding", 0)
    N, C, H, Wd = _nchw(x_shape, _check_layout(layout))
    H_out, W_out = conv_output_size(H, kH, sH, pH), conv_output_size(Wd, kW, sW, pW)
    if cols.shape != (C * kH * kW, N * H_out * W_out):
        raise ValueError(f"cols must have shape (C*kH*kW, N*H_out*W_out) = {(C * kH * kW, N * H_out * W_out)}, "
                         f"got {cols.shape}")
    Hp, Wp = H + 2 * pH, Wd + 2 * pW
    if layout == "NCHW":  # channels first, like the rows of cols: (C, N, Hp, Wp)
        patches, dxp = cols.reshape(C, kH, kW, N, H_out, W_out), np.zeros((C, N, Hp, Wp), dtype=cols.dtype)
    else:
        patches, dxp = cols.reshape(C, kH, kW, H_out, W_out, N), np.zeros((C, Hp, Wp, N), dtype=cols.dtype)
    for u in range(kH):
        for v in range(kW):
            receptive = _at(dxp, slice(u, u + sH * H_out, sH), slice(v, v + sW * W_out, sW), layout)
            receptive += patches[:, u, v]  # a view of dxp: adding to it adds to dxp
    dx = _at(dxp, slice(pH, pH + H), slice(pW, pW + Wd), layout)
    return dx.transpose(1, 0, 2, 3) if layout == "NCHW" else dx


# --------------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------------


def conv2d(x, W, b=None, stride=1, padding=0, *, return_cols=False, layout="NCHW"):
    """Cross-correlation of ``x`` (N, C_in, H, W) with the filters ``W`` (C_out, C_in, kH, kW), plus ``b`` (C_out,).

        y[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] * xp[n, c, i*s + u, j*s + v]

    as ``torch.nn.functional.conv2d(x, W, b, stride, padding)``: the kernel is not flipped (a true convolution
    would use ``W[o, c, kH-1-u, kW-1-v]``). Output shape (N, C_out, H_out, W_out) with
    ``H_out = floor((H + 2p - kH)/s) + 1`` (likewise W_out). ``stride`` >= 1 and ``padding`` >= 0 are ints or
    (vertical, horizontal) pairs.

    Computed as im2col and one matrix product (Chellapilla et al. 2006):

        cols = im2col(x)                                  (C_in*kH*kW, N*H_out*W_out)
        y    = W.reshape(C_out, -1) @ cols + b[:, None]   (C_out, N*H_out*W_out), then reordered to NCHW

    ``return_cols=True`` returns ``(y, cols)``: ``conv2d_backward(..., cols=cols)`` reuses them instead of
    copying ``x`` into columns again (as ``max_pool2d``'s ``return_indices``). ``layout="CHWN"``: ``x`` is
    (C_in, H, W, N) and ``y`` (C_out, H_out, W_out, N), the batch last (see the module's docstring).
    """
    stride, padding, (H_out, W_out) = _check_conv(x, W, b, stride, padding, layout)
    C_out, N = W.shape[0], _nchw(x.shape, layout)[0]
    cols = im2col(x, W.shape[2:], stride, padding, layout=layout)
    y = W.reshape(C_out, -1) @ cols  # the one matrix product
    if b is not None:
        y += b[:, None]
    if layout == "NCHW":
        y = np.ascontiguousarray(y.reshape(C_out, N, H_out, W_out).transpose(1, 0, 2, 3))
    else:  # the columns are already in the order (i, j, n)
        y = y.reshape(C_out, H_out, W_out, N)
    return (y, cols) if return_cols else y


def conv2d_backward(dy, x, W, stride=1, padding=0, *, cols=None, input_grad=True, layout="NCHW"):
    """Gradients ``(dx, dW, db)`` of a loss L through ``y = conv2d(x, W, b, stride, padding)``, given ``dy = dL/dy``.

    With ``cols = im2col(x)`` and ``dY = dy`` reordered to (C_out, N*H_out*W_out), the forward pass was
    ``Y = W_rows @ cols + b``, a matrix product, so its gradients are those of a dense layer (chapter 00's
    dW = a.T @ dz, da = dz @ W.T, written for this orientation; CS231n notes "Convolutional Networks",
    "Implementation as Matrix Multiplication"):

        dW = (dY @ cols.T).reshape(W.shape)      db = dY.sum over batch and positions
        dcols = W_rows.T @ dY                    dx = col2im(dcols)

    ``cols``: the columns ``conv2d(..., return_cols=True)`` returned (made again from ``x`` when None), in the same
    layout (the other layout's columns have the same shape but another order, which would give a wrong dW).
    ``input_grad=False`` skips dx (returned as None): a network's first layer needs no gradient for its input.
    ``layout``: as ``conv2d``'s; ``dy`` and ``dx`` are in the same layout as ``x``.
    """
    stride, padding, (H_out, W_out) = _check_conv(x, W, None, stride, padding, layout)
    N, C_out = _nchw(x.shape, layout)[0], W.shape[0]
    if layout == "NCHW":
        out_names, out_shape = "(N, C_out, H_out, W_out)", (N, C_out, H_out, W_out)
    else:
        out_names, out_shape = "(C_out, H_out, W_out, N)", (C_out, H_out, W_out, N)
    _float_array(dy, "dy", 4, out_names)
    if dy.shape != out_shape:
        raise ValueError(f"dy must have the output's shape {out_names} = {out_shape}, got {dy.shape}")
    if cols is None:
        cols = im2col(x, W.shape[2:], stride, padding, layout=layout)
    elif not isinstance(cols, np.ndarray) or cols.shape != (W[0].size, N * H_out * W_out):
        raise ValueError(f"cols must be im2col(x, ...) of shape {(W[0].size, N * H_out * W_out)}, "
                         f"got {getattr(cols, 'shape', type(cols).__name__)}")
    if layout == "NCHW":
        dY = dy.transpose(1, 0, 2, 3).reshape(C_out, -1)  # (C_out, N*H_out*W_out), a copy
    else:
        dY = dy.reshape(C_out, -1)  # (C_out, H_out*W_out*N), the order of cols' columns already
    dW = (dY @ cols.T).reshape(W.shape)
    db = dY.sum(axis=1)
    if not input_grad:
        return None, dW, db
    dx = col2im(W.reshape(C_out, -1).T @ dY, x.shape, W.shape[2:], stride, padding, layout=layout)
    return dx, dW, db


# --------------------------------------------------------------------------------------------------
# Max pooling
# --------------------------------------------------------------------------------------------------


def _check_pool(x, kernel_size, stride, layout):
    _float_array(x, "x", 4, _axes("C", _check_layout(layout)))
    kernel = _pair(kernel_size, "kernel_size", 1)
    stride = kernel if stride is None else _pair(stride, "stride", 1)
    H, Wd = _nchw(x.shape, layout)[2:]
    if kernel[0] > H or kernel[1] > Wd:
        raise ValueError(f"the kernel ({kernel[0]}x{kernel[1]}) is larger than the input ({H}x{Wd})")
    return kernel, stride


def _window_slices(x, kernel, stride, layout):
    """The kH*kW strided views ``x[:, :, u::sH, v::sW]`` (``x[:, u::sH, v::sW]`` in CHWN; cut to H_out x W_out), one
    per offset (u, v) of a window, in row-major order: slice number ``u*kW + v`` holds, for every output, the entry
    (u, v) of its window."""
    (kH, kW), (sH, sW) = kernel, stride
    H, Wd = _nchw(x.shape, layout)[2:]
    H_out, W_out = conv_output_size(H, kH, sH), conv_output_size(Wd, kW, sW)
    return [_at(x, slice(u, u + sH * H_out, sH), slice(v, v + sW * W_out, sW), layout)
            for u in range(kH) for v in range(kW)]


def max_pool2d(x, kernel_size, stride=None, *, return_indices=False, layout="NCHW"):
    """The maximum of each ``kernel_size`` window of ``x`` (N, C, H, W), as ``torch.nn.functional.max_pool2d``.

        y[n, c, i, j] = max_{u < kH, v < kW} x[n, c, i*sH + u, j*sW + v]

    ``stride`` defaults to ``kernel_size`` (non-overlapping windows); no padding; output size
    ``floor((H - kH)/sH) + 1``. Computed with one strided slice per window offset (u, v), kH*kW of them, which
    numpy handles far faster than kH*kW-long windows. ``return_indices=True`` also returns, per output, which
    entry of its window was the maximum (0 .. kH*kW-1, row-major in the window; PyTorch's indices count in the
    whole H x W plane instead).

    Ties: the *first* maximum in row-major order of the window wins, as in PyTorch, whose CPU kernel scans the
    window row by row and replaces the running maximum only when ``val > maxval`` (strictly greater;
    aten/src/ATen/native/cpu/MaxPoolKernel.cpp). ``np.argmax`` returns the first maximum too. A window that holds
    nan has the maximum nan and the index of its last nan, as there (``|| isnan(val)``).

    ``layout="CHWN"``: ``x`` is (C, H, W, N) and ``y`` (C, H_out, W_out, N), the batch last.
    """
    kernel, stride = _check_pool(x, kernel_size, stride, layout)
    slices = _window_slices(x, kernel, stride, layout)
    y = slices[0].copy()
    for entry in slices[1:]:  # the maximum over the window: one elementwise maximum per offset
        np.maximum(y, entry, out=y)
    if not return_indices:
        return y
    offset = np.min_scalar_type(len(slices) - 1).type  # uint8 up to 16x16 windows: 8x less memory than intp
    indices = np.zeros(y.shape, dtype=offset)
    unclaimed = np.ones(y.shape, dtype=bool)  # the windows whose first maximum has not been met yet
    for k, entry in enumerate(slices):  # the offsets in row-major order, so that the first maximum wins
        first = (entry == y) & unclaimed
        unclaimed &= ~first
        indices += offset(k) * first  # arithmetic, not a masked assignment: several times faster in numpy
    if np.isnan(y).any():  # a window holding nan: its maximum is nan, and PyTorch (val > maxval || isnan(val)) points
        for k, entry in enumerate(slices):  # at the window's last nan
            indices[np.isnan(entry)] = k
    return y, indices


def max_pool2d_backward(dy, x, kernel_size, stride=None, *, indices=None, layout="NCHW"):
    """``dx = dL/dx`` through ``y = max_pool2d(x, kernel_size, stride)``, given ``dy = dL/dy``.

    Each output's gradient goes to the one input that was its window's maximum (the first one on a tie, as in
    PyTorch); every other input of the window gets 0 from it. With overlapping windows (stride < kernel) an input
    that is the maximum of several windows receives the sum of their gradients, as PyTorch's
    ``max_pool2d_with_indices_backward`` adds them. ``indices``: what ``max_pool2d(..., return_indices=True)``
    returned (found again from ``x`` when None). ``dy`` and ``dx`` are in ``layout``, as ``x``.
    """
    kernel, stride = _check_pool(x, kernel_size, stride, layout)
    if indices is None:
        indices = max_pool2d(x, kernel, stride, return_indices=True, layout=layout)[1]
    _float_array(dy, "dy", 4, _axes("C", layout).replace("H, W", "H_out, W_out"))
    if dy.shape != indices.shape:
        raise ValueError(f"dy must have the output's shape {indices.shape}, got {dy.shape}")
    if not _all_finite(dy):  # dy * 0 is nan for an inf: the window's other inputs would get nan, not 0
        raise ValueError("dy contains nan or inf")
    dx = np.zeros(x.shape, dtype=dy.dtype)
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    for k, dx_slice in enumerate(_window_slices(dx, kernel, stride, layout)):  # views of dx: writing them writes dx
        # dy where the output's maximum sat at offset k of its window, 0 elsewhere (a product, not a masked
        # copy: numpy's masked copies are about 10 times slower)
        if overlapping:  # an input can be the maximum of several windows: add
            dx_slice += dy * (indices == k)
        else:  # each input lies in at most one window: write
            np.multiply(dy, indices == k, out=dx_slice)
    return dx
