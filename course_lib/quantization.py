"""Uniform integer quantization of weights, with the rounding and clamping of PyTorch's
``torch.quantize_per_tensor`` / ``quantize_per_channel`` and the ranges of its ``MinMaxObserver``:

    q = clamp(round(w / scale) + zero_point, qmin, qmax)        (round half to even, like torch)
    w_hat = (q - zero_point) * scale                            (dequantize)

symmetric:  signed [qmin, qmax] = [-2^(b-1), 2^(b-1) - 1], zero_point 0, scale = max|w| / ((qmax - qmin) / 2)
affine:     unsigned [0, 2^b - 1], scale = (max' - min') / (qmax - qmin) with min' = min(min w, 0) and
            max' = max(max w, 0) (so that 0 is exact), zero_point = qmin - round(min' / scale), clamped

Per channel (``axis`` given), each slice along ``axis`` gets its own scale and zero point; for the
course's weights (fan_in, fan_out) the output channels are ``axis=1``. Inside the range, every weight is
within scale / 2 of its dequantized value. Jacob et al. 2018, "Quantization and Training of Neural
Networks for Efficient Integer-Arithmetic-Only Inference", Sec. 2.
"""

import numpy as np

from ._checks import as_int, choose

__all__ = ["quantize", "dequantize", "quantization_error", "fake_quantize_model", "pack_bits", "unpack_bits", "SCHEMES"]

SCHEMES = ("symmetric", "affine")
_MIN_SCALE = float(np.finfo(np.float32).eps)  # as torch's observers: an all-zero tensor still gets a scale


def _check(w, bits, scheme, axis):
    if not isinstance(w, np.ndarray) or not np.issubdtype(w.dtype, np.floating):
        raise TypeError(f"w must be a float numpy array, got {type(w).__name__}")
    if w.size == 0 or not np.all(np.isfinite(w)):
        raise ValueError("w must be non-empty and finite (nan or inf cannot be quantized)")
    bits = as_int(bits, "bits", 2, 16)
    choose(scheme, "scheme", SCHEMES)
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int) or not -w.ndim <= axis < w.ndim):
        raise ValueError(f"axis must be None (per tensor) or an axis of w's {w.ndim} dimensions, got {axis!r}")


def _range(bits, scheme):
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if scheme == "symmetric" else (0, 2**bits - 1)


def _reduce_axes(w, axis):
    return None if axis is None else tuple(i for i in range(w.ndim) if i != axis % w.ndim)


def _broadcast(values, w, axis):
    if axis is None:
        return values
    shape = [1] * w.ndim
    shape[axis % w.ndim] = -1
    return np.reshape(values, shape)


def quantize(w, bits=8, scheme="symmetric", axis=None):
    """Quantize ``w`` to ``bits``-bit integers; return ``(q, scale, zero_point)``.

    ``q`` is an int32 array of w's shape; ``scale`` (float64) and ``zero_point`` (int64) are scalars per
    tensor, or 1-D arrays along ``axis`` per channel.
    """
    _check(w, bits, scheme, axis)
    qmin, qmax = _range(bits, scheme)
    reduce = _reduce_axes(w, axis)
    w64 = w.astype(np.float64)
    low = np.minimum(w64.min(axis=reduce), 0.0)
    high = np.maximum(w64.max(axis=reduce), 0.0)
    if scheme == "symmetric":
        scale = np.maximum(np.maximum(-low, high) / ((qmax - qmin) / 2), _MIN_SCALE)
        zero_point = np.zeros_like(scale, dtype=np.int64)
    else:
        scale = np.maximum((high - low) / (qmax - qmin), _MIN_SCALE)
        zero_point = np.clip(qmin - np.round(low / scale), qmin, qmax).astype(np.int64)
    ratio = w64 / _broadcast(scale, w, axis)
    if scheme == "symmetric":
        # max|w| / scale is (qmax - qmin) / 2 exactly, a half-integer: -max|w| lies half-way between two codes
        # (-127.5 steps at 8 bits; round half to even gives -128). The float division lands an ulp to either side,
        # depending on the last bits of max|w| (so on the CPU's rounding during training): use the exact ratio.
        max_abs, half = np.maximum(-low, high), (qmax - qmin) / 2
        extreme = _broadcast(max_abs / half >= _MIN_SCALE, w, axis) & (np.abs(w64) == _broadcast(max_abs, w, axis))
        ratio = np.where(extreme, np.sign(w64) * half, ratio)
    q = np.clip(np.round(ratio) + _broadcast(zero_point, w, axis), qmin, qmax).astype(np.int32)
    if axis is None:
        return q, float(scale), int(zero_point)
    return q, scale, zero_point


