"""course_lib.conv against direct loops written here, gradient checks, PyTorch's tie routing and bad input."""

import numpy as np
import pytest

from course_lib import conv
from course_lib.gradcheck import numerical_gradient, relative_error

# --------------------------------------------------------------------------------------------------
# Independent references: the formulas as loops, one output at a time
# --------------------------------------------------------------------------------------------------


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def loop_conv2d(x, W, b, stride, padding):
    """y[n, o, i, j] = b[o] + sum_{c,u,v} W[o, c, u, v] * xp[n, c, i*sH + u, j*sW + v]: cross-correlation."""
    (sH, sW), (pH, pW) = pair(stride), pair(padding)
    N, C, H, Wd = x.shape
    C_out, _, kH, kW = W.shape
    xp = np.zeros((N, C, H + 2 * pH, Wd + 2 * pW))
    xp[:, :, pH:pH + H, pW:pW + Wd] = x
    H_out, W_out = (H + 2 * pH - kH) // sH + 1, (Wd + 2 * pW - kW) // sW + 1
    y = np.zeros((N, C_out, H_out, W_out))
    for n in range(N):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    total = 0.0 if b is None else b[o]
                    for c in range(C):
                        for u in range(kH):
                            for v in range(kW):
                                total += W[o, c, u, v] * xp[n, c, i * sH + u, j * sW + v]
                    y[n, o, i, j] = total
    return y


def loop_max_pool2d(x, kernel, stride):
    """Max pooling and the position of each maximum, scanning each window row by row and replacing the running
    maximum only when a value is strictly greater: PyTorch's CPU kernel (MaxPoolKernel.cpp)."""
    (kH, kW) = pair(kernel)
    (sH, sW) = pair(stride if stride is not None else kernel)
    N, C, H, W = x.shape
    H_out, W_out = (H - kH) // sH + 1, (W - kW) // sW + 1
    y = np.zeros((N, C, H_out, W_out))
    where = np.zeros((N, C, H_out, W_out, 2), dtype=int)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best, at = -np.inf, None
                    for u in range(kH):
                        for v in range(kW):
                            value = x[n, c, i * sH + u, j * sW + v]
                            if value > best:
                                best, at = value, (i * sH + u, j * sW + v)
                    y[n, c, i, j], where[n, c, i, j] = best, at
    return y, where


def loop_max_pool2d_backward(dy, x, kernel, stride):
    """Each output's gradient added to the input that was its window's maximum."""
    _, where = loop_max_pool2d(x, kernel, stride)
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dy.shape):
        dx[n, c, where[n, c, i, j, 0], where[n, c, i, j, 1]] += dy[n, c, i, j]
    return dx


# (x shape, W shape, stride, padding): square and non-square inputs and kernels, strides 1-3, paddings 0-2,
# an output of size 1, a 1x1 kernel, and stride/padding given as (vertical, horizontal) pairs.
CONV_CASES = [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 9), (4, 3, 3, 2), 1, 0),
    ((1, 2, 8, 5), (3, 2, 2, 4), 2, 1),
    ((2, 1, 9, 11), (2, 1, 5, 3), 3, 2),
    ((3, 2, 6, 6), (5, 2, 1, 1), 1, 0),
    ((1, 4, 5, 5), (2, 4, 5, 5), 1, 0),
    ((2, 3, 10, 7), (3, 3, 3, 3), (2, 1), (0, 1)),
    ((1, 2, 4, 4), (3, 2, 3, 3), 2, 2),
]


