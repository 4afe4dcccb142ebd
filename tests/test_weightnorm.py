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
