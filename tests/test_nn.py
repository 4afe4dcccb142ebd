"""course_lib.nn: the MLP and softmax cross-entropy, gradient-checked in float64."""

import functools

import numpy as np
import pytest

from course_lib import init
from course_lib.nn import (
    ACTIVATIONS,
    LEAKY_RELU_SLOPE,
    MLP,
    log_softmax,
    softmax,
    softmax_cross_entropy,
)

# --------------------------------------------------------------------------------------------------
# gradient checking
# --------------------------------------------------------------------------------------------------

TINY = 1e-300  # only guards 0 / 0: entries where both gradients are exactly 0 count as agreeing
GRAD_CHECK_TOLERANCE = 1e-7


def relative_error(analytic, numeric):
    """max over entries of |a - n| / max(|a| + |n|, tiny)."""
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    return float(np.max(np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), TINY)))


def numeric_gradient(f, array, h=1e-4):
    """Centered finite differences of the scalar f() with respect to every entry of ``array`` (changed in
    place and restored).

    The fourth-order centered stencil (f(x-2h) - 8 f(x-h) + 8 f(x+h) - f(x+2h)) / 12h has truncation error
    O(h^4) (~1e-16 here) and rounding error ~ 10 eps |f| / 12h ~ 2e-12 at h = 1e-4. The two-point
    (f(x+h) - f(x-h)) / 2h cannot get below ~1e-11 at any h, which is a relative error above 1e-7 for the
    entries under 1e-4 that sigmoid and leaky-ReLU nets have. The differences are taken first, so that equal
    values give exactly 0 (a dead unit's gradient).
    """
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        values = {}
        for k in (2, 1, -1, -2):
            array[index] = saved + k * h
            values[k] = f()
        array[index] = saved
        grad[index] = (8 * (values[1] - values[-1]) - (values[2] - values[-2])) / (12 * h)
    return grad


def small_problem(activation, seed=11):
    """A 4-6-5-3 MLP (two hidden layers) in float64 with non-zero, different biases, and a batch of 7.

    Seed 11 keeps every hidden pre-activation at least 6e-4 away from the ReLU kink at 0 (asserted below).
    """
    rng = np.random.default_rng(seed)
    model = MLP([4, 6, 5, 3], activation=activation, init="xavier_normal", bias_init=0.1, rng=rng, dtype="float64")
    for b in model.biases:
        b += rng.normal(scale=0.3, size=b.shape)
    x = rng.normal(size=(7, 4))
    y = rng.integers(0, 3, size=7)
    return model, x, y


def hidden_signs(model):
    return [z > 0 for z in model.pre_activations[:-1]]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_gradients_match_finite_differences(activation):
    model, x, y = small_problem(activation)
    logits = model.forward(x)
    assert len(model.params) == 6 and all(np.any(b != 0) for b in model.biases)
    # Finite differences are only valid away from the kinks of relu and leaky_relu at 0.
    margin = min(np.abs(z).min() for z in model.pre_activations[:-1])
    assert margin > 1e-5
    signs = hidden_signs(model)

    loss, dlogits = softmax_cross_entropy(logits, y)
    grads = model.backward(dlogits)
    assert [g.shape for g in grads] == [p.shape for p in model.params]
    assert all(g.dtype == np.float64 for g in grads)

    crossed = []

    def f():
        value = softmax_cross_entropy(model.forward(x), y)[0]
        crossed.append(any(np.any(s != now) for s, now in zip(signs, hidden_signs(model))))
        return value

    for name, param, grad in zip(["W1", "b1", "W2", "b2", "W3", "b3"], model.params, grads):
        numeric = numeric_gradient(f, param)
        assert np.any(numeric != 0)
        error = relative_error(grad, numeric)
        assert error < GRAD_CHECK_TOLERANCE, f"{activation} {name}: relative error {error:.2e}"
    assert not any(crossed), "a perturbation moved a pre-activation across 0: the check would be invalid"
    assert softmax_cross_entropy(model.forward(x), y)[0] == loss  # parameters restored exactly


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 5))
    y = rng.integers(0, 5, size=6)
    _, dlogits = softmax_cross_entropy(logits, y)
    assert np.abs(dlogits).min() > 1e-4  # every entry well above the finite differences' ~1e-12 error
    numeric = numeric_gradient(lambda: softmax_cross_entropy(logits, y)[0], logits)
    assert relative_error(dlogits, numeric) < GRAD_CHECK_TOLERANCE
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-16)  # softmax sums to 1, onehot to 1


