"""course_lib.init: formulas, sampling, shapes, determinism and bad input."""

import functools
import math

import numpy as np
import pytest

from course_lib import init

# fan_in == fan_out, fan_in > fan_out and fan_in < fan_out: with unequal fans, using the wrong fan (or
# their mean) changes the std by a factor sqrt(2) or sqrt(3/2), far outside the 2% tolerance.
STD_SHAPES = [(1000, 1000), (1000, 500), (500, 1000)]

RANDOM = ["normal", "uniform", "truncated_normal", "lecun_normal", "lecun_uniform", "xavier_normal",
          "xavier_uniform", "kaiming_normal", "kaiming_uniform", "orthogonal"]
FAN_BASED = ["lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform", "kaiming_normal",
             "kaiming_uniform", "orthogonal"]
# Every initializer, called as init(shape, rng=..., dtype=...).
ALL_INITIALIZERS = {name: init.get_initializer(name) for name in RANDOM + ["zeros"]}
ALL_INITIALIZERS["constant"] = functools.partial(init.constant, val=0.5)


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
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),  # PyTorch's default slope 0.01
        ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2**2))),
        ("leaky_relu", 0, math.sqrt(2)),
        ("leaky_relu", math.sqrt(5), math.sqrt(2 / 6)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain_matches_pytorch(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-12)


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("gelu",), ValueError, r"unknown nonlinearity 'gelu'; valid: conv1d, .*leaky_relu, linear, relu, selu"),
        ((None,), TypeError, "nonlinearity must be a string"),
        (("leaky_relu", "0.1"), TypeError, "param"),
        (("leaky_relu", float("nan")), ValueError, "param"),
        (("relu", 0.1), ValueError, "param is only used with 'leaky_relu'"),
    ],
)
def test_calculate_gain_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        init.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(784, 256), (10, 10), [3, 7], (np.int64(5), 2)])
def test_fans_follow_the_course_convention(shape):
    assert init.fan_in_and_fan_out(shape) == (shape[0], shape[1])  # W.shape == (fan_in, fan_out)


@pytest.mark.parametrize(
    "shape, error, match",
    [
        ((10,), ValueError, r"shape must be 2-D, \(fan_in, fan_out\)"),
        (10, ValueError, "shape must be 2-D"),
        ((2, 3, 4), ValueError, "shape must be 2-D"),
        ((), ValueError, "shape must have at least one dimension"),
        ((0, 5), ValueError, "shape must have positive sizes"),
        ((3, -1), ValueError, "shape must have positive sizes"),
        ((2.5, 3), TypeError, "shape must be a tuple of positive ints"),
        ((True, 3), TypeError, "shape must be a tuple of positive ints"),
        (None, TypeError, "shape must be a tuple of positive ints"),
    ],
)
def test_fans_bad_shapes(shape, error, match):
    with pytest.raises(error, match=match):
        init.fan_in_and_fan_out(shape)


@pytest.mark.parametrize("name", FAN_BASED)
@pytest.mark.parametrize(
    "shape, error, match",
    [
        ((10,), ValueError, "shape must be 2-D"),
        ((2, 3, 4), ValueError, "shape must be 2-D"),
        ((0, 5), ValueError, "shape must have positive sizes"),
        ((3, -1), ValueError, "shape must have positive sizes"),
        ((2.5, 3), TypeError, "shape must be a tuple"),
        ("ab", TypeError, "shape must be a tuple"),
    ],
)
def test_fan_based_initializers_reject_bad_shapes(name, shape, error, match):
    with pytest.raises(error, match=match):
        init.get_initializer(name)(shape, rng=0)


@pytest.mark.parametrize("name", ["zeros", "constant", "normal", "uniform", "truncated_normal"])
@pytest.mark.parametrize("shape", [(3, 0), (-2,), 0])
def test_plain_initializers_reject_non_positive_sizes(name, shape):
    with pytest.raises(ValueError, match="shape must have positive sizes"):
        ALL_INITIALIZERS[name](shape, rng=0)


@pytest.mark.parametrize("name", ["zeros", "constant", "normal", "uniform", "truncated_normal"])
def test_plain_initializers_accept_any_number_of_dimensions(name):
    assert ALL_INITIALIZERS[name](5, rng=0).shape == (5,)
    assert ALL_INITIALIZERS[name]((2, 3, 4), rng=0).shape == (2, 3, 4)


