"""Weight initializers, with the names and semantics of PyTorch's ``torch.nn.init``.

Conventions of this course: a weight matrix has shape ``(fan_in, fan_out)`` and a layer computes
``z = a @ W + b``. So ``fan_in = shape[0]`` (inputs of a unit) and ``fan_out = shape[1]`` (units of
the layer). (PyTorch stores ``(out_features, in_features)``; the fans are the same numbers.)

Convolution weights keep PyTorch's layout ``(C_out, C_in, kH, kW)`` (``course_lib.conv``), and their fans count
the receptive field, as ``torch.nn.init._calculate_fan_in_and_fan_out``: ``fan_in = C_in * kH * kW`` (the
inputs one output sums over) and ``fan_out = C_out * kH * kW``. So the two layouts relate as follows: a dense
layer's weight here is the transpose of ``torch.nn.Linear.weight`` (``W_course = W_torch.T``, first axis = fan_in),
while a conv weight is stored as in ``torch.nn.Conv2d.weight`` (first axis = output channels). Every
initializer takes either shape; the fan-based ones use the fans above.

Every initializer takes ``shape`` first and returns a new array. Random ones take ``rng``: a
``numpy.random.Generator``, an int seed, or None for fresh entropy. Nothing uses numpy's global state.

The scaled initializers all draw from a zero-mean distribution with a chosen variance:

====================  =======================================  ==========================================
name                  Var[W]                                   source
====================  =======================================  ==========================================
lecun_normal/uniform  1 / fan_in                               LeCun et al. 1998, "Efficient BackProp", 4.6
xavier_normal/uniform gain^2 * 2 / (fan_in + fan_out)          Glorot & Bengio 2010, eq. (12), (16)
kaiming_normal/unif.  gain^2 / fan   (fan = fan_in or fan_out) He et al. 2015, "Delving Deep", eq. (10), (14)
====================  =======================================  ==========================================

A uniform distribution U(-bound, bound) has variance bound^2 / 3, so each uniform variant uses
``bound = sqrt(3) * std``.
"""

import math

import numpy as np

from ._checks import as_dtype, as_float, as_rng, as_shape, choose

__all__ = [
    "calculate_gain",
    "fan_in_and_fan_out",
    "zeros",
    "constant",
    "normal",
    "uniform",
    "truncated_normal",
    "truncated_normal_std",
    "lecun_normal",
    "lecun_uniform",
    "xavier_normal",
    "xavier_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "orthogonal",
    "get_initializer",
    "INITIALIZERS",
]

# --------------------------------------------------------------------------------------------------
# Shared helpers: gain and fans
# --------------------------------------------------------------------------------------------------

_GAIN_ONE = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d")
NONLINEARITIES = _GAIN_ONE + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity, param=None):
    """Recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    The gain g restores the variance that the nonlinearity removes, so that ``Var[W] = g^2 / fan``
    keeps activations at a steady scale:

    ================  ==========================
    nonlinearity      gain
    ================  ==========================
    linear, identity  1
    sigmoid           1
    tanh              5/3
    relu              sqrt(2)
    leaky_relu        sqrt(2 / (1 + slope^2))   (``param`` = negative slope, default 0.01)
    selu              3/4
    ================  ==========================

    ReLU zeroes half of a symmetric input, halving E[a^2], hence sqrt(2) (He et al. 2015, Sec. 2.2).
    The 5/3 for tanh and 3/4 for SELU are PyTorch's empirical choices.
    """
    choose(nonlinearity, "nonlinearity", NONLINEARITIES)
    if nonlinearity != "leaky_relu" and param is not None:
        raise ValueError(f"param is only used with 'leaky_relu', got param={param!r} for {nonlinearity!r}")
    if nonlinearity in _GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    slope = 0.01 if param is None else as_float(param, "param (the negative slope)")
    return math.sqrt(2.0 / (1.0 + slope**2))