def test_gradient_check_would_catch_a_wrong_gradient():
    model, x, y = small_problem("tanh")
    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    grads = model.backward(dlogits)

    def f():
        return softmax_cross_entropy(model.forward(x), y)[0]

    assert relative_error(grads[0] * (1 + 1e-5), numeric_gradient(f, model.params[0])) > 1e-6
    assert relative_error(grads[1] * 0, numeric_gradient(f, model.params[1])) == 1.0  # bias gradient ignored
    # db as the mean over the batch instead of the sum: the loss is already a mean, db must not be 1/n again
    assert relative_error(grads[5] / len(x), numeric_gradient(f, model.params[5])) > 0.5


# --------------------------------------------------------------------------------------------------
# softmax cross-entropy
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_cross_entropy_value(dtype):
    rng = np.random.default_rng(4)
    logits = rng.normal(scale=2.0, size=(8, 4)).astype(dtype)
    y = rng.integers(0, 4, size=8)
    # Independent reference, in float64 with the plain formula (fine for small logits).
    z = logits.astype(np.float64)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss, dlogits = softmax_cross_entropy(logits, y)
    assert isinstance(loss, float)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(8), y])), rel=rtol)
    onehot = np.eye(4)[y]
    assert dlogits.dtype == dtype and dlogits.shape == logits.shape
    np.testing.assert_allclose(dlogits, (p - onehot) / 8, rtol=rtol, atol=1e-7 if dtype == np.float32 else 0)
    np.testing.assert_allclose(softmax(z), p, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(z), np.log(p), rtol=1e-12)


