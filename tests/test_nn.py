"""course_lib.nn: the MLP and softmax cross-entropy, gradient-checked in float64."""

import functools

import numpy as np
import pytest

from course_lib import init
from course_lib.nn import ACTIVATIONS, MLP, activation_derivative, log_softmax, softmax, softmax_cross_entropy


def relative_error(analytic, numeric):
    """||a - n|| / (||a|| + ||n||) over a whole parameter: scale-free, and not fooled by a single tiny entry,
    where a centered difference (h = 1e-6, float64) has an absolute error near 1e-10."""
    return float(np.linalg.norm(analytic - numeric) / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-300))


def numeric_gradient(f, array, h=1e-6):
    """Centered finite differences of the scalar f() with respect to every entry of ``array`` (in place)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + h
        up = f()
        array[index] = saved - h
        down = f()
        array[index] = saved
        grad[index] = (up - down) / (2 * h)
    return grad


def small_problem(activation, seed=0):
    rng = np.random.default_rng(seed)
    model = MLP([4, 6, 5, 3], activation=activation, init="xavier_normal", bias_init=0.1, rng=rng, dtype="float64")
    for b in model.biases:  # non-zero, different biases so their gradients are exercised
        b += rng.normal(scale=0.3, size=b.shape)
    x = rng.normal(size=(7, 4))
    y = rng.integers(0, 3, size=7)
    return model, x, y


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_mlp_gradients_match_finite_differences(activation):
    model, x, y = small_problem(activation)
    model.forward(x)
    kink = min(np.abs(z).min() for z in model.pre_activations[:-1])
    assert kink > 1e-4, "no pre-activation sits on a kink, where finite differences are not valid"

    loss, dlogits = softmax_cross_entropy(model.forward(x), y)
    grads = model.backward(dlogits)
    assert [g.shape for g in grads] == [p.shape for p in model.params]

    def f():
        return softmax_cross_entropy(model.forward(x), y)[0]

    for param, grad in zip(model.params, grads):
        assert relative_error(grad, numeric_gradient(f, param)) < 1e-7


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=(6, 5))
    y = rng.integers(0, 5, size=6)
    _, dlogits = softmax_cross_entropy(logits, y)
    numeric = numeric_gradient(lambda: softmax_cross_entropy(logits, y)[0], logits)
    assert relative_error(dlogits, numeric) < 1e-7
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)


def test_gradient_check_would_catch_a_wrong_gradient():
    model, x, y = small_problem("tanh")
    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    wrong = model.backward(dlogits)[0] * 1.01
    numeric = numeric_gradient(lambda: softmax_cross_entropy(model.forward(x), y)[0], model.params[0])
    assert relative_error(wrong, numeric) > 1e-3


def test_softmax_cross_entropy_value():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    y = np.array([0, 2])
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # fine for small logits
    loss, _ = softmax_cross_entropy(logits, y)
    assert loss == pytest.approx(-np.mean(np.log(p[[0, 1], y])), rel=1e-12)
    np.testing.assert_allclose(softmax(logits), p, rtol=1e-12)
    np.testing.assert_allclose(log_softmax(logits), np.log(p), rtol=1e-12)


def test_softmax_cross_entropy_is_finite_for_huge_logits():
    logits = np.array([[1e4, -1e4], [-1e4, 1e4], [1e4, 1e4]])
    loss, dlogits = softmax_cross_entropy(logits, np.array([0, 0, 1]))
    # right with certainty: 0; wrong by 2e4: 2e4; a tie: ln 2
    assert loss == pytest.approx((0 + 2e4 + np.log(2)) / 3)
    assert np.all(np.isfinite(dlogits))
    np.testing.assert_allclose(dlogits, [[0, 0], [-1 / 3, 1 / 3], [1 / 6, -1 / 6]], atol=1e-15)


@pytest.mark.parametrize(
    "logits, y, error, match",
    [
        (np.zeros((3, 2)), np.array([0, 1]), ValueError, r"one label per row"),
        (np.zeros((3, 2)), np.array([0, 1, 2]), ValueError, r"labels in \[0, 2\)"),
        (np.zeros((3, 2)), np.array([0, -1, 1]), ValueError, r"labels in \[0, 2\)"),
        (np.zeros((3, 2)), np.array([0.0, 1.0, 1.0]), TypeError, "integer class labels"),
        (np.array([[0.0, np.nan]]), np.array([0]), ValueError, "nan or inf"),
        (np.zeros(3), np.array([0]), ValueError, "logits must be 2-D"),
        (np.zeros((2, 2), dtype=int), np.array([0, 1]), TypeError, "float array"),
        ([[0.0, 1.0]], np.array([0]), TypeError, "numpy array"),
    ],
)
def test_softmax_cross_entropy_bad_input(logits, y, error, match):
    with pytest.raises(error, match=match):
        softmax_cross_entropy(logits, y)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_match_finite_differences(name):
    z = np.linspace(-3, 3, 61) + 0.013  # avoid z == 0 exactly (the ReLU kink)
    f = ACTIVATIONS[name]
    numeric = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(activation_derivative(name, z, f(z)), numeric, rtol=1e-6, atol=1e-9)


def test_sigmoid_does_not_overflow():
    a = ACTIVATIONS["sigmoid"](np.array([-1e4, 0.0, 1e4]))
    np.testing.assert_array_equal(a, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept_through_forward_and_backward(dtype):
    rng = np.random.default_rng(2)
    model = MLP([5, 8, 3], rng=rng, dtype=dtype)
    assert all(p.dtype == np.dtype(dtype) for p in model.params)
    logits = model.forward(rng.normal(size=(4, 5)))  # float64 input is cast
    assert logits.dtype == np.dtype(dtype)
    _, dlogits = softmax_cross_entropy(logits, np.array([0, 1, 2, 0]))
    assert all(g.dtype == np.dtype(dtype) for g in model.backward(dlogits))


def test_params_layout_bias_init_and_predict():
    model = MLP([3, 4, 2], bias_init=0.25, rng=0, dtype="float64")
    assert [p.shape for p in model.params] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.weights[0] is model.params[0] and model.biases[1] is model.params[3]
    assert all(np.all(b == 0.25) for b in model.biases)
    x = np.random.default_rng(0).normal(size=(10, 3))
    np.testing.assert_array_equal(model.predict(x), model.forward(x).argmax(axis=1))
    manual = np.maximum(x @ model.params[0] + model.params[1], 0) @ model.params[2] + model.params[3]
    np.testing.assert_allclose(model.forward(x), manual)


def test_init_by_name_or_callable_and_seeded():
    a = MLP([30, 20, 10], init="he", rng=3)
    b = MLP([30, 20, 10], init=init.kaiming_normal, rng=3)
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params))
    c = MLP([30, 20, 10], init=functools.partial(init.constant, val=0.5), rng=3)
    assert np.all(c.params[0] == 0.5)
    with pytest.raises(ValueError, match="init returned shape"):
        MLP([3, 2], init=lambda shape, rng: np.zeros((2, 3)))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"sizes": [3]}, ValueError, "at least two layer widths"),
        ({"sizes": 3}, TypeError, "sizes must be a list of layer widths"),
        ({"sizes": "784-10"}, TypeError, "sizes must be a list of layer widths"),
        ({"sizes": [3, 0, 2]}, ValueError, "positive ints"),
        ({"sizes": [3, 2.5]}, ValueError, "positive ints"),
        ({"sizes": [3, 2], "activation": "gelu"}, ValueError, "unknown activation 'gelu'; valid: identity"),
        ({"sizes": [3, 2], "init": "hee"}, ValueError, "unknown initializer"),
        ({"sizes": [3, 2], "dtype": "float16"}, ValueError, "dtype must be one of"),
        ({"sizes": [3, 2], "bias_init": "zero"}, TypeError, "bias_init must be a real number"),
        ({"sizes": [3, 2], "rng": "seed"}, TypeError, "rng must be"),
    ],
)
def test_mlp_bad_construction(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP(**kwargs)


def test_mlp_bad_calls():
    model = MLP([3, 4, 2], rng=0)
    with pytest.raises(RuntimeError, match="call forward"):
        model.backward(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 3\)"):
        model.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"x must have shape"):
        model.forward(np.zeros(3))
    with pytest.raises(ValueError, match="nan or inf"):
        model.forward(np.array([[0.0, np.inf, 1.0]]))
    with pytest.raises(TypeError, match="x must be a numpy array"):
        model.forward([[0.0, 1.0, 2.0]])
    model.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"dlogits must have the logits' shape \(5, 2\)"):
        model.backward(np.zeros((5, 3)))