@pytest.mark.parametrize("function", [init.kaiming_normal, init.kaiming_uniform])
def test_kaiming_bad_mode_nonlinearity_and_slope(function):
    with pytest.raises(ValueError, match="unknown mode 'fan_avg'; valid: fan_in, fan_out"):
        function((3, 4), mode="fan_avg", rng=0)
    with pytest.raises(TypeError, match="mode must be a string"):
        function((3, 4), mode=0, rng=0)
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'; valid: .*relu"):
        function((3, 4), nonlinearity="swish", rng=0)
    for nonlinearity in ["relu", "leaky_relu"]:
        with pytest.raises(TypeError, match="a must be a real number"):
            function((3, 4), a="0.1", nonlinearity=nonlinearity, rng=0)


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize(
    "rng, error, match",
    [
        ("seed", TypeError, "rng must be a numpy.random.Generator, an int seed or None, got str"),
        (1.5, TypeError, "rng must be .* got float"),
        (True, TypeError, "rng must be .* got bool"),
        (np.random.RandomState(0), TypeError, "rng must be .* got RandomState"),
        (-1, ValueError, "rng as a seed must be >= 0"),
    ],
)
def test_bad_rng(name, rng, error, match):
    with pytest.raises(error, match=match):
        init.get_initializer(name)((3, 4), rng=rng)


@pytest.mark.parametrize("name", sorted(ALL_INITIALIZERS))
@pytest.mark.parametrize(
    "dtype, error",
    [("int32", ValueError), ("float16", ValueError), (np.complex128, ValueError), (object, ValueError),
     ("no-such-type", TypeError)],
)
def test_bad_dtype(name, dtype, error):
    with pytest.raises(error, match=r"dtype must be one of \('float32', 'float64'\)"):
        ALL_INITIALIZERS[name]((3, 4), rng=0, dtype=dtype)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: init.xavier_normal((3, 4), gain=0, rng=0), ValueError, "gain must be > 0"),
        (lambda: init.xavier_uniform((3, 4), gain=-1.0, rng=0), ValueError, "gain must be > 0"),
        (lambda: init.orthogonal((3, 4), gain=0.0, rng=0), ValueError, "gain must be > 0"),
        (lambda: init.orthogonal((3, 4), gain="1", rng=0), TypeError, "gain must be a real number"),
        (lambda: init.normal((3, 4), std=-1, rng=0), ValueError, "std must be >= 0"),
        (lambda: init.normal((3, 4), mean=float("inf"), rng=0), ValueError, "mean must be finite"),
        (lambda: init.normal((3, 4), mean="0", rng=0), TypeError, "mean must be a real number"),
        (lambda: init.uniform((3, 4), a=1, b=1, rng=0), ValueError, "uniform needs a < b, got a=1.0, b=1.0"),
        (lambda: init.uniform((3, 4), a=2, b=-2, rng=0), ValueError, "uniform needs a < b"),
        (lambda: init.uniform((3, 4), a=None, rng=0), TypeError, "a must be a real number"),
        (lambda: init.constant((3,), float("nan")), ValueError, "val must be finite"),
        (lambda: init.constant((3,), "1"), TypeError, "val must be a real number"),
    ],
)
def test_bad_scalar_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------------
# sample std within 2% of the formula
# --------------------------------------------------------------------------------------------------


def kaiming_case(function, mode, nonlinearity, a=0.0):
    def std(fan_in, fan_out):
        gain = init.calculate_gain(nonlinearity, a) if nonlinearity == "leaky_relu" else init.calculate_gain(
            nonlinearity)
        return gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)  # Var = gain^2 / fan

    return function, {"mode": mode, "nonlinearity": nonlinearity, "a": a}, std, 0.0