def test_softmax_cross_entropy_accepts_a_list_of_labels():
    logits = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert softmax_cross_entropy(logits, [0, 1])[0] == softmax_cross_entropy(logits, np.array([0, 1]))[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_cross_entropy_is_finite_and_right_for_huge_logits(dtype):
    right = np.array([[1e4, -1e4, 0.0]], dtype=dtype)  # the right class has 1e4
    loss, dlogits = softmax_cross_entropy(right, np.array([0]))
    assert loss == 0.0
    np.testing.assert_array_equal(dlogits, [[0.0, 0.0, 0.0]])

    wrong = np.array([[-1e4, 1e4]], dtype=dtype)  # the right class is 2e4 below the other
    loss, dlogits = softmax_cross_entropy(wrong, np.array([0]))
    assert loss == pytest.approx(2e4, rel=1e-12)
    np.testing.assert_array_equal(dlogits, [[-1.0, 1.0]])

    tie = np.array([[1e4, 1e4], [1000.0, 1000.0]], dtype=dtype)
    loss, dlogits = softmax_cross_entropy(tie, np.array([1, 0]))
    assert loss == pytest.approx(np.log(2), rel=1e-6)
    np.testing.assert_allclose(dlogits, [[0.25, -0.25], [-0.25, 0.25]], rtol=1e-6)
    assert np.all(np.isfinite(softmax(tie))) and np.all(np.isfinite(log_softmax(wrong)))


@pytest.mark.parametrize(
    "logits, y, error, match",
    [
        (np.zeros((3, 2)), np.array([0, 1]), ValueError, r"y must hold one label per row of logits, shape \(3,\)"),
        (np.zeros((3, 2)), np.array([[0], [1], [1]]), ValueError, r"y must hold one label per row"),
        (np.zeros((3, 2)), np.array([0, 1, 2]), ValueError, r"y must hold labels in \[0, 2\), got min 0, max 2"),
        (np.zeros((3, 2)), np.array([0, -1, 1]), ValueError, r"y must hold labels in \[0, 2\)"),
        (np.zeros((3, 2)), np.array([0.0, 1.0, 1.0]), TypeError, "y must hold integer class labels"),
        (np.zeros((3, 2)), np.array([True, False, True]), TypeError, "y must hold integer class labels"),
        (np.array([[0.0, np.nan]]), np.array([0]), ValueError, "logits contain nan or inf"),
        (np.array([[0.0, -np.inf]]), np.array([0]), ValueError, "logits contain nan or inf"),
        (np.zeros(3), np.array([0]), ValueError, r"logits must be 2-D, \(batch, classes\)"),
        (np.zeros((2, 2), dtype=int), np.array([0, 1]), TypeError, "logits must be a float array"),
        ([[0.0, 1.0]], np.array([0]), TypeError, "logits must be a numpy array"),
    ],
)
def test_softmax_cross_entropy_bad_input(logits, y, error, match):
    with pytest.raises(error, match=match):
        softmax_cross_entropy(logits, y)


# --------------------------------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------------------------------


def test_activation_values():
    z = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    f = {name: pair[0] for name, pair in ACTIVATIONS.items()}
    np.testing.assert_array_equal(f["identity"](z), z)
    np.testing.assert_array_equal(f["relu"](z), [0.0, 0.0, 0.0, 0.5, 2.0])
    np.testing.assert_allclose(f["leaky_relu"](z), [-0.02, -0.005, 0.0, 0.5, 2.0], rtol=1e-15)
    np.testing.assert_allclose(f["tanh"](z), np.tanh(z), rtol=1e-15)
    np.testing.assert_allclose(f["sigmoid"](z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    assert LEAKY_RELU_SLOPE == 0.01  # PyTorch's default


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_derivatives_match_finite_differences(name, dtype):
    z = np.linspace(-3, 3, 61) + 0.013  # never exactly 0, the kink of relu and leaky_relu
    f, f_prime = ACTIVATIONS[name]
    numeric = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6
    derivative = f_prime(z.astype(dtype))
    assert derivative.dtype == dtype and derivative.shape == z.shape
    np.testing.assert_allclose(derivative, numeric, rtol=1e-6 if dtype == np.float64 else 1e-5, atol=1e-9)


def test_relu_derivative_at_zero_is_zero_as_in_pytorch():
    z = np.zeros(3)
    assert np.all(ACTIVATIONS["relu"][1](z) == 0)
    assert np.all(ACTIVATIONS["leaky_relu"][1](z) == LEAKY_RELU_SLOPE)


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise"):
        a = ACTIVATIONS["sigmoid"][0](np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_array_equal(a, [0.0, 0.5, 1.0])


# --------------------------------------------------------------------------------------------------
# the MLP
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_dtype_is_kept_through_forward_and_backward(dtype, activation):
    rng = np.random.default_rng(2)
    model = MLP([5, 8, 6, 3], activation=activation, rng=rng, dtype=dtype)
    assert model.dtype == np.dtype(dtype)
    assert all(p.dtype == np.dtype(dtype) for p in model.params)
    logits = model.forward(rng.normal(size=(4, 5)))  # a float64 input is cast
    assert logits.dtype == np.dtype(dtype)
    assert all(z.dtype == np.dtype(dtype) for z in model.pre_activations)
    _, dlogits = softmax_cross_entropy(logits, np.array([0, 1, 2, 0]))
    grads = model.backward(dlogits.astype(np.float64))  # a float64 gradient is cast too
    assert all(g.dtype == np.dtype(dtype) for g in grads)


def test_float32_and_float64_models_agree():
    x = np.random.default_rng(0).normal(size=(6, 5))
    m32, m64 = MLP([5, 7, 3], rng=4, dtype="float32"), MLP([5, 7, 3], rng=4, dtype="float64")
    np.testing.assert_allclose(m32.forward(x), m64.forward(x), rtol=1e-4, atol=1e-5)


def test_params_layout_bias_init_and_forward():
    model = MLP([3, 4, 5, 2], bias_init=0.25, rng=0, dtype="float64")
    assert [p.shape for p in model.params] == [(3, 4), (4,), (4, 5), (5,), (5, 2), (2,)]  # W: (fan_in, fan_out)
    assert [p.ndim for p in model.params] == [2, 1, 2, 1, 2, 1]
    assert model.weights == model.params[0::2] and model.biases == model.params[1::2]
    assert model.weights[0] is model.params[0] and model.biases[2] is model.params[5]
    assert all(np.all(b == 0.25) for b in model.biases)
    assert all(np.all(b == 0) for b in MLP([3, 4, 2], rng=0).biases)  # the default bias is 0
    x = np.random.default_rng(0).normal(size=(10, 3))
    W1, b1, W2, b2, W3, b3 = model.params
    manual = np.maximum(np.maximum(x @ W1 + b1, 0) @ W2 + b2, 0) @ W3 + b3  # no activation on the logits
    np.testing.assert_allclose(model.forward(x), manual, rtol=1e-12)
    assert model.layer_inputs[0] is not None and len(model.layer_inputs) == 3
    assert "MLP(sizes=[3, 4, 5, 2]" in repr(model)


def test_params_are_updated_in_place_and_used():
    model = MLP([3, 4, 2], rng=0, dtype="float64")
    x = np.ones((1, 3))
    before = model.forward(x).copy()
    model.params[3] += 1.0  # an optimizer updates the arrays in place
    np.testing.assert_allclose(model.forward(x), before + 1.0)


def test_predict_returns_the_argmax():
    model = MLP([3, 8, 4], rng=1, dtype="float64")
    x = np.random.default_rng(0).normal(size=(50, 3))
    labels = model.predict(x)
    np.testing.assert_array_equal(labels, model.forward(x).argmax(axis=1))
    assert labels.shape == (50,) and np.issubdtype(labels.dtype, np.integer)
    assert len(set(labels.tolist())) > 1  # not a constant answer


def test_init_by_name_or_callable_and_seeded():
    a = MLP([30, 20, 10], init="he", rng=3)
    b = MLP([30, 20, 10], init=init.kaiming_normal, rng=3)
    c = MLP([30, 20, 10], init="Kaiming-Normal", rng=np.random.default_rng(3))
    assert all(np.array_equal(p, q) and np.array_equal(p, r) for p, q, r in zip(a.params, b.params, c.params))
    assert not np.array_equal(a.params[0], MLP([30, 20, 10], init="he", rng=4).params[0])
    assert a.params[0].std() == pytest.approx(np.sqrt(2 / 30), rel=0.15)  # really He's scale
    d = MLP([30, 20, 10], init="xavier_uniform", rng=3)
    assert np.abs(d.params[0]).max() <= np.sqrt(6 / 50)
    e = MLP([30, 20, 10], init=functools.partial(init.constant, val=0.5), rng=3)
    assert np.all(e.params[0] == 0.5) and np.all(e.params[2] == 0.5)
    with pytest.raises(ValueError, match=r"init returned shape \(2, 3\), expected \(3, 2\)"):
        MLP([3, 2], init=lambda shape, rng: np.zeros((2, 3)))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"sizes": [3]}, ValueError, "sizes must list at least two layer widths"),
        ({"sizes": []}, ValueError, "sizes must list at least two layer widths"),
        ({"sizes": 3}, TypeError, "sizes must be a list of layer widths"),
        ({"sizes": "784-10"}, TypeError, "sizes must be a list of layer widths"),
        ({"sizes": [3, 0, 2]}, ValueError, r"sizes\[1\] must be a positive int, got 0"),
        ({"sizes": [3, -4, 2]}, ValueError, r"sizes\[1\] must be a positive int"),
        ({"sizes": [3, 2.5]}, TypeError, r"sizes\[1\] must be a positive int, got 2.5"),
        ({"sizes": [3, True]}, TypeError, r"sizes\[1\] must be a positive int"),
        ({"sizes": [3, 2], "activation": "gelu"}, ValueError,
         "unknown activation 'gelu'; valid: identity, leaky_relu, relu, sigmoid, tanh"),
        ({"sizes": [3, 2], "activation": None}, TypeError, "activation must be a string"),
        ({"sizes": [3, 2], "init": "hee"}, ValueError, "unknown initializer 'hee'; valid names"),
        ({"sizes": [3, 2], "init": 3}, TypeError, "initializer name must be a string"),
        ({"sizes": [3, 2], "dtype": "float16"}, ValueError, "dtype must be one of"),
        ({"sizes": [3, 2], "dtype": "int64"}, ValueError, "dtype must be one of"),
        ({"sizes": [3, 2], "bias_init": "zero"}, TypeError, "bias_init must be a real number"),
        ({"sizes": [3, 2], "bias_init": float("nan")}, ValueError, "bias_init must be finite"),
        ({"sizes": [3, 2], "rng": "seed"}, TypeError, "rng must be"),
        ({"sizes": [3, 2], "rng": -5}, ValueError, "rng as a seed must be >= 0"),
    ],
)
def test_mlp_bad_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP(**kwargs)


