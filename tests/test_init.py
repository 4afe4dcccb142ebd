"""course_lib.init: formulas, sampling, shapes, determinism and bad input."""

import math

import numpy as np
import pytest

from course_lib import init

SHAPE = (1000, 500)  # fan_in != fan_out: using the wrong fan changes the std by sqrt(2)
FAN_IN, FAN_OUT = SHAPE


def rel(a, b):
    return abs(a - b) / abs(b)


# --------------------------------------------------------------------------------------------------
# gains and fans
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "nonlinearity, param, gain",
    [
        ("linear", None, 1.0),
        ("identity", None, 1.0),
        ("sigmoid", None, 1.0),
        ("conv2d", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2**2))),
        ("leaky_relu", math.sqrt(5), math.sqrt(2 / 6)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain_matches_pytorch(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_bad_input():
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'; valid: .*relu"):
        init.calculate_gain("gelu")
    with pytest.raises(TypeError, match="param"):
        init.calculate_gain("leaky_relu", "0.1")
    with pytest.raises(ValueError, match="param is only used with 'leaky_relu'"):
        init.calculate_gain("relu", 0.1)


def test_fans_follow_the_course_convention():
    assert init.fan_in_and_fan_out((784, 256)) == (784, 256)


@pytest.mark.parametrize("shape", [(10,), (2, 3, 4), ()])
def test_fans_need_2d_shapes(shape):
    with pytest.raises(ValueError, match="shape must"):
        init.fan_in_and_fan_out(shape)


@pytest.mark.parametrize(
    "name", ["lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform", "kaiming_normal",
             "kaiming_uniform", "orthogonal"]
)
@pytest.mark.parametrize("shape, error", [((10,), ValueError), ((2, 3, 4), ValueError), ((0, 5), ValueError),
                                          ((3, -1), ValueError), ((2.5, 3), TypeError), ("ab", TypeError)])
def test_fan_based_initializers_reject_bad_shapes(name, shape, error):
    with pytest.raises(error, match="shape"):
        init.get_initializer(name)(shape, rng=0)


@pytest.mark.parametrize("name", ["zeros", "normal", "uniform", "truncated_normal"])
def test_plain_initializers_reject_non_positive_sizes(name):
    with pytest.raises(ValueError, match="shape must have positive sizes"):
        init.get_initializer(name)((3, 0), rng=0)


def test_bad_mode_and_nonlinearity():
    with pytest.raises(ValueError, match="unknown mode 'fan_avg'; valid: fan_in, fan_out"):
        init.kaiming_normal((3, 4), mode="fan_avg", rng=0)
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        init.kaiming_uniform((3, 4), nonlinearity="swish", rng=0)


def test_bad_rng_and_dtype():
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        init.xavier_normal((3, 4), rng="seed")
    with pytest.raises(TypeError, match="rng"):
        init.normal((3, 4), rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="dtype must be one of"):
        init.xavier_normal((3, 4), rng=0, dtype="int32")


def test_bad_scalars():
    with pytest.raises(ValueError, match="gain must be > 0"):
        init.xavier_normal((3, 4), gain=0, rng=0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal((3, 4), std=-1, rng=0)
    with pytest.raises(ValueError, match="uniform needs a < b"):
        init.uniform((3, 4), a=1, b=1, rng=0)
    with pytest.raises(ValueError, match="val must be finite"):
        init.constant((3,), float("nan"))


# --------------------------------------------------------------------------------------------------
# sample std within 2% of the formula (1000 x 500 draws)
# --------------------------------------------------------------------------------------------------

FORMULAS = {
    "lecun_normal": (init.lecun_normal, {}, math.sqrt(1 / FAN_IN)),
    "lecun_uniform": (init.lecun_uniform, {}, math.sqrt(1 / FAN_IN)),
    "xavier_normal": (init.xavier_normal, {}, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "xavier_normal_gain": (init.xavier_normal, {"gain": 5 / 3}, 5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "xavier_uniform": (init.xavier_uniform, {}, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "xavier_uniform_gain": (init.xavier_uniform, {"gain": 2.0}, 2 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "kaiming_normal": (init.kaiming_normal, {}, math.sqrt(2 / FAN_IN)),
    "kaiming_normal_fan_out": (init.kaiming_normal, {"mode": "fan_out"}, math.sqrt(2 / FAN_OUT)),
    "kaiming_normal_tanh": (init.kaiming_normal, {"nonlinearity": "tanh"}, 5 / 3 / math.sqrt(FAN_IN)),
    "kaiming_normal_leaky": (init.kaiming_normal, {"nonlinearity": "leaky_relu", "a": 0.2},
                             math.sqrt(2 / 1.04) / math.sqrt(FAN_IN)),
    "kaiming_uniform": (init.kaiming_uniform, {}, math.sqrt(2 / FAN_IN)),
    "kaiming_uniform_fan_out": (init.kaiming_uniform, {"mode": "fan_out"}, math.sqrt(2 / FAN_OUT)),
    "kaiming_uniform_linear_sqrt5": (init.kaiming_uniform, {"a": math.sqrt(5), "nonlinearity": "leaky_relu"},
                                     1 / math.sqrt(3 * FAN_IN)),  # torch.nn.Linear's default
    "normal": (init.normal, {"std": 0.05}, 0.05),
    "uniform": (init.uniform, {"a": -0.3, "b": 0.3}, 0.3 / math.sqrt(3)),
    "truncated_normal": (init.truncated_normal, {"std": 0.02, "a": -0.04, "b": 0.04},
                         init.truncated_normal_std(0.02, -0.04, 0.04)),
    # Orthonormal columns: each of the 500 columns has unit norm spread over 1000 entries.
    "orthogonal": (init.orthogonal, {}, math.sqrt(1 / FAN_IN)),
    "orthogonal_gain": (init.orthogonal, {"gain": 3.0}, 3 * math.sqrt(1 / FAN_IN)),
}


@pytest.mark.parametrize("case", sorted(FORMULAS))
def test_sample_std_matches_the_formula(case):
    function, kwargs, std = FORMULAS[case]
    w = function(SHAPE, rng=0, **kwargs)
    assert w.shape == SHAPE
    assert rel(w.std(), std) < 0.02, f"{case}: sample std {w.std():.5f}, formula {std:.5f}"
    assert abs(w.mean()) < 0.01 * std * 10


def test_wrong_fan_would_be_caught():
    """The 2% tolerance separates fan_in from fan_out on this shape (they differ by sqrt 2)."""
    w = init.kaiming_normal(SHAPE, rng=0)
    assert rel(w.std(), math.sqrt(2 / FAN_OUT)) > 0.2


@pytest.mark.parametrize(
    "function, kwargs, bound",
    [
        (init.lecun_uniform, {}, math.sqrt(3 / FAN_IN)),
        (init.xavier_uniform, {}, math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (init.kaiming_uniform, {}, math.sqrt(6 / FAN_IN)),
        (init.uniform, {"a": -0.3, "b": 0.3}, 0.3),
    ],
)
def test_uniform_variants_respect_their_bound(function, kwargs, bound):
    w = function(SHAPE, rng=1, **kwargs)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # and fill the interval


def test_zeros_and_constant():
    assert np.array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    c = init.constant((4,), 0.5, dtype="float32")
    assert c.dtype == np.float32 and np.all(c == 0.5)


# --------------------------------------------------------------------------------------------------
# truncated normal
# --------------------------------------------------------------------------------------------------


def normal_cdf(x, mean=0.0, std=1.0):
    return 0.5 * (1 + math.erf((x - mean) / (std * math.sqrt(2))))


def on_bounds_fraction(x, a, b):
    return float(np.mean((x == a) | (x == b)))


def chi_square_against_truncated_density(x, mean, std, a, b, bins=40):
    """Pearson's chi-square of the histogram of x against the exact truncated-normal bin probabilities."""
    edges = np.linspace(a, b, bins + 1)
    z = normal_cdf(b, mean, std) - normal_cdf(a, mean, std)
    cdf = np.array([normal_cdf(edge, mean, std) for edge in edges])
    expected = np.diff(cdf) / z
    counts, _ = np.histogram(x, bins=edges)
    return float(np.sum((counts - x.size * expected) ** 2 / (x.size * expected)))


# For 40 bins (39 degrees of freedom) the chi-square statistic exceeds 72 with probability < 0.1%.
CHI2_LIMIT_39_DOF = 72.0


@pytest.mark.parametrize(
    "mean, std, a, b",
    [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 4.0), (0.0, 0.02, -0.04, 0.04), (0.0, 1.0, 2.5, 4.0),
     (0.0, 1.0, -0.1, 0.1)],
)
def test_truncated_normal_matches_the_exact_density(mean, std, a, b):
    x = init.truncated_normal((200_000,), mean=mean, std=std, a=a, b=b, rng=3)
    assert x.min() >= a and x.max() <= b
    assert on_bounds_fraction(x, a, b) < 1e-4
    assert chi_square_against_truncated_density(x, mean, std, a, b) < CHI2_LIMIT_39_DOF
    assert rel(x.std(), init.truncated_normal_std(std, a, b, mean)) < 0.02


def test_clipping_fails_the_same_checks():
    """The criteria above catch the clipping myth: 4.55% of the values sit on +-2."""
    x = np.clip(np.random.default_rng(3).standard_normal(200_000), -2.0, 2.0)
    assert on_bounds_fraction(x, -2.0, 2.0) == pytest.approx(math.erfc(2 / math.sqrt(2)), abs=0.002)
    assert chi_square_against_truncated_density(x, 0.0, 1.0, -2.0, 2.0) > 10 * CHI2_LIMIT_39_DOF


def test_truncated_normal_std_known_value():
    assert init.truncated_normal_std(1.0, -2.0, 2.0) == pytest.approx(0.87962566, abs=1e-7)
    assert init.truncated_normal_std(3.0, -6.0, 6.0) == pytest.approx(3 * 0.87962566, abs=1e-6)


def test_truncated_normal_bad_input():
    with pytest.raises(ValueError, match="a < b"):
        init.truncated_normal((3,), a=2.0, b=2.0, rng=0)
    with pytest.raises(ValueError, match="a < b"):
        init.truncated_normal((3,), a=3.0, b=-3.0, rng=0)
    with pytest.raises(ValueError, match="std must be > 0"):
        init.truncated_normal((3,), std=0.0, rng=0)
    with pytest.raises(ValueError, match="too far in the tail"):
        init.truncated_normal((3,), a=40.0, b=1000.0, rng=0)
    with pytest.raises(ValueError, match="a < b"):
        init.truncated_normal_std(1.0, 1.0, 0.0)


# --------------------------------------------------------------------------------------------------
# orthogonal
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 3), (50, 20), (5, 5), (3, 7), (20, 50)])
@pytest.mark.parametrize("gain", [1.0, 1.5])
def test_orthogonal_shapes_and_orthonormality(shape, gain):
    w = init.orthogonal(shape, gain=gain, rng=4)
    assert w.shape == shape
    rows, cols = shape
    gram = w.T @ w if rows >= cols else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(shape)), atol=1e-10)


def test_orthogonal_is_not_always_the_same_matrix():
    assert not np.allclose(init.orthogonal((4, 4), rng=0), init.orthogonal((4, 4), rng=1))


# --------------------------------------------------------------------------------------------------
# determinism, dtypes, names
# --------------------------------------------------------------------------------------------------

RANDOM = ["normal", "uniform", "truncated_normal", "lecun_normal", "lecun_uniform", "xavier_normal",
          "xavier_uniform", "kaiming_normal", "kaiming_uniform", "orthogonal"]


@pytest.mark.parametrize("name", RANDOM)
def test_seeded_generators_and_global_state(name):
    f = init.get_initializer(name)
    assert np.array_equal(f((20, 10), rng=5), f((20, 10), rng=5))
    rng = np.random.default_rng(5)
    assert not np.array_equal(f((20, 10), rng=rng), f((20, 10), rng=rng)), "a Generator is consumed"
    np.random.seed(0)
    first = f((20, 10), rng=7)
    np.random.seed(1)
    assert np.array_equal(first, f((20, 10), rng=7)), "numpy's global state must not matter"


@pytest.mark.parametrize("name", RANDOM + ["zeros"])
@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32])
def test_dtype_and_shape(name, dtype):
    w = init.get_initializer(name)((6, 4), rng=0, dtype=dtype)
    assert w.shape == (6, 4) and w.dtype == np.dtype(dtype)


@pytest.mark.parametrize(
    "alias, target",
    [("glorot", "xavier_normal"), ("glorot_normal", "xavier_normal"), ("glorot_uniform", "xavier_uniform"),
     ("Glorot-Uniform", "xavier_uniform"), ("xavier", "xavier_normal"), ("he", "kaiming_normal"),
     ("he_normal", "kaiming_normal"), ("HE_UNIFORM", "kaiming_uniform"), ("kaiming", "kaiming_normal"),
     ("lecun", "lecun_normal"), ("trunc_normal", "truncated_normal"), ("orthogonal", "orthogonal")],
)
def test_get_initializer_aliases(alias, target):
    assert init.get_initializer(alias) is getattr(init, target)


def test_get_initializer_bad_names_and_callables():
    with pytest.raises(ValueError, match="unknown initializer 'hee'; valid names: .*he_normal.*xavier_uniform"):
        init.get_initializer("hee")
    with pytest.raises(TypeError, match="initializer name must be a string"):
        init.get_initializer(3)

    def mine(shape, rng=None):
        return np.ones(shape)

    assert init.get_initializer(mine) is mine