# name -> (function, kwargs, std(fan_in, fan_out), mean)
FORMULAS = {
    "lecun_normal": (init.lecun_normal, {}, lambda i, o: math.sqrt(1 / i), 0.0),
    "lecun_uniform": (init.lecun_uniform, {}, lambda i, o: math.sqrt(1 / i), 0.0),
    "xavier_normal": (init.xavier_normal, {}, lambda i, o: math.sqrt(2 / (i + o)), 0.0),
    "xavier_normal gain 5/3": (init.xavier_normal, {"gain": 5 / 3}, lambda i, o: 5 / 3 * math.sqrt(2 / (i + o)), 0.0),
    "xavier_uniform": (init.xavier_uniform, {}, lambda i, o: math.sqrt(2 / (i + o)), 0.0),
    "xavier_uniform gain 2": (init.xavier_uniform, {"gain": 2.0}, lambda i, o: 2 * math.sqrt(2 / (i + o)), 0.0),
    "normal": (init.normal, {}, lambda i, o: 1.0, 0.0),
    "normal mean 0.5 std 0.05": (init.normal, {"mean": 0.5, "std": 0.05}, lambda i, o: 0.05, 0.5),
    "uniform": (init.uniform, {}, lambda i, o: 1 / math.sqrt(12), 0.5),  # U(0, 1), as PyTorch
    "uniform -0.3 0.3": (init.uniform, {"a": -0.3, "b": 0.3}, lambda i, o: 0.6 / math.sqrt(12), 0.0),
    "truncated_normal": (init.truncated_normal, {}, lambda i, o: init.truncated_normal_std(1.0, -2.0, 2.0), 0.0),
    "truncated_normal 0.02 [-0.04, 0.04]": (init.truncated_normal, {"std": 0.02, "a": -0.04, "b": 0.04},
                                             lambda i, o: init.truncated_normal_std(0.02, -0.04, 0.04), 0.0),
    # Orthonormal columns (tall) or rows (wide): the squares sum to min(shape), spread over fan_in * fan_out
    # entries, so E[w^2] = 1 / max(shape) and std = gain / sqrt(max(fan_in, fan_out)).
    "orthogonal": (init.orthogonal, {}, lambda i, o: 1 / math.sqrt(max(i, o)), 0.0),
    "orthogonal gain 3": (init.orthogonal, {"gain": 3.0}, lambda i, o: 3 / math.sqrt(max(i, o)), 0.0),
}
for _function in (init.kaiming_normal, init.kaiming_uniform):
    for _mode in ("fan_in", "fan_out"):
        for _nonlinearity, _a in (("relu", 0.0), ("leaky_relu", 0.0), ("leaky_relu", 0.2), ("tanh", 0.0),
                                  ("linear", 0.0), ("selu", 0.0)):
            FORMULAS[f"{_function.__name__} {_mode} {_nonlinearity} a={_a}"] = kaiming_case(
                _function, _mode, _nonlinearity, _a)
# torch.nn.Linear's default, kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)), std 1/sqrt(3 fan_in)
FORMULAS["kaiming_uniform torch.nn.Linear default"] = (
    init.kaiming_uniform, {"a": math.sqrt(5), "nonlinearity": "leaky_relu"}, lambda i, o: 1 / math.sqrt(3 * i), 0.0)