@pytest.mark.parametrize(
    "x, error, match",
    [
        (np.zeros((5, 4)), ValueError, r"x must have shape \(batch, 3\), got \(5, 4\)"),
        (np.zeros(3), ValueError, r"x must have shape \(batch, 3\), got \(3,\)"),
        (np.zeros((2, 3, 1)), ValueError, r"x must have shape \(batch, 3\)"),
        (np.array([[0.0, np.inf, 1.0]]), ValueError, "x contains nan or inf"),
        (np.array([[0.0, np.nan, 1.0]]), ValueError, "x contains nan or inf"),
        ([[0.0, 1.0, 2.0]], TypeError, "x must be a numpy array"),
        (np.array([["a", "b", "c"]]), TypeError, "x must hold real numbers"),
    ],
)
def test_mlp_bad_x(x, error, match):
    model = MLP([3, 4, 2], rng=0)
    with pytest.raises(error, match=match):
        model.forward(x)
    with pytest.raises(error, match=match):
        model.predict(x)


def test_mlp_accepts_integer_input():
    model = MLP([3, 4, 2], rng=0, dtype="float64")
    np.testing.assert_array_equal(model.forward(np.array([[1, 2, 3]])), model.forward(np.array([[1.0, 2.0, 3.0]])))


def test_backward_before_forward_and_bad_dlogits():
    model = MLP([3, 4, 2], rng=0)
    with pytest.raises(RuntimeError, match=r"call forward\(x\) before backward"):
        model.backward(np.zeros((1, 2)))
    with pytest.raises(RuntimeError, match="call forward"):
        model.pre_activations  # noqa: B018 - the property raises
    model.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"dlogits must have the logits' shape \(5, 2\), got \(5, 3\)"):
        model.backward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"dlogits must have the logits' shape \(5, 2\), got \(1, 2\)"):
        model.backward(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"dlogits must have the logits' shape \(5, 2\), got list"):
        model.backward([[0.0, 0.0]] * 5)
    assert len(model.backward(np.zeros((5, 2)))) == 4