def fan_in_and_fan_out(shape):
    """Return ``(fan_in, fan_out)`` of a dense weight ``(fan_in, fan_out)`` or a conv weight ``(C_out, C_in, kH, kW)``.

    fan_in is the number of inputs each unit sums over; fan_out the number of units fed by each input.
    A conv output sums over C_in channels of a kH x kW patch, so fan_in = C_in * kH * kW; each input pixel
    feeds C_out channels at kH * kW positions, so fan_out = C_out * kH * kW (PyTorch's
    ``torch.nn.init._calculate_fan_in_and_fan_out``: fan = size(1 or 0) * receptive field size).
    Note the two layouts: the dense shape starts with fan_in (the course's ``x @ W``), the conv shape with
    C_out (PyTorch's layout, which ``course_lib.conv`` keeps).
    """
    dims = _weight_shape(shape)
    if len(dims) == 4:
        c_out, c_in, k_h, k_w = dims
        return c_in * k_h * k_w, c_out * k_h * k_w
    fan_in, fan_out = dims
    return fan_in, fan_out


def _weight_shape(shape):
    """``shape`` as a tuple of positive ints with 2 dimensions (dense) or 4 (conv), else a ValueError."""
    dims = as_shape(shape)
    if len(dims) not in (2, 4):
        raise ValueError(f"shape must be 2-D, (fan_in, fan_out), or 4-D, (C_out, C_in, kH, kW), got {shape!r} "
                         f"with {len(dims)} dimension(s)")
    return dims


def _normal(shape, std, rng, dtype):
    return as_rng(rng).normal(0.0, std, size=shape).astype(as_dtype(dtype), copy=False)


def _uniform(shape, bound, rng, dtype):
    return as_rng(rng).uniform(-bound, bound, size=shape).astype(as_dtype(dtype), copy=False)


# --------------------------------------------------------------------------------------------------
# Plain distributions
# --------------------------------------------------------------------------------------------------


def zeros(shape, rng=None, dtype="float64"):
    """All zeros. Fine for biases; for weights it makes every unit of a layer identical forever
    (they get identical gradients), the symmetry problem of chapter 01.

    ``rng`` is not used; it is accepted so that every initializer can be called as ``init(shape, rng=rng)``.
    """
    return np.zeros(as_shape(shape), dtype=as_dtype(dtype))


def constant(shape, val, rng=None, dtype="float64"):
    """All equal to ``val``. The same symmetry problem as ``zeros`` when used for weights.
    (``rng`` is not used, as in ``zeros``.)"""
    return np.full(as_shape(shape), as_float(val, "val"), dtype=as_dtype(dtype))


def normal(shape, mean=0.0, std=1.0, rng=None, dtype="float64"):
    """Samples of N(mean, std^2)."""
    mean = as_float(mean, "mean")
    std = as_float(std, "std", nonnegative=True)
    return _normal(as_shape(shape), std, rng, dtype) + np.asarray(mean, dtype=as_dtype(dtype))


def uniform(shape, a=0.0, b=1.0, rng=None, dtype="float64"):
    """Samples of U(a, b), as ``torch.nn.init.uniform_`` (default a=0, b=1)."""
    a, b = as_float(a, "a"), as_float(b, "b")
    if not a < b:
        raise ValueError(f"uniform needs a < b, got a={a}, b={b}")
    return as_rng(rng).uniform(a, b, size=as_shape(shape)).astype(as_dtype(dtype), copy=False)


# --------------------------------------------------------------------------------------------------
# Truncated normal: true truncation by rejection, never clipping
# --------------------------------------------------------------------------------------------------


def _standard_normal_mass(alpha, beta):
    """P(alpha <= Z <= beta) for Z ~ N(0, 1), accurate in the tails (uses erfc, not 1 - erf)."""
    if alpha >= 0:
        return 0.5 * (math.erfc(alpha / math.sqrt(2)) - math.erfc(beta / math.sqrt(2)))
    if beta <= 0:
        return 0.5 * (math.erfc(-beta / math.sqrt(2)) - math.erfc(-alpha / math.sqrt(2)))
    return 0.5 * (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2)))