@pytest.mark.parametrize("shape", STD_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", sorted(FORMULAS))
def test_sample_std_matches_the_formula(case, shape):
    function, kwargs, std_formula, mean = FORMULAS[case]
    std = std_formula(*shape)
    w = function(shape, rng=0, **kwargs)
    assert w.shape == shape
    assert rel(w.std(), std) < 0.02, f"{case}: sample std {w.std():.5g}, formula {std:.5g}"
    # The standard error of the mean is std / sqrt(n) <= std / 707: 0.01 std is 7 standard errors.
    assert abs(w.mean() - mean) < 0.01 * std


def test_wrong_fan_would_be_caught():
    """The 2% tolerance separates fan_in from fan_out and from Xavier's average on a 1000 x 500 draw."""
    w = init.kaiming_normal((1000, 500), rng=0)
    assert rel(w.std(), math.sqrt(2 / 500)) > 0.2  # fan_out
    assert rel(w.std(), math.sqrt(2 / 1500) * math.sqrt(2)) > 0.1  # 2 * 2 / (fan_in + fan_out)
    assert rel(init.lecun_normal((1000, 500), rng=0).std(), math.sqrt(2 / 1500)) > 0.1  # LeCun is not Xavier


UNIFORM_BOUNDS = [
    (init.lecun_uniform, {}, lambda i, o: math.sqrt(3 / i)),
    (init.xavier_uniform, {}, lambda i, o: math.sqrt(6 / (i + o))),
    (init.xavier_uniform, {"gain": 2.0}, lambda i, o: 2 * math.sqrt(6 / (i + o))),
    (init.kaiming_uniform, {}, lambda i, o: math.sqrt(6 / i)),
    (init.kaiming_uniform, {"mode": "fan_out"}, lambda i, o: math.sqrt(6 / o)),
    (init.kaiming_uniform, {"nonlinearity": "leaky_relu", "a": 0.2}, lambda i, o: math.sqrt(6 / 1.04 / i)),
    (init.kaiming_uniform, {"nonlinearity": "tanh"}, lambda i, o: 5 / 3 * math.sqrt(3 / i)),
    (init.uniform, {"a": -0.3, "b": 0.3}, lambda i, o: 0.3),
]


@pytest.mark.parametrize("shape", STD_SHAPES[1:], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("function, kwargs, bound", UNIFORM_BOUNDS)
def test_uniform_variants_respect_their_bound(function, kwargs, bound, shape):
    bound = bound(*shape)
    w = function(shape, rng=1, **kwargs)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.999 * bound  # and fill the interval: it is not a narrower one


def test_uniform_default_interval_and_zeros_and_constant():
    w = init.uniform((100, 100), rng=0)
    assert 0.0 <= w.min() and w.max() < 1.0
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


BINS = 40


def chi_square_against_truncated_density(x, mean, std, a, b, bins=BINS):
    """Pearson's chi-square of the histogram of x on [a, b] against the exact truncated-normal bin
    probabilities (Phi(right) - Phi(left)) / (Phi(b) - Phi(a)), with Phi computed from math.erf."""
    edges = np.linspace(a, b, bins + 1)
    cdf = np.array([normal_cdf(edge, mean, std) for edge in edges])
    expected = np.diff(cdf) / (cdf[-1] - cdf[0])
    assert np.all(x.size * expected > 5), "every bin needs > 5 expected counts for the chi-square approximation"
    counts, _ = np.histogram(x, bins=edges)
    assert counts.sum() == x.size  # np.histogram counts b in the last bin: nothing is lost
    return float(np.sum((counts - x.size * expected) ** 2 / (x.size * expected)))


# If x follows the density, the statistic is chi-square with BINS - 1 = 39 degrees of freedom: mean 39,
# std 8.8, and above 72.1 with probability 0.1% (Wilson-Hilferty). The seeds are fixed, so the test is
# deterministic; the limit says a correct sampler passes for all but 1 in 1000 seeds. A sampler that is
# wrong by 1% in a bin's probability adds about n * 0.01^2 * p_bin ~ 0.5 per bin at n = 200000.
CHI2_LIMIT_39_DOF = 72.1
N_SAMPLES = 200_000

TRUNCATIONS = [
    (0.0, 1.0, -2.0, 2.0),  # the default: +-2 std
    (0.5, 2.0, -1.0, 4.0),  # mean != 0 and asymmetric absolute bounds
    (0.0, 0.02, -0.04, 0.04),  # a and b absolute, not multiples of std (here +-2 std)
    (-1.0, 0.5, -2.0, -0.5),  # entirely below zero
    # Far in the tail: the normal proposal would accept 0.6% of its draws, so the U(a, b) proposal is used.
    (0.0, 1.0, 2.5, 4.0),
    (0.0, 1.0, -0.1, 0.1),  # narrow: the uniform proposal too
]


@pytest.mark.parametrize("mean, std, a, b", TRUNCATIONS)
def test_truncated_normal_matches_the_exact_density(mean, std, a, b):
    x = init.truncated_normal((N_SAMPLES,), mean=mean, std=std, a=a, b=b, rng=3)
    assert x.shape == (N_SAMPLES,) and np.all(np.isfinite(x))
    assert x.min() >= a and x.max() <= b
    assert on_bounds_fraction(x, a, b) < 1e-4  # continuous: no value piles up on a bound
    assert chi_square_against_truncated_density(x, mean, std, a, b) < CHI2_LIMIT_39_DOF
    assert rel(x.std(), init.truncated_normal_std(std, a, b, mean)) < 0.01


def test_truncated_normal_float32_respects_the_bounds():
    x = init.truncated_normal((100_000,), std=0.02, a=-0.04, b=0.04, rng=5, dtype="float32")
    assert x.dtype == np.float32
    assert x.min() >= np.float32(-0.04) and x.max() <= np.float32(0.04)


def test_clipping_fails_the_same_checks():
    """The criteria above catch the clipping myth: 4.55% of the values sit on +-2 and the histogram's end
    bins are far too full (Pearson's statistic is hundreds of times the limit)."""
    x = np.clip(np.random.default_rng(3).standard_normal(N_SAMPLES), -2.0, 2.0)
    assert x.min() >= -2.0 and x.max() <= 2.0  # the bounds alone do not catch it ...
    assert on_bounds_fraction(x, -2.0, 2.0) == pytest.approx(math.erfc(2 / math.sqrt(2)), abs=0.002)  # 4.55%
    assert on_bounds_fraction(x, -2.0, 2.0) > 1e-4  # ... the pile-up does,
    assert chi_square_against_truncated_density(x, 0.0, 1.0, -2.0, 2.0) > 10 * CHI2_LIMIT_39_DOF  # the histogram,
    assert rel(x.std(), init.truncated_normal_std(1.0, -2.0, 2.0)) > 0.05  # and the std (0.959 vs 0.880).


def test_truncated_normal_std_known_values():
    assert init.truncated_normal_std(1.0, -2.0, 2.0) == pytest.approx(0.87962566, abs=1e-7)  # Keras' constant
    assert init.truncated_normal_std(3.0, -6.0, 6.0) == pytest.approx(3 * 0.87962566, abs=1e-6)
    assert init.truncated_normal_std(1.0, -50.0, 50.0) == pytest.approx(1.0, abs=1e-12)  # no truncation
    # One-sided at the mean: the half-normal, std sqrt(1 - 2/pi).
    assert init.truncated_normal_std(1.0, 0.0, 50.0) == pytest.approx(math.sqrt(1 - 2 / math.pi), rel=1e-12)
    assert init.truncated_normal_std(2.0, 1.0, 51.0, mean=1.0) == pytest.approx(2 * math.sqrt(1 - 2 / math.pi))


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: init.truncated_normal((3,), a=2.0, b=2.0, rng=0), ValueError, "truncated normal needs a < b"),
        (lambda: init.truncated_normal((3,), a=3.0, b=-3.0, rng=0), ValueError, "a < b, got a=3.0, b=-3.0"),
        (lambda: init.truncated_normal((3,), std=0.0, rng=0), ValueError, "std must be > 0"),
        (lambda: init.truncated_normal((3,), mean=float("nan"), rng=0), ValueError, "mean must be finite"),
        (lambda: init.truncated_normal((3,), a="-2", rng=0), TypeError, "a must be a real number"),
        (lambda: init.truncated_normal((3,), a=40.0, b=1000.0, rng=0), ValueError,
         r"\[a, b\] = \[40.0, 1000.0\] lies too far in the tail"),
        (lambda: init.truncated_normal_std(1.0, 1.0, 0.0), ValueError, "truncated normal needs a < b"),
        (lambda: init.truncated_normal_std(-1.0), ValueError, "std must be > 0"),
        (lambda: init.truncated_normal_std(1.0, 50.0, 60.0), ValueError, r"\[a, b\] = \[50.0, 60.0\] holds no"),
    ],
)
def test_truncated_normal_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------------
# orthogonal
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 3), (50, 20), (5, 5), (64, 64), (3, 7), (20, 50), (1, 6), (6, 1)])
@pytest.mark.parametrize("gain", [1.0, 1.5])
def test_orthogonal_shapes_and_orthonormality(shape, gain):
    w = init.orthogonal(shape, gain=gain, rng=4)
    assert w.shape == shape  # also for wide shapes, where a reduced QR alone gives the transpose
    rows, cols = shape
    if rows >= cols:  # tall or square: orthonormal columns
        np.testing.assert_allclose(w.T @ w, gain**2 * np.eye(cols), atol=1e-12)
    else:  # wide: orthonormal rows
        np.testing.assert_allclose(w @ w.T, gain**2 * np.eye(rows), atol=1e-12)
    if rows == cols:
        np.testing.assert_allclose(w @ w.T, gain**2 * np.eye(rows), atol=1e-12)


