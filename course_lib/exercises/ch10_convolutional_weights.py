"""The exercises of chapter 10 (``notebooks/10_convolutional_weights.ipynb``): ``conv_output_size`` and the main
one, ``conv2d`` by im2col."""

import math
import numbers

import numpy as np

from ._grading import _call, _exercise, _printer, _Wrong

__all__ = ["check_conv_output_size", "check_conv2d"]

_SIZE = "chapter 10, section 1: H_out = floor((H + 2p - k) / s) + 1"
_LAYOUT = ("x is (N, C_in, H, W) and W is (C_out, C_in, kH, kW); the output is (N, C_out, H_out, W_out) with "
           f"{_SIZE}")


def _output_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


@_exercise("conv_output_size")
def _grade_conv_output_size(fn):
    # (size, kernel, stride, padding): cases where the floor matters, padding that matters, stride 1
    cases = [(28, 5, 1, 0), (28, 3, 1, 1), (10, 4, 3, 2), (7, 2, 2, 0), (8, 3, 2, 1), (12, 5, 3, 0), (5, 5, 1, 0)]
    for size, kernel, stride, padding in cases:
        case = f" (size={size}, kernel={kernel}, stride={stride}, padding={padding})"
        got = _call(fn, size, kernel, stride, padding, case=case)
        want = _output_size(size, kernel, stride, padding)
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            if isinstance(got, numbers.Real) and float(got) == want:
                raise _Wrong(f"returned {got!r}, a {type(got).__name__}: a size must be an int{case}",
                             "use // (floor division), not /, and no float in between.")
            raise _Wrong(f"returned {got!r} ({type(got).__name__}), expected the int {want}{case}", _SIZE)
        if got == want:
            continue
        raise _Wrong(*_diagnose_output_size(fn, cases, got, want, case))
    return f"floor((H + 2p - k) / s) + 1 as an int, on {len(cases)} cases (the floor matters in 4 of them)."


# The typical wrong formulas for the output size, each with its diagnosis (what, hint)
_WRONG_SIZES = [
    (lambda size, kernel, stride, padding: math.ceil((size + 2 * padding - kernel) / stride) + 1,
     ("that rounds up", "a window that would stick out of the padded input is not computed: round down (//).")),
    (lambda size, kernel, stride, padding: (size + padding - kernel) // stride + 1,
     ("padding counts on both sides (2p)", "padding p adds p zeros on EACH side: H + 2p.")),
    (lambda size, kernel, stride, padding: (size - kernel) // stride + 1,
     ("padding counts on both sides (2p)", "padding p adds p zeros on EACH side: H + 2p.")),
    (lambda size, kernel, stride, padding: (size + 2 * padding - kernel) // stride,
     ("one too few", "count the first position too: + 1.")),
]


def _diagnose_output_size(fn, cases, got, want, case):
    """(what, hint) for a wrong output size: a typical mistake's diagnosis only when that wrong formula gives the
    learner's answer on EVERY case (one case can agree with a formula by coincidence), else the rule."""
    answers = []
    for other in cases:
        try:
            answers.append(fn(*other))
        except Exception:  # noqa: BLE001 (any error: the learner's formula is none of the typical ones)
            return f"got {got}, expected {want}{case}", _SIZE
    for formula, (what, hint) in _WRONG_SIZES:
        if all(answer == formula(*other) for answer, other in zip(answers, cases)):
            return f"got {got}, expected {want}{case}: {what}", hint
    right = sum(answer == _output_size(*other) for answer, other in zip(answers, cases))
    return f"got {got}, expected {want}{case} (right on {right} of the {len(cases)} cases)", _SIZE


def _reference(x, W, b, stride, padding):
    from ..conv import conv2d

    return conv2d(x, W, b, stride=stride, padding=padding)


def _conv_cases():
    """(name, x, W, b, stride, padding): one channel first (the flip), then channels, then stride and padding."""
    rng = np.random.default_rng(10)

    def case(name, x_shape, w_shape, stride, padding, bias=True):
        x = rng.normal(size=x_shape)
        W = rng.normal(size=w_shape)
        b = rng.normal(size=w_shape[0]) if bias else None
        return name, x, W, b, stride, padding

    return [
        case("one channel", (2, 1, 7, 6), (3, 1, 3, 2), 1, 0),
        case("three input channels", (2, 3, 6, 7), (4, 3, 3, 3), 1, 0),
        case("stride 2, padding 1", (2, 2, 9, 8), (3, 2, 3, 3), 2, 1),
        case("stride 3, padding 2, no bias", (1, 2, 10, 11), (2, 2, 4, 3), 3, 2, bias=False),
        case("MNIST-sized, 8 filters 5x5", (4, 1, 28, 28), (8, 1, 5, 5), 1, 0),
    ]