def truncated_normal_std(std=1.0, a=-2.0, b=2.0, mean=0.0):
    """Standard deviation of N(mean, std^2) truncated to [a, b].

    With alpha = (a - mean)/std, beta = (b - mean)/std, phi the standard normal density and
    Z = Phi(beta) - Phi(alpha):

        Var = std^2 * (1 + (alpha*phi(alpha) - beta*phi(beta)) / Z - ((phi(alpha) - phi(beta)) / Z)^2)

    (Johnson, Kotz & Balakrishnan, "Continuous Univariate Distributions", vol. 1, ch. 13.10).
    For the default [-2, 2] this is 0.8796 * std: truncation shrinks the spread, which is why Keras
    divides its std by 0.87962566 in ``VarianceScaling``.
    """
    std = as_float(std, "std", positive=True)
    mean, a, b = as_float(mean, "mean"), as_float(a, "a"), as_float(b, "b")
    if not a < b:
        raise ValueError(f"truncated normal needs a < b, got a={a}, b={b}")
    alpha, beta = (a - mean) / std, (b - mean) / std
    phi = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # noqa: E731
    z = _standard_normal_mass(alpha, beta)
    if z < 1e-300:
        raise ValueError(f"[a, b] = [{a}, {b}] holds no measurable mass of N({mean}, {std}^2)")
    term1 = (alpha * phi(alpha) - beta * phi(beta)) / z
    term2 = (phi(alpha) - phi(beta)) / z
    return std * math.sqrt(max(1.0 + term1 - term2**2, 0.0))


def truncated_normal(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, rng=None, dtype="float64"):
    """Samples of N(mean, std^2) conditioned on a <= x <= b, as ``torch.nn.init.trunc_normal_``.

    ``a`` and ``b`` are absolute bounds (not multiples of std), as in PyTorch. ``std`` is the std of
    the normal *before* truncation; the samples' own std is smaller (see ``truncated_normal_std``).

    Method: rejection sampling. Draw every value from N(mean, std^2), then redraw the values that fell
    outside [a, b], until none is left. A value that is kept was accepted with the same probability wherever
    it lies inside [a, b], so the kept values follow the normal density cut to [a, b], scaled up: exactly
    the truncated normal (Robert & Casella, "Monte Carlo Statistical Methods", 2004, Sec. 2.3).
    Each draw lands inside with probability P(a <= X <= b) (95.4% for +-2 std), so few rounds are needed.

    Clipping a normal to [a, b] is *not* a truncated normal: every value outside lands exactly on a
    bound (4.6% of all weights for +-2 std). Chapter 01 measures this.
    """
    shape = as_shape(shape)
    mean, std = as_float(mean, "mean"), as_float(std, "std", positive=True)
    a, b = as_float(a, "a"), as_float(b, "b")
    if not a < b:
        raise ValueError(f"truncated normal needs a < b, got a={a}, b={b}")
    if _standard_normal_mass((a - mean) / std, (b - mean) / std) < 1e-3:
        raise ValueError(f"[a, b] = [{a}, {b}] lies too far in the tail of N({mean}, {std}^2) to sample by "
                         "rejection (fewer than 1 draw in 1000 would land inside); use bounds nearer the mean")
    rng = as_rng(rng)
    samples = rng.normal(mean, std, size=shape)
    outside = np.flatnonzero((samples < a) | (samples > b))  # positions in the flattened array
    while outside.size:
        samples.flat[outside] = rng.normal(mean, std, size=outside.size)  # redraw them
        redrawn = samples.flat[outside]
        outside = outside[(redrawn < a) | (redrawn > b)]
    return samples.astype(as_dtype(dtype), copy=False)


# --------------------------------------------------------------------------------------------------
# Variance-scaling initializers
# --------------------------------------------------------------------------------------------------