def test_orthogonal_is_random():
    assert not np.allclose(init.orthogonal((4, 4), rng=0), init.orthogonal((4, 4), rng=1))
    # Haar-distributed (signs of R's diagonal fixed): the mean of W[0, 0] over many draws is ~0, whereas
    # Q of a plain LAPACK QR always has Q[0, 0] < 0 (Householder makes R[0, 0] = -sign(A[0, 0]) ||A[:, 0]||).
    first = np.array([init.orthogonal((3, 3), rng=seed)[0, 0] for seed in range(2000)])
    assert abs(first.mean()) < 0.05  # std of W[0,0] is 1/sqrt(3); 0.05 is 3.8 standard errors


# --------------------------------------------------------------------------------------------------
# determinism, dtypes, names
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_same_array_and_a_generator_is_consumed(name):
    f = init.get_initializer(name)
    assert np.array_equal(f((20, 10), rng=5), f((20, 10), rng=5))
    assert np.array_equal(f((20, 10), rng=np.random.default_rng(5)), f((20, 10), rng=5))
    assert not np.array_equal(f((20, 10), rng=5), f((20, 10), rng=6))
    rng = np.random.default_rng(5)
    assert not np.array_equal(f((20, 10), rng=rng), f((20, 10), rng=rng)), "a Generator is consumed"