def dequantize(q, scale, zero_point, axis=None):
    """``(q - zero_point) * scale``, as float64 (per channel along ``axis`` when the scale is an array)."""
    q = np.asarray(q)
    if axis is None and np.ndim(scale) != 0:
        raise ValueError("a per-channel scale needs the axis it was computed along")
    return (q.astype(np.float64) - _broadcast(np.asarray(zero_point), q, axis)) * _broadcast(np.asarray(scale), q, axis)


def quantization_error(w, bits=8, scheme="symmetric", axis=None):
    """How much quantization changes ``w``: max and RMS absolute error, and the signal-to-quantization-noise
    ratio in dB, 10 log10(sum w^2 / sum (w - w_hat)^2)."""
    q, scale, zero_point = quantize(w, bits, scheme, axis)
    error = w.astype(np.float64) - dequantize(q, scale, zero_point, axis)
    noise = float(np.sum(error**2))
    signal = float(np.sum(w.astype(np.float64) ** 2))
    return {"max_abs": float(np.abs(error).max()), "rmse": float(np.sqrt(np.mean(error**2))),
            "sqnr_db": float("inf") if noise == 0 else 10 * np.log10(signal / noise) if signal else float("-inf")}


def fake_quantize_model(model, bits=8, scheme="symmetric", axis=None):
    """A copy of an MLP whose weight matrices are replaced by their quantize-dequantize round trip (biases
    stay float: a simplification, since integer-only inference stores them as int32, at the product of the
    weights' and the inputs' scales, Jacob et al. 2018, Sec. 2.4); for accuracy-vs-bits curves. ``axis=1``: per
    output unit."""
    quantized = model.copy()
    for i, W in enumerate(model.weights):
        q, scale, zero_point = quantize(W, bits, scheme, axis)
        quantized.params[2 * i] = dequantize(q, scale, zero_point, axis).astype(W.dtype)
    return quantized


def pack_bits(codes, bits):
    """Store unsigned ``bits``-bit integer codes (each in [0, 2^bits - 1]) back to back, 8 bits to a byte:
    ``ceil(n * bits / 8)`` bytes for n codes (two 4-bit codes per byte, four 2-bit codes). Each code is written
    as its ``bits`` binary digits, most significant first (``np.packbits``). Returns a flat uint8 array;
    ``unpack_bits(packed, bits, n)`` gives the codes back."""
    bits = as_int(bits, "bits", 1, 16)
    codes = np.asarray(codes)
    if not np.issubdtype(codes.dtype, np.integer):
        raise TypeError(f"codes must be integers, got dtype {codes.dtype}")
    codes = codes.ravel().astype(np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= 2**bits):
        raise ValueError(f"codes must be in [0, {2**bits - 1}] to fit in {bits} bits, "
                         f"got values in [{codes.min()}, {codes.max()}]")
    digits = (codes[:, None] >> np.arange(bits - 1, -1, -1)) & 1  # (n, bits), most significant digit first
    return np.packbits(digits.astype(np.uint8).ravel())


def unpack_bits(packed, bits, count):
    """The ``count`` codes of ``bits`` bits each that ``pack_bits`` stored in ``packed`` (int64)."""
    bits, count = as_int(bits, "bits", 1, 16), as_int(count, "count", 0)
    digits = np.unpackbits(np.asarray(packed, dtype=np.uint8))
    if digits.size < count * bits:
        raise ValueError(f"{np.size(packed)} bytes hold {digits.size // bits} codes of {bits} bits, not {count}")
    return digits[:count * bits].reshape(count, bits).astype(np.int64) @ (1 << np.arange(bits - 1, -1, -1))
