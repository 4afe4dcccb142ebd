"""course_lib.weightnorm: W = g v / ||v||, its gradients checked against finite differences."""

import numpy as np
import pytest

from course_lib.gradcheck import check_gradients
from course_lib.weightnorm import weight_norm, weight_norm_backward, weight_norm_init


def test_columns_have_length_g_and_the_direction_of_v():
    rng = np.random.default_rng(0)
    v, g = rng.normal(size=(5, 3)), np.array([0.5, 2.0, 3.0])
    W = weight_norm(v, g)
    np.testing.assert_allclose(np.linalg.norm(W, axis=0), g)
    np.testing.assert_allclose(W / np.linalg.norm(W, axis=0), v / np.linalg.norm(v, axis=0))
    np.testing.assert_allclose(weight_norm(10 * v, g), W)  # the scale of v does not matter


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    v, g, x = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(6, 4))
    target = rng.normal(size=(6, 3))

    def loss():
        return float(0.5 * np.sum((np.tanh(x @ weight_norm(v, g)) - target) ** 2))

    z = np.tanh(x @ weight_norm(v, g))
    dW = x.T @ ((z - target) * (1 - z**2))
    dv, dg = weight_norm_backward(v, g, dW)
    results = check_gradients(loss, [v, g], [dv, dg], names=["v", "g"])
    assert all(r.passed for r in results), [r.relative_error for r in results]


def test_gradient_of_v_is_orthogonal_to_v():
    """The paper's observation: dL/dv has no component along v (per column), so ||v|| grows slowly."""
    rng = np.random.default_rng(2)
    v, g, dW = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    dv, _ = weight_norm_backward(v, g, dW)
    np.testing.assert_allclose(np.sum(dv * v, axis=0), 0.0, atol=1e-12)


def test_init_reproduces_w_and_bad_input():
    W = np.random.default_rng(3).normal(size=(4, 2))
    np.testing.assert_allclose(weight_norm(*weight_norm_init(W)), W)
    with pytest.raises(ValueError, match="one length per output unit"):
        weight_norm(W, np.ones(3))
    with pytest.raises(ValueError, match="non-zero"):
        weight_norm(np.zeros((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match="2-D float array"):
        weight_norm(np.ones(3), np.ones(1))
    with pytest.raises(ValueError, match="dW must have v's shape"):
        weight_norm_backward(W, np.ones(2), np.ones((2, 4)))


# --------------------------------------------------------------------------------------------------
# WeightNormMLP: weight normalization inside the MLP, trained with train()
# --------------------------------------------------------------------------------------------------

from course_lib.data import moons  # noqa: E402
from course_lib.nn import MLP, softmax_cross_entropy  # noqa: E402
from course_lib.optim import SGD, Adam  # noqa: E402
from course_lib.regularization import L2  # noqa: E402
from course_lib.train import train  # noqa: E402
from course_lib.weightnorm import WeightNormMLP  # noqa: E402


def test_weight_norm_mlp_starts_as_the_plain_mlp():
    x, _ = moons(n=20, rng=0)
    plain = MLP([2, 8, 8, 2], rng=3, dtype="float64")
    normed = WeightNormMLP([2, 8, 8, 2], rng=3, dtype="float64")
    np.testing.assert_allclose(normed.forward(x), plain.forward(x), rtol=1e-12, atol=1e-12)
    assert len(normed.params) == 9 and [p.shape for p in normed.params[:3]] == [(2, 8), (8,), (8,)]
    for W, g in zip(normed.weights, normed.lengths):
        np.testing.assert_allclose(np.linalg.norm(W, axis=0), g)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_weight_norm_mlp_gradients_match_finite_differences(activation):
    x, y = moons(n=12, rng=1)
    model = WeightNormMLP([2, 5, 4, 2], activation=activation, rng=2, dtype="float64")

    def loss():
        return softmax_cross_entropy(model.forward(x), y)[0]

    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    grads = model.backward(dlogits)
    results = check_gradients(loss, model.params, grads, names=[f"p{i}" for i in range(len(grads))])
    assert all(r.passed for r in results), [(r.name, r.relative_error) for r in results]


def test_weight_norm_mlp_trains_with_train_and_learns_lengths():
    x, y = moons(n=200, noise=0.1, rng=0)
    model = WeightNormMLP([2, 16, 16, 2], rng=0)
    g_before = [g.copy() for g in model.lengths]
    history = train(model, Adam(model.params, lr=0.01), x, y, epochs=40, batch_size=32, rng=0,
                    penalty=L2(1e-4))
    assert history.accuracy[-1] >= 0.95
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert any(not np.allclose(g, g0) for g, g0 in zip(model.lengths, g_before))  # g is learned
    assert np.mean(model.predict(x) == y) == pytest.approx(history.accuracy[-1], abs=0.05)


def test_an_sgd_step_on_v_does_not_change_the_function_along_v():
    """Scaling v leaves W unchanged: only its direction matters (the paper's Sec. 2.1)."""
    x, _ = moons(n=10, rng=0)
    model = WeightNormMLP([2, 4, 2], rng=0, dtype="float64")
    before = model.forward(x).copy()
    model.directions[0] *= 3.0
    np.testing.assert_allclose(model.forward(x), before, rtol=1e-12)
    SGD(model.params, lr=0.1)  # builds on params without complaint


def test_the_gradient_of_v_is_orthogonal_to_v_so_a_gradient_step_never_shrinks_it():
    """Salimans & Kingma 2016, Sec. 2.1: v . dL/dv = 0 per unit, so ||v - eta dv||^2 = ||v||^2 + eta^2 ||dv||^2."""
    rng = np.random.default_rng(4)
    v, g, dW = rng.normal(size=(6, 4)), rng.uniform(0.5, 2.0, size=4), rng.normal(size=(6, 4))
    dv, _ = weight_norm_backward(v, g, dW)
    np.testing.assert_allclose(np.sum(v * dv, axis=0), 0.0, atol=1e-12)
    eta = 0.3
    grown = np.linalg.norm(v - eta * dv, axis=0) ** 2
    np.testing.assert_allclose(grown, np.linalg.norm(v, axis=0) ** 2 + eta**2 * np.linalg.norm(dv, axis=0) ** 2)
    assert np.all(grown > np.linalg.norm(v, axis=0) ** 2)