@pytest.mark.parametrize("name", RANDOM)
def test_numpy_global_state_is_neither_used_nor_consumed(name):
    f = init.get_initializer(name)
    np.random.seed(0)
    first = f((20, 10), rng=7)
    np.random.seed(1)
    assert np.array_equal(first, f((20, 10), rng=7)), "np.random.seed must not matter"

    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    f((20, 10), rng=7)
    f((20, 10), rng=None)
    assert np.random.random() == expected_next, "the global state was consumed"

    np.random.seed(0)
    a = f((20, 10), rng=None)
    np.random.seed(0)
    b = f((20, 10), rng=None)
    assert not np.array_equal(a, b), "rng=None must mean fresh entropy, not the seeded global state"


@pytest.mark.parametrize("name", sorted(ALL_INITIALIZERS))
@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.dtype("float64")])
@pytest.mark.parametrize("shape", [(6, 4), (4, 6)])
def test_dtype_and_shape(name, dtype, shape):
    w = ALL_INITIALIZERS[name](shape, rng=0, dtype=dtype)
    assert isinstance(w, np.ndarray)
    assert w.shape == shape and w.dtype == np.dtype(dtype)


@pytest.mark.parametrize("name", sorted(ALL_INITIALIZERS))
def test_default_dtype_is_float64(name):
    assert ALL_INITIALIZERS[name]((3, 2), rng=0).dtype == np.float64


@pytest.mark.parametrize(
    "alias, target",
    [("glorot", "xavier_normal"), ("glorot_normal", "xavier_normal"), ("glorot_uniform", "xavier_uniform"),
     ("Glorot-Uniform", "xavier_uniform"), ("xavier", "xavier_normal"), ("XAVIER-NORMAL", "xavier_normal"),
     ("he", "kaiming_normal"), ("He", "kaiming_normal"), ("he_normal", "kaiming_normal"),
     ("he-normal", "kaiming_normal"), ("he_uniform", "kaiming_uniform"), ("HE_UNIFORM", "kaiming_uniform"),
     ("kaiming", "kaiming_normal"), ("Kaiming-Uniform", "kaiming_uniform"), ("lecun", "lecun_normal"),
     ("LeCun_Uniform", "lecun_uniform"), ("trunc_normal", "truncated_normal"), ("trunc-normal", "truncated_normal"),
     ("orthogonal", "orthogonal"), (" Normal ", "normal"), ("zeros", "zeros")],
)
def test_get_initializer_aliases(alias, target):
    assert init.get_initializer(alias) is getattr(init, target)


def test_get_initializer_bad_names_and_callables():
    with pytest.raises(ValueError, match="unknown initializer 'hee'; valid names: .*he_normal.*xavier_uniform"):
        init.get_initializer("hee")
    with pytest.raises(TypeError, match="initializer name must be a string, got int"):
        init.get_initializer(3)

    def mine(shape, rng=None):
        return np.ones(shape)

    assert init.get_initializer(mine) is mine
    partial = functools.partial(init.normal, std=0.1)
    assert init.get_initializer(partial) is partial


def test_initializers_table_is_consistent():
    for name, function in init.INITIALIZERS.items():
        assert function.__name__ == name
    assert set(init.INITIALIZERS) <= set(init.__all__)


def test_kaiming_defaults_to_leaky_relu_as_pytorch_so_a_gives_nn_linears_default():
    """torch.nn.Linear: kaiming_uniform_(W, a=sqrt(5)) with PyTorch's default nonlinearity 'leaky_relu':
    U(+-1/sqrt(fan_in)). With a = 0 the default is He's sqrt(2) gain, as before."""
    w = init.kaiming_uniform((400, 300), a=math.sqrt(5), rng=0)
    assert np.abs(w).max() <= 1 / math.sqrt(400) and np.abs(w).max() > 0.99 / math.sqrt(400)
    he = init.kaiming_normal((50, 40), nonlinearity="relu", rng=1)
    assert np.array_equal(init.kaiming_normal((50, 40), rng=1), he)
    for initializer in (init.kaiming_uniform, init.kaiming_normal):
        with pytest.raises(ValueError, match="only used with nonlinearity='leaky_relu'"):
            initializer((4, 3), a=math.sqrt(5), nonlinearity="relu")  # a would be silently ignored
