"""course_lib.init on conv shapes (C_out, C_in, kH, kW): torch's fans, sample statistics, orthogonal, bad shapes."""

import math

import numpy as np
import pytest

from course_lib import init

# (C_out, C_in, kH, kW), each with >= 12800 entries so that a sample std is within ~0.6% (1 standard error);
# the fans differ (C_out != C_in, kH != kW), so the wrong fan, or a dense reading of the shape, fails by far.
CONV_SHAPES = [(64, 32, 3, 3), (32, 64, 3, 5), (512, 1, 5, 5), (16, 48, 5, 5)]


def torch_fans(shape):
    """torch.nn.init._calculate_fan_in_and_fan_out, written out: receptive field = prod(shape[2:]),
    fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field."""
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


@pytest.mark.parametrize("shape", CONV_SHAPES + [(8, 1, 5, 5), (1, 1, 1, 1), (3, 2, 1, 7)])
def test_fans_of_conv_shapes_are_torchs(shape):
    assert init.fan_in_and_fan_out(shape) == torch_fans(shape)


def test_fans_of_a_conv_and_a_dense_layer_that_see_the_same_inputs():
    """A 1x1 conv with C_in inputs and C_out outputs is a dense layer (C_in, C_out) applied at every pixel:
    the same fans, with the shape written in the other order."""
    assert init.fan_in_and_fan_out((20, 30, 1, 1)) == init.fan_in_and_fan_out((30, 20)) == (30, 20)


def std_formulas():
    """name -> (initializer, kwargs, std(fan_in, fan_out))."""
    relu = math.sqrt(2.0)
    return {
        "lecun_normal": (init.lecun_normal, {}, lambda i, o: math.sqrt(1 / i)),
        "lecun_uniform": (init.lecun_uniform, {}, lambda i, o: math.sqrt(1 / i)),
        "xavier_normal": (init.xavier_normal, {}, lambda i, o: math.sqrt(2 / (i + o))),
        "xavier_uniform": (init.xavier_uniform, {}, lambda i, o: math.sqrt(2 / (i + o))),
        "kaiming_normal": (init.kaiming_normal, {}, lambda i, o: relu / math.sqrt(i)),
        "kaiming_normal fan_out": (init.kaiming_normal, {"mode": "fan_out"}, lambda i, o: relu / math.sqrt(o)),
        "kaiming_uniform": (init.kaiming_uniform, {}, lambda i, o: relu / math.sqrt(i)),
        "kaiming_uniform fan_out tanh": (init.kaiming_uniform, {"mode": "fan_out", "nonlinearity": "tanh"},
                                         lambda i, o: 5 / 3 / math.sqrt(o)),
        # torch.nn.Conv2d's default, kaiming_uniform_(a=sqrt(5)): U(+-1/sqrt(fan_in)), std 1/sqrt(3 fan_in)
        "kaiming_uniform Conv2d default": (init.kaiming_uniform, {"a": math.sqrt(5)},
                                           lambda i, o: 1 / math.sqrt(3 * i)),
    }


@pytest.mark.parametrize("shape", CONV_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("case", sorted(std_formulas()))
def test_sample_std_uses_the_receptive_field_fans(case, shape):
    function, kwargs, std_formula = std_formulas()[case]
    fan_in, fan_out = torch_fans(shape)
    w = function(shape, rng=0, **kwargs)
    assert w.shape == shape and w.dtype == np.float64
    assert abs(w.std() / std_formula(fan_in, fan_out) - 1) < 0.02
    assert abs(w.mean()) < 0.02 * w.std()
    # the dense reading of the first two axes (fan_in = C_out, fan_out = C_in) would be far off:
    wrong = std_formula(shape[0], shape[1])
    assert abs(w.std() / wrong - 1) > 0.2


def test_he_on_a_conv_is_sqrt_2_over_c_in_k_k():
    w = init.kaiming_normal((64, 32, 3, 3), rng=1, dtype="float32")
    assert w.dtype == np.float32
    assert w.std() == pytest.approx(math.sqrt(2 / (32 * 9)), rel=0.02)


@pytest.mark.parametrize("shape", [(8, 3, 3, 3), (16, 8, 5, 5), (4, 1, 2, 3)])  # C_out <= C_in*kH*kW
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_conv_filters_are_orthonormal_as_in_torch(shape, gain):
    """torch.nn.init.orthogonal_ flattens to (C_out, C_in*kH*kW): the flattened filters are orthonormal rows."""
    w = init.orthogonal(shape, gain=gain, rng=2)
    assert w.shape == shape
    rows = w.reshape(shape[0], -1)
    np.testing.assert_allclose(rows @ rows.T, gain**2 * np.eye(shape[0]), atol=1e-12)


def test_orthogonal_conv_with_more_filters_than_weights_per_filter():
    w = init.orthogonal((30, 1, 3, 3), rng=3)  # 30 filters of 9 weights: only 9 can be orthonormal
    columns = w.reshape(30, 9)
    np.testing.assert_allclose(columns.T @ columns, np.eye(9), atol=1e-12)


def test_orthogonal_dense_draws_are_unchanged_by_the_conv_support():
    """A 2-D shape takes the same path as before: (fan_in, fan_out) with orthonormal columns when tall."""
    w = init.orthogonal((6, 4), rng=4)
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-12)
    gaussian = np.random.default_rng(4).standard_normal((6, 4))
    q, r = np.linalg.qr(gaussian)
    np.testing.assert_allclose(w, q * np.sign(np.diag(r)), atol=1e-12)


@pytest.mark.parametrize("name", ["zeros", "normal", "uniform", "truncated_normal", "lecun_normal", "lecun_uniform",
                                  "xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform",
                                  "orthogonal"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_initializer_returns_the_conv_shape(name, dtype):
    w = init.get_initializer(name)((6, 3, 5, 4), rng=0, dtype=dtype)
    assert w.shape == (6, 3, 5, 4) and w.dtype == np.dtype(dtype)


@pytest.mark.parametrize("name", ["lecun_normal", "xavier_uniform", "kaiming_normal", "orthogonal"])
@pytest.mark.parametrize(
    "shape, error, match",
    [
        ((3, 4, 5), ValueError, r"shape must be 2-D, \(fan_in, fan_out\), or 4-D, \(C_out, C_in, kH, kW\), got "
                                r"\(3, 4, 5\) with 3 dimension\(s\)"),
        ((2, 3, 4, 5, 6), ValueError, "or 4-D, .* with 5 dimension"),
        ((8, 0, 3, 3), ValueError, "shape must have positive sizes"),
        ((8, 3, 3.0, 3), TypeError, "shape must be a tuple of positive ints"),
    ],
)
def test_fan_based_initializers_reject_other_shapes(name, shape, error, match):
    with pytest.raises(error, match=match):
        init.get_initializer(name)(shape, rng=0)
    with pytest.raises(error, match=match):
        init.fan_in_and_fan_out(shape)