@pytest.mark.parametrize("x_shape, W_shape, stride, padding", CONV_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_conv2d_matches_the_direct_loop(x_shape, W_shape, stride, padding, with_bias):
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal(x_shape), rng.standard_normal(W_shape)
    b = rng.standard_normal(W_shape[0]) if with_bias else None
    y = conv.conv2d(x, W, b, stride, padding)
    expected = loop_conv2d(x, W, b, stride, padding)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_is_cross_correlation_not_convolution():
    """A kernel that is not symmetric tells the two apart: a true convolution flips it."""
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    W = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = conv.conv2d(x, W)
    assert y[0, 0, 0, 0] == 1 * 0 + 2 * 1 + 3 * 4 + 4 * 5  # W[u, v] * x[u, v], no flip
    flipped = loop_conv2d(x, W[:, :, ::-1, ::-1], None, 1, 0)
    assert not np.allclose(y, flipped)


def test_conv2d_output_size_formula():
    x = np.zeros((1, 1, 28, 20))
    for k, s, p in [(5, 1, 0), (5, 2, 2), (3, 3, 1), (4, 2, 0)]:
        y = conv.conv2d(x, np.zeros((1, 1, k, k)), stride=s, padding=p)
        assert y.shape[2:] == ((28 + 2 * p - k) // s + 1, (20 + 2 * p - k) // s + 1)
        assert conv.conv_output_size(28, k, s, p) == y.shape[2]


def test_conv2d_keeps_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 8, 8), dtype=np.float32)
    W = rng.standard_normal((4, 3, 3, 3), dtype=np.float32)
    y = conv.conv2d(x, W, np.zeros(4, np.float32))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, loop_conv2d(x.astype(float), W.astype(float), None, 1, 0), rtol=1e-4, atol=1e-4)


def test_im2col_and_col2im_are_adjoint():
    """<im2col(x), c> = <x, col2im(c)> for every x and c: col2im is the transpose of im2col, which is what
    makes dx = col2im(dcols) the gradient."""
    rng = np.random.default_rng(2)
    for x_shape, k, s, p in [((2, 3, 7, 6), (3, 2), 2, 1), ((1, 2, 5, 5), (3, 3), 1, 0), ((2, 1, 9, 8), (4, 4), 3, 2)]:
        x = rng.standard_normal(x_shape)
        cols = conv.im2col(x, k, s, p)
        c = rng.standard_normal(cols.shape)
        assert np.sum(cols * c) == pytest.approx(np.sum(x * conv.col2im(c, x_shape, k, s, p)), rel=1e-12)


def test_im2col_columns_are_the_receptive_fields():
    x = np.arange(2 * 2 * 4 * 5, dtype=float).reshape(2, 2, 4, 5)
    cols = conv.im2col(x, (2, 3), stride=(2, 1))  # H_out = 2, W_out = 3
    assert cols.shape == (2 * 2 * 3, 2 * 2 * 3)
    n, i, j = 1, 1, 2  # column n*6 + i*3 + j holds xp[n, :, 2i:2i+2, j:j+3] flattened (c, u, v)
    np.testing.assert_array_equal(cols[:, n * 6 + i * 3 + j], x[n, :, 2:4, 2:5].ravel())


# --------------------------------------------------------------------------------------------------
# conv2d_backward: central differences in float64
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape, W_shape, stride, padding", CONV_CASES)
def test_conv2d_backward_matches_central_differences(x_shape, W_shape, stride, padding):
    rng = np.random.default_rng(3)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(W_shape), rng.standard_normal(W_shape[0])
    dy = rng.standard_normal(conv.conv2d(x, W, b, stride, padding).shape)

    def loss():  # L = sum(y * dy), so dL/dy = dy
        return np.sum(conv.conv2d(x, W, b, stride, padding) * dy)

    dx, dW, db = conv.conv2d_backward(dy, x, W, stride, padding)
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert relative_error(dW, numerical_gradient(loss, W)) < 1e-7
    assert relative_error(db, numerical_gradient(loss, b)) < 1e-7


def test_conv2d_backward_reuses_the_forward_columns_and_can_skip_dx():
    rng = np.random.default_rng(4)
    x, W = rng.standard_normal((2, 3, 8, 7)), rng.standard_normal((4, 3, 3, 3))
    y, cols = conv.conv2d(x, W, stride=2, padding=1, return_cols=True)
    np.testing.assert_array_equal(cols, conv.im2col(x, (3, 3), 2, 1))
    dy = rng.standard_normal(y.shape)
    dx, dW, db = conv.conv2d_backward(dy, x, W, 2, 1)
    dx2, dW2, db2 = conv.conv2d_backward(dy, x, W, 2, 1, cols=cols)
    np.testing.assert_array_equal(dx, dx2)
    np.testing.assert_array_equal(dW, dW2)
    dx3, dW3, db3 = conv.conv2d_backward(dy, x, W, 2, 1, input_grad=False)
    assert dx3 is None
    np.testing.assert_array_equal(dW3, dW)
    np.testing.assert_array_equal(db3, db)