def lecun_normal(shape, rng=None, dtype="float64"):
    """LeCun normal: W ~ N(0, std^2), std = 1 / sqrt(fan_in).

    Source: LeCun, Bottou, Orr & Mueller 1998, "Efficient BackProp", Sec. 4.6: with unit-variance
    inputs, std = fan_in^(-1/2) keeps each pre-activation at unit variance. This is what "variance
    1/n" means; it is often mislabelled Xavier. (Keras' ``lecun_normal`` draws from a truncated
    normal with a corrected std; the variance is the same.)
    """
    fan_in, _ = fan_in_and_fan_out(shape)
    std = math.sqrt(1.0 / fan_in)
    return _normal(shape, std, rng, dtype)


def lecun_uniform(shape, rng=None, dtype="float64"):
    """LeCun uniform: W ~ U(-bound, bound), bound = sqrt(3 / fan_in): variance bound^2 / 3 = 1 / fan_in
    (LeCun et al. 1998)."""
    fan_in, _ = fan_in_and_fan_out(shape)
    bound = math.sqrt(3.0 / fan_in)
    return _uniform(shape, bound, rng, dtype)


def xavier_normal(shape, gain=1.0, rng=None, dtype="float64"):
    """Xavier/Glorot normal: W ~ N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).

    Source: Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural
    networks", Sec. 4.2.1, eq. (12): forward propagation wants Var[W] = 1/fan_in, backward wants
    1/fan_out; Xavier takes the compromise 2/(fan_in + fan_out). Derived for linear/tanh units:
    with ReLU the activations shrink layer by layer (chapter 01 measures it).
    ``randn * sqrt(2 / fan_in)`` is He's formula, not Xavier's.
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    gain = as_float(gain, "gain", positive=True)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _normal(shape, std, rng, dtype)


def xavier_uniform(shape, gain=1.0, rng=None, dtype="float64"):
    """Xavier/Glorot uniform: W ~ U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)).

    Source: Glorot & Bengio 2010, eq. (16), the "normalized initialization"; the same variance as
    ``xavier_normal`` (bound^2 / 3 = gain^2 * 2 / (fan_in + fan_out)).
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    gain = as_float(gain, "gain", positive=True)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform(shape, bound, rng, dtype)


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None, dtype="float64"):
    """Kaiming/He normal: W ~ N(0, std^2), std = gain / sqrt(fan), as ``torch.nn.init.kaiming_normal_``.

    Source: He, Zhang, Ren & Sun 2015, "Delving Deep into Rectifiers", Sec. 2.2. A ReLU keeps half of
    its input's second moment, so Var[W] = 2/fan_in (eq. 10) keeps the forward signal steady;
    ``mode="fan_out"`` uses 2/fan_out (eq. 14) to keep the backward signal steady instead.
    ``gain = calculate_gain(nonlinearity, a)``: sqrt(2) for ReLU; ``a`` is the negative slope of leaky_relu.
    As in PyTorch, ``nonlinearity`` defaults to ``"leaky_relu"`` with ``a = 0``, which is the ReLU's sqrt(2).
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    fan = fan_in if choose(mode, "mode", ("fan_in", "fan_out")) == "fan_in" else fan_out
    gain = _kaiming_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return _normal(shape, std, rng, dtype)


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng=None, dtype="float64"):
    """Kaiming/He uniform: W ~ U(-bound, bound), bound = gain * sqrt(3 / fan), as PyTorch's
    ``kaiming_uniform_`` (He et al. 2015, Sec. 2.2; the same variance as ``kaiming_normal``).

    Note: ``torch.nn.Linear`` does *not* use this default; it calls ``kaiming_uniform_(a=sqrt(5))``,
    which gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), variance 1/(3 fan_in). Here that is
    ``kaiming_uniform(shape, a=math.sqrt(5))``, with ``nonlinearity="leaky_relu"``, the default here as in
    PyTorch. (PyTorch silently ignores ``a`` for another nonlinearity; here that is a ValueError.)
    """
    fan_in, fan_out = fan_in_and_fan_out(shape)
    fan = fan_in if choose(mode, "mode", ("fan_in", "fan_out")) == "fan_in" else fan_out
    gain = _kaiming_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std  # U(-bound, bound) has variance bound^2 / 3 = std^2
    return _uniform(shape, bound, rng, dtype)


def _kaiming_gain(nonlinearity, a):
    """``calculate_gain(nonlinearity, a)``, with ``a`` (the negative slope) passed on only for leaky_relu,
    and checked here so that a bad one is reported as ``a``."""
    a = as_float(a, "a")
    if nonlinearity != "leaky_relu" and a != 0:
        raise ValueError(f"a (the negative slope, {a!r}) is only used with nonlinearity='leaky_relu' (the default), "
                         f"got nonlinearity={nonlinearity!r}, which would ignore it")
    return calculate_gain("leaky_relu", a) if nonlinearity == "leaky_relu" else calculate_gain(nonlinearity)


def orthogonal(shape, gain=1.0, rng=None, dtype="float64"):
    """A (semi-)orthogonal matrix times ``gain``, as ``torch.nn.init.orthogonal_``.

    Source: Saxe, McClelland & Ganguli 2014, "Exact solutions to the nonlinear dynamics of learning in
    deep linear neural networks": orthogonal weights preserve the norm of every input direction. For a row
    vector x, ||x W||^2 = x W W.T x.T, so that holds for square and wide W (W W.T = I); a tall W only has
    orthonormal columns and shortens inputs outside their span: ||x W|| <= ||x||.

    Method: QR-decompose a Gaussian matrix of shape (max, min) (the *reduced* QR gives Q of that same
    tall shape), multiply each column of Q by the sign of R's diagonal so the result is uniformly
    (Haar) distributed (Mezzadri 2007), and transpose back when the requested shape is wide. So:
    tall or square (fan_in >= fan_out): ``W.T @ W = gain^2 I``; wide: ``W @ W.T = gain^2 I``.
    Using Q of the reduced QR without the transpose returns the wrong shape for wide matrices.

    A conv weight (C_out, C_in, kH, kW) is made as the matrix (C_out, C_in*kH*kW) and reshaped, as PyTorch's
    ``orthogonal_`` flattens it: when C_out <= C_in*kH*kW its C_out filters, flattened, are orthonormal.
    """
    dims = _weight_shape(shape)
    rows, cols = (dims[0], math.prod(dims[1:])) if len(dims) == 4 else dims
    gain = as_float(gain, "gain", positive=True)
    gaussian = as_rng(rng).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(gaussian)  # q: (max, min), orthonormal columns
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    q = q * signs
    if rows < cols:
        q = q.T
    return (gain * q).reshape(dims).astype(as_dtype(dtype), copy=False)


# --------------------------------------------------------------------------------------------------
# Look-up by name
# --------------------------------------------------------------------------------------------------

INITIALIZERS = {
    "zeros": zeros,
    "normal": normal,
    "uniform": uniform,
    "truncated_normal": truncated_normal,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "kaiming_normal": kaiming_normal,
    "kaiming_uniform": kaiming_uniform,
    "orthogonal": orthogonal,
}

ALIASES = {
    "zero": "zeros",
    "randn": "normal",
    "gaussian": "normal",
    "trunc_normal": "truncated_normal",
    "lecun": "lecun_normal",
    "xavier": "xavier_normal",
    "glorot": "xavier_normal",
    "glorot_normal": "xavier_normal",
    "glorot_uniform": "xavier_uniform",
    "kaiming": "kaiming_normal",
    "he": "kaiming_normal",
    "he_normal": "kaiming_normal",
    "he_uniform": "kaiming_uniform",
}


def get_initializer(name):
    """Return the initializer called ``name`` (case and '-'/'_' do not matter).

    Aliases: glorot = xavier, he = kaiming, trunc_normal = truncated_normal; a bare family name means
    its normal variant ("he" -> kaiming_normal). A callable is returned as it is.
    """
    if callable(name):
        return name
    if not isinstance(name, str):
        raise TypeError(f"initializer name must be a string, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in INITIALIZERS:
        valid = sorted(set(INITIALIZERS) | set(ALIASES))
        raise ValueError(f"unknown initializer {name!r}; valid names: {', '.join(valid)}")
    return INITIALIZERS[key]