# --------------------------------------------------------------------------------------------------
# the parameter and gradient arrays
# --------------------------------------------------------------------------------------------------


def test_the_weights_are_the_initializers_draws():
    """The weights are drawn in the same order, with the same values, as by calling the initializer
    layer after layer."""
    for name, seed in [("kaiming_normal", 3), ("xavier_uniform", 5), ("orthogonal", 7)]:
        rng = np.random.default_rng(seed)
        expected = [init.get_initializer(name)(shape, rng=rng) for shape in [(30, 20), (20, 20), (20, 10)]]
        for dtype in ["float32", "float64"]:
            model = MLP([30, 20, 20, 10], init=name, rng=seed, dtype=dtype, bias_init=0.5)
            for W, E in zip(model.weights, expected):
                np.testing.assert_array_equal(W, E.astype(dtype))
            assert all(np.all(b == 0.5) for b in model.biases)


def test_params_are_separate_arrays():
    model = MLP([3, 4, 5, 2], rng=0)
    for i, p in enumerate(model.params):
        assert p.base is None and p.flags.c_contiguous and p.flags.writeable
        assert not any(np.shares_memory(p, q) for q in model.params[i + 1:])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backward_reuses_its_arrays_and_overwrites_them(dtype, activation):
    model = MLP([4, 6, 5, 3], activation=activation, rng=1, dtype=dtype)
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=(7, 4)), rng.normal(size=(9, 4))
    y1, y2 = rng.integers(0, 3, size=7), rng.integers(0, 3, size=9)

    first = model.backward(softmax_cross_entropy(model.forward(x1), y1)[1])
    kept = [g.copy() for g in first]
    assert not any(np.shares_memory(g, p) for g in first for p in model.params)
    second = model.backward(softmax_cross_entropy(model.forward(x2), y2)[1])
    assert all(g is h for g, h in zip(first, second))  # the same arrays, overwritten
    assert not all(np.array_equal(g, k) for g, k in zip(second, kept))

    # Each result equals the gradient computed from scratch, without any reused array.
    second = [g.copy() for g in second]  # copies: the next backward overwrites the arrays
    third = [g.copy() for g in model.backward(softmax_cross_entropy(model.forward(x1), y1)[1])]
    for xb, yb, grads in [(x2, y2, second), (x1, y1, third)]:
        _, dlogits = softmax_cross_entropy(model.forward(xb), yb)
        a0 = xb.astype(dtype)
        z1 = a0 @ model.params[0] + model.params[1]
        f, f_prime = ACTIVATIONS[activation]
        a1 = f(z1)
        z2 = a1 @ model.params[2] + model.params[3]
        a2 = f(z2)
        dz3 = dlogits
        dz2 = (dz3 @ model.params[4].T) * f_prime(z2)
        dz1 = (dz2 @ model.params[2].T) * f_prime(z1)
        expected = [a0.T @ dz1, dz1.sum(axis=0), a1.T @ dz2, dz2.sum(axis=0), a2.T @ dz3, dz3.sum(axis=0)]
        for g, e in zip(grads, expected):
            np.testing.assert_array_equal(g, e)
    for g, k in zip(model.backward(softmax_cross_entropy(model.forward(x1), y1)[1]), kept):
        np.testing.assert_array_equal(g, k)  # the same batch again: the same gradients again
    assert all(g.dtype == np.dtype(dtype) for g in first)