# --------------------------------------------------------------------------------------------------
# max pooling
# --------------------------------------------------------------------------------------------------

POOL_CASES = [
    ((2, 3, 8, 8), 2, None),
    ((1, 2, 7, 9), 2, None),  # odd sizes: the last row / column is dropped (floor)
    ((2, 1, 9, 7), 3, 2),  # overlapping windows
    ((1, 2, 6, 8), (2, 3), (1, 2)),  # non-square kernel and stride
    ((1, 1, 5, 5), 5, None),  # one window
    ((2, 2, 6, 6), 2, 1),  # stride 1: every interior input is in 4 windows
]


@pytest.mark.parametrize("shape, kernel, stride", POOL_CASES)
def test_max_pool2d_matches_the_direct_loop(shape, kernel, stride):
    x = np.random.default_rng(5).standard_normal(shape)
    y, indices = conv.max_pool2d(x, kernel, stride, return_indices=True)
    expected, where = loop_max_pool2d(x, kernel, stride)
    np.testing.assert_array_equal(y, expected)
    kW = pair(kernel)[1]
    sH, sW = pair(stride if stride is not None else kernel)
    i, j = np.meshgrid(np.arange(y.shape[2]), np.arange(y.shape[3]), indexing="ij")
    np.testing.assert_array_equal(indices // kW + i * sH, where[..., 0])  # window offset -> input row
    np.testing.assert_array_equal(indices % kW + j * sW, where[..., 1])


@pytest.mark.parametrize("shape, kernel, stride", POOL_CASES)
def test_max_pool2d_backward_matches_the_loop_and_central_differences(shape, kernel, stride):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape)  # no ties, and gaps between values far above h = 1e-6
    dy = rng.standard_normal(conv.max_pool2d(x, kernel, stride).shape)
    dx = conv.max_pool2d_backward(dy, x, kernel, stride)
    np.testing.assert_allclose(dx, loop_max_pool2d_backward(dy, x, kernel, stride), rtol=1e-12, atol=1e-15)
    numeric = numerical_gradient(lambda: np.sum(conv.max_pool2d(x, kernel, stride) * dy), x)
    assert relative_error(dx, numeric) < 1e-7