def _close(got, want, scale=None):
    """Whether ``got`` matches ``want`` to the precision of ``got``'s dtype: float64 to rtol 1e-6 (atol 1e-8);
    float32 (about 7 digits, and a sum of C_in*kH*kW products rounds at each step) to 1e-4 of the output's scale,
    max |want|. ``scale`` overrides that relative tolerance."""
    if scale is None and np.finfo(got.dtype).eps < 1e-12:
        return np.allclose(got, want, rtol=1e-6, atol=1e-8)
    tolerance = (1e-4 if scale is None else scale) * max(float(np.abs(want).max(initial=0.0)), 1e-12)
    return bool(np.all(np.abs(got.astype(np.float64) - want) <= tolerance))


@_exercise("conv2d")
def _grade_conv2d(fn):
    single_channel_passed = False
    for name, x, W, b, stride, padding in _conv_cases():
        case = f" (case '{name}': x {x.shape}, W {W.shape}, stride {stride}, padding {padding}, " \
               f"b {'None' if b is None else b.shape})"
        x_in, W_in = x.copy(), W.copy()
        b_in = None if b is None else b.copy()
        got = _call(fn, x_in, W_in, b_in, stride, padding, case=case, hint=_LAYOUT)
        if not (np.array_equal(x_in, x) and np.array_equal(W_in, W) and (b is None or np.array_equal(b_in, b))):
            raise _Wrong(f"your function changed its input x, W or b{case}",
                         "pad into a new array (np.pad returns one); never write into x, W or b.")
        if not isinstance(got, np.ndarray) or not np.issubdtype(got.dtype, np.floating):
            raise _Wrong(f"return a float numpy array, got {type(got).__name__}{case}", _LAYOUT)
        want = _reference(x, W, b, stride, padding)
        swapped = want.transpose(1, 0, 2, 3)
        if got.shape != want.shape and got.shape == swapped.shape:
            raise _Wrong(f"the output has shape {got.shape}, expected {want.shape}: the batch and channel axes are "
                         f"swapped{case}", "return (N, C_out, H_out, W_out): W.reshape(C_out, -1) @ cols gives "
                         "(C_out, N*H_out*W_out); reshape it to (C_out, N, H_out, W_out), then transpose(1, 0, 2, 3).")
        if got.shape != want.shape:
            raise _Wrong(f"the output has shape {got.shape}, expected {want.shape}: the output size is wrong{case}",
                         _LAYOUT)
        if _close(got, want):
            single_channel_passed |= W.shape[1] == 1
            continue
        if want.shape[0] == want.shape[1] and _close(got, swapped):
            raise _Wrong(f"the batch and channel axes are swapped{case}", "return (N, C_out, H_out, W_out).")
        if np.finfo(got.dtype).eps > 1e-6 and _close(got, want, scale=1e-2):
            raise _Wrong(f"right to about {np.finfo(got.dtype).precision} digits only: your output is "
                         f"{got.dtype}{case}", "compute in float32 or float64 (the dtype of x).")
        flipped = _reference(x, W[:, :, ::-1, ::-1].copy(), b, stride, padding)
        if _close(got, flipped):
            raise _Wrong(f"that is a true convolution, with the kernel flipped{case}",
                         "deep-learning libraries compute a cross-correlation: y[n, o, i, j] = b[o] + "
                         "sum_{c,u,v} W[o, c, u, v] * xp[n, c, i*s + u, j*s + v], the kernel NOT flipped.")
        if b is not None and _close(got, _reference(x, W, None, stride, padding)):
            raise _Wrong(f"the bias is missing{case}", "add b[o] to every position of output channel o.")
        if single_channel_passed and W.shape[1] > 1 and stride == 1 and padding == 0:
            raise _Wrong(f"right with one input channel, wrong with {W.shape[1]}: the channels are mixed up{case}",
                         "each column of im2col must list a patch in the order (c, u, v), the order of "
                         "W.reshape(C_out, -1)'s entries; and output channel o uses filter W[o] on ALL input "
                         "channels.")
        if stride > 1 or padding > 0:
            raise _Wrong(f"right shape, wrong values with stride {stride} and padding {padding}{case}",
                         "pad p zeros on each side of H and W first; output (i, j) starts at row i*s, column j*s "
                         "of the padded input.")
        raise _Wrong(f"right shape, wrong values{case}", _LAYOUT)
    return ("matches torch.nn.functional.conv2d's cross-correlation (course_lib.conv.conv2d) on 5 cases: one and "
            "three input channels, stride 2 and 3, padding 1 and 2, no bias, an MNIST batch; inputs unchanged.")


check_conv_output_size = _printer("conv_output_size")
check_conv2d = _printer("conv2d")