def test_backward_after_params_were_replaced_by_other_shapes():
    """structured pruning keeps a copy of a model and gives it narrower params: backward follows."""
    import copy

    model = MLP([3, 8, 2], rng=0, dtype="float64")
    x, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    model.backward(softmax_cross_entropy(model.forward(x), y)[1])
    smaller = copy.deepcopy(model)
    keep = [0, 2, 5]
    smaller.params[0] = smaller.params[0][:, keep].copy()
    smaller.params[1] = smaller.params[1][keep].copy()
    smaller.params[2] = smaller.params[2][keep, :].copy()
    smaller.sizes[1] = 3
    grads = smaller.backward(softmax_cross_entropy(smaller.forward(x), y)[1])
    assert [g.shape for g in grads] == [(3, 3), (3,), (3, 2), (2,)]
    original = model.backward(softmax_cross_entropy(model.forward(x), y)[1])
    assert [g.shape for g in original] == [(3, 8), (8,), (8, 2), (2,)]  # the original is untouched


# --------------------------------------------------------------------------------------------------
# the public API other modules use: copy, layer_output, clear_cache
# --------------------------------------------------------------------------------------------------


def test_copy_is_independent_and_computes_the_same():
    model = MLP([4, 6, 3], activation="tanh", rng=0, dtype="float64")
    x = np.random.default_rng(1).normal(size=(5, 4))
    twin = model.copy()
    assert type(twin) is MLP and twin.sizes == model.sizes and twin.activation == "tanh"
    assert twin.dtype == model.dtype
    np.testing.assert_array_equal(twin.forward(x), model.forward(x))
    twin.params[0][0, 0] += 1.0
    twin.sizes[1] = 99
    assert model.params[0][0, 0] != twin.params[0][0, 0] and model.sizes == [4, 6, 3]
    assert not any(np.shares_memory(p, q) for p in model.params for q in twin.params)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_layer_output_is_the_hidden_activation(activation):
    model = MLP([4, 6, 5, 3], activation=activation, rng=2, dtype="float64")
    x = np.random.default_rng(3).normal(size=(7, 4))
    model.forward(x)
    np.testing.assert_array_equal(model.layer_output(x, 0), x)
    np.testing.assert_array_equal(model.layer_output(x, 1), model.layer_inputs[1])
    np.testing.assert_array_equal(model.layer_output(x, 2), model.layer_inputs[2])
    with pytest.raises(ValueError, match=r"n_layers must be an int in \[0, 2\], got 3"):
        model.layer_output(x, 3)
    with pytest.raises(TypeError, match=r"n_layers must be an int in \[0, 2\], got 1.0"):
        model.layer_output(x, 1.0)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        model.layer_output(x[:, :3], 1)


def test_clear_cache_forgets_the_forward_pass():
    model = MLP([3, 4, 2], rng=0)
    x = np.ones((2, 3))
    model.forward(x)
    assert len(model.layer_inputs) == 2  # available after forward
    model.clear_cache()
    with pytest.raises(RuntimeError, match=r"call forward\(x\) before backward\(\)"):
        model.backward(np.zeros((2, 2)))