def test_ties_go_to_the_first_maximum_in_row_major_order_as_pytorch():
    """PyTorch scans a window row by row and keeps the first of equal maxima (``val > maxval``): in
    [[1, 3], [3, 2]] the gradient goes to (0, 1), not (1, 0); in a constant window to (0, 0)."""
    x = np.array([[[[1.0, 3.0, 5.0, 5.0], [3.0, 2.0, 5.0, 5.0]]]])
    dx = conv.max_pool2d_backward(np.array([[[[10.0, 20.0]]]]), x, 2)
    np.testing.assert_array_equal(dx, [[[[0.0, 10.0, 20.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])
    assert conv.max_pool2d(x, 2, return_indices=True)[1].tolist() == [[[[1, 0]]]]


def test_ties_with_overlapping_windows_add_up():
    """Constant input, kernel 2, stride 1: every window's maximum is its top-left entry, so input (i, j) gets the
    gradient of window (i, j) only, and the last row and column get none (the loop reference agrees)."""
    x = np.zeros((1, 1, 4, 4))
    dy = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    dx = conv.max_pool2d_backward(dy, x, 2, 1)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, :3, :3] = dy[0, 0]
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(dx, loop_max_pool2d_backward(dy, x, 2, 1))
    x[0, 0, 1, 1] = 1.0  # now the maximum of all four windows around it: it gets their sum
    dx = conv.max_pool2d_backward(dy, x, 2, 1)
    assert dx[0, 0, 1, 1] == 1 + 2 + 4 + 5
    np.testing.assert_array_equal(dx, loop_max_pool2d_backward(dy, x, 2, 1))


def test_max_pool2d_indices_are_reused():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    y, indices = conv.max_pool2d(x, 2, return_indices=True)
    assert y.dtype == np.float32
    dy = rng.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_array_equal(conv.max_pool2d_backward(dy, x, 2, indices=indices),
                                  conv.max_pool2d_backward(dy, x, 2))


# --------------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------------

X = np.zeros((2, 3, 8, 8))
W3 = np.zeros((4, 3, 3, 3))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: conv.conv2d(X, np.zeros((4, 2, 3, 3))), ValueError, r"x has 3 channels but W expects 2"),
        (lambda: conv.conv2d(X, np.zeros((4, 3, 9, 3))), ValueError, r"kernel \(9x3\) is larger than the padded input"),
        (lambda: conv.conv2d(X, np.zeros((4, 3, 11, 3)), padding=1), ValueError, "larger than the padded input"),
        (lambda: conv.conv2d(X, W3, stride=1.5), TypeError, "stride must be an int >= 1"),
        (lambda: conv.conv2d(X, W3, stride=2.0), TypeError, "stride must be an int >= 1"),
        (lambda: conv.conv2d(X, W3, stride=0), ValueError, "stride must be an int >= 1"),
        (lambda: conv.conv2d(X, W3, stride=-1), ValueError, "stride must be an int >= 1"),
        (lambda: conv.conv2d(X, W3, stride=True), TypeError, "stride must be an int >= 1"),
        (lambda: conv.conv2d(X, W3, stride=(1, 2, 3)), ValueError, "stride must be an int >= 1 or a pair"),
        (lambda: conv.conv2d(X, W3, padding=-1), ValueError, "padding must be an int >= 0"),
        (lambda: conv.conv2d(X, W3, padding=0.5), TypeError, "padding must be an int >= 0"),
        (lambda: conv.conv2d(X, W3, padding="same"), TypeError, "padding must be an int >= 0"),
        (lambda: conv.conv2d(X[0], W3), ValueError, r"x must be 4-D, \(N, C_in, H, W\), got shape \(3, 8, 8\)"),
        (lambda: conv.conv2d(X, W3[0]), ValueError, r"W must be 4-D, \(C_out, C_in, kH, kW\)"),
        (lambda: conv.conv2d(X, W3, np.zeros(3)), ValueError, r"b must have shape \(C_out,\) = \(4,\), got \(3,\)"),
        (lambda: conv.conv2d(X, W3, np.zeros((4, 1))), ValueError, r"b must have shape \(C_out,\)"),
        (lambda: conv.conv2d(X, W3, [0.0] * 4), TypeError, "b must be a numpy array or None"),
        (lambda: conv.conv2d(X.tolist(), W3), TypeError, "x must be a numpy array, got list"),
        (lambda: conv.conv2d(X.astype(int), W3), TypeError, "x must be a float array"),
        (lambda: conv.conv2d_backward(np.zeros((2, 4, 5, 5)), X, W3), ValueError,
         r"dy must have the output's shape \(N, C_out, H_out, W_out\) = \(2, 4, 6, 6\)"),
        (lambda: conv.conv2d_backward(np.zeros((2, 4, 6, 6)), X, np.zeros((4, 2, 3, 3))), ValueError,
         "x has 3 channels but W expects 2"),
        (lambda: conv.col2im(np.zeros((5, 5)), X.shape, 3), ValueError, r"cols must have shape \(C\*kH\*kW"),
        (lambda: conv.max_pool2d(X, 9), ValueError, r"kernel \(9x9\) is larger than the input \(8x8\)"),
        (lambda: conv.max_pool2d(X, 0), ValueError, "kernel_size must be an int >= 1"),
        (lambda: conv.max_pool2d(X, 2.0), TypeError, "kernel_size must be an int >= 1"),
        (lambda: conv.max_pool2d(X, 2, stride=0), ValueError, "stride must be an int >= 1"),
        (lambda: conv.max_pool2d(X, 2, stride=1.5), TypeError, "stride must be an int >= 1"),
        (lambda: conv.max_pool2d(X[0], 2), ValueError, r"x must be 4-D, \(N, C, H, W\)"),
        (lambda: conv.max_pool2d_backward(np.zeros((2, 3, 3, 3)), X, 2), ValueError,
         r"dy must have the output's shape \(2, 3, 4, 4\)"),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_conv2d_backward_rejects_columns_of_another_input():
    x, W = np.zeros((2, 3, 8, 8)), np.zeros((4, 3, 3, 3))
    dy = np.zeros((2, 4, 6, 6))
    with pytest.raises(ValueError, match=r"cols must be im2col\(x, ...\) of shape \(27, 72\), got \(27, 36\)"):
        conv.conv2d_backward(dy, x, W, cols=conv.im2col(x[:1], 3))


# --------------------------------------------------------------------------------------------------
# layout="CHWN": the same numbers with the batch last, (C, H, W, N), against the same loops
# --------------------------------------------------------------------------------------------------


def batch_last(a):
    """(N, C, H, W) -> (C, H, W, N), a contiguous copy, as a caller of the CHWN layout makes it."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0))


@pytest.mark.parametrize("x_shape, W_shape, stride, padding", CONV_CASES)
def test_chwn_conv2d_and_backward_match_the_loop_and_central_differences(x_shape, W_shape, stride, padding):
    rng = np.random.default_rng(8)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(W_shape), rng.standard_normal(W_shape[0])
    xl = batch_last(x)
    y, cols = conv.conv2d(xl, W, b, stride, padding, return_cols=True, layout="CHWN")
    np.testing.assert_allclose(y, batch_last(loop_conv2d(x, W, b, stride, padding)), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(cols, conv.im2col(xl, W_shape[2:], stride, padding, layout="CHWN"))
    dy = rng.standard_normal(y.shape)

    def loss():
        return np.sum(conv.conv2d(xl, W, b, stride, padding, layout="CHWN") * dy)

    dx, dW, db = conv.conv2d_backward(dy, xl, W, stride, padding, cols=cols, layout="CHWN")
    assert dx.shape == xl.shape
    assert relative_error(dx, numerical_gradient(loss, xl)) < 1e-7
    assert relative_error(dW, numerical_gradient(loss, W)) < 1e-7
    assert relative_error(db, numerical_gradient(loss, b)) < 1e-7
    # the same gradients as the NCHW layout
    dx_nchw, dW_nchw, db_nchw = conv.conv2d_backward(dy.transpose(3, 0, 1, 2), x, W, stride, padding)
    np.testing.assert_allclose(dx, batch_last(dx_nchw), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dW, dW_nchw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(db, db_nchw, rtol=1e-12, atol=1e-12)
    assert conv.conv2d_backward(dy, xl, W, stride, padding, input_grad=False, layout="CHWN")[0] is None


def test_chwn_im2col_columns_are_the_receptive_fields_in_order_i_j_n():
    x = np.arange(2 * 2 * 4 * 5, dtype=float).reshape(2, 2, 4, 5)
    cols = conv.im2col(batch_last(x), (2, 3), stride=(2, 1), layout="CHWN")  # H_out = 2, W_out = 3, N = 2
    assert cols.shape == (2 * 2 * 3, 2 * 3 * 2)
    n, i, j = 1, 1, 2  # column i*6 + j*2 + n holds xp[n, :, 2i:2i+2, j:j+3] flattened (c, u, v)
    np.testing.assert_array_equal(cols[:, i * 6 + j * 2 + n], x[n, :, 2:4, 2:5].ravel())


def test_chwn_im2col_and_col2im_are_adjoint():
    rng = np.random.default_rng(9)
    for x_shape, k, s, p in [((3, 7, 6, 2), (3, 2), 2, 1), ((2, 5, 5, 1), (3, 3), 1, 0), ((1, 9, 8, 2), (4, 4), 3, 2)]:
        x = rng.standard_normal(x_shape)
        cols = conv.im2col(x, k, s, p, layout="CHWN")
        c = rng.standard_normal(cols.shape)
        dx = conv.col2im(c, x_shape, k, s, p, layout="CHWN")
        assert dx.shape == x_shape
        assert np.sum(cols * c) == pytest.approx(np.sum(x * dx), rel=1e-12)


@pytest.mark.parametrize("shape, kernel, stride", POOL_CASES)
def test_chwn_max_pool2d_and_backward_match_the_loop(shape, kernel, stride):
    rng = np.random.default_rng(10)
    x = rng.standard_normal(shape)
    x[..., :2, :] = 0.5  # tied windows too
    y, indices = conv.max_pool2d(batch_last(x), kernel, stride, return_indices=True, layout="CHWN")
    np.testing.assert_array_equal(y, batch_last(loop_max_pool2d(x, kernel, stride)[0]))
    np.testing.assert_array_equal(indices, batch_last(conv.max_pool2d(x, kernel, stride, return_indices=True)[1]))
    dy = rng.standard_normal(y.shape)
    dx = conv.max_pool2d_backward(dy, batch_last(x), kernel, stride, indices=indices, layout="CHWN")
    expected = loop_max_pool2d_backward(dy.transpose(3, 0, 1, 2), x, kernel, stride)
    np.testing.assert_allclose(dx, batch_last(expected), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: conv.conv2d(X, W3, layout="NHWC"), ValueError, r"layout must be 'NCHW' .* or 'CHWN'"),
        (lambda: conv.max_pool2d(X, 2, layout="nchw"), ValueError, "layout must be"),
        (lambda: conv.im2col(X, 3, layout=None), ValueError, "layout must be"),
        (lambda: conv.conv2d(np.zeros((3, 8, 8, 2)), np.zeros((4, 2, 3, 3)), layout="CHWN"), ValueError,
         "x has 3 channels but W expects 2"),
        (lambda: conv.conv2d(np.zeros((3, 8, 8)), W3, layout="CHWN"), ValueError,
         r"x must be 4-D, \(C_in, H, W, N\)"),
        (lambda: conv.conv2d_backward(np.zeros((2, 4, 6, 6)), np.zeros((3, 8, 8, 2)), W3, layout="CHWN"),
         ValueError, r"dy must have the output's shape \(C_out, H_out, W_out, N\) = \(4, 6, 6, 2\)"),
        (lambda: conv.col2im(np.zeros((27, 72)), (3, 8, 8, 3), 3, layout="CHWN"), ValueError,
         r"cols must have shape .* = \(27, 108\)"),
        (lambda: conv.max_pool2d(np.zeros((3, 8, 4, 2)), 5, layout="CHWN"), ValueError,
         r"kernel \(5x5\) is larger than the input \(8x4\)"),
        (lambda: conv.max_pool2d_backward(np.full((1, 1, 1, 1), np.inf), np.zeros((1, 1, 2, 2)), 2), ValueError,
         "dy contains nan or inf"),
    ],
)
def test_bad_layout_and_chwn_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("layout", ["NCHW", "CHWN"])
def test_a_window_holding_nan_points_at_its_last_nan_as_pytorch(layout):
    """PyTorch's CPU kernel replaces the running maximum when ``val > maxval || isnan(val)``: the maximum of a window
    with nan is nan, at the position of the window's last nan; windows without nan are unaffected."""
    x = np.array([[[[1.0, np.nan, 0.5, 2.0], [np.nan, 2.0, 3.0, 1.0]]]])  # window 0: nans at offsets 1 and 2
    if layout == "CHWN":
        x = batch_last(x)
    y, indices = conv.max_pool2d(x, 2, return_indices=True, layout=layout)
    flat_y, flat_i = y.ravel(), indices.ravel()
    assert np.isnan(flat_y[0]) and flat_y[1] == 3.0
    assert flat_i.tolist() == [2, 2]
