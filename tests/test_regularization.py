"""course_lib.regularization: values, gradient checks, weights-not-biases, and its use in training."""

import numpy as np
import pytest

from course_lib import data
from course_lib.gradcheck import check_gradients
from course_lib.nn import MLP
from course_lib.optim import SGD
from course_lib.regularization import L1, L2
from course_lib.train import train


def test_values_and_gradients():
    W, b = np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([5.0, -5.0])
    value, (gW, gb) = L2(0.1)([W, b])
    assert value == pytest.approx(0.05 * 14) and np.array_equal(gb, np.zeros(2))
    np.testing.assert_allclose(gW, 0.1 * W)
    value, (gW, gb) = L1(0.1)([W, b])
    assert value == pytest.approx(0.6)
    np.testing.assert_allclose(gW, 0.1 * np.array([[1, -1], [0, 1]]))
    value, (_, gb) = L2(0.1, include_biases=True)([W, b])
    assert value == pytest.approx(0.05 * 64) and np.allclose(gb, 0.1 * b)


@pytest.mark.parametrize("penalty", [L1(0.3), L2(0.3), L2(0.3, include_biases=True)], ids=repr)
def test_gradient_check(penalty):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    _, grads = penalty(params)
    results = check_gradients(lambda: penalty(params)[0], params, grads)
    assert all(r.passed for r in results), [r.relative_error for r in results]


def test_sgd_weight_decay_equals_l2():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 3)), None
    b = a.copy()
    for _ in range(5):
        g = rng.normal(size=(3, 3))
        SGD([a], lr=0.1, weight_decay=0.05).step([g.copy()])
        SGD([b], lr=0.1).step([g + L2(0.05)([b])[1][0]])
    np.testing.assert_allclose(a, b, rtol=1e-14)


def test_l1_drives_weights_to_zero_in_training():
    x, y = data.moons(n=200, rng=0)
    sparse, dense = [], []
    for penalty, out in [(L1(0.03), sparse), (L2(0.03), dense)]:
        model = MLP([2, 32, 2], rng=0, dtype="float64")
        history = train(model, SGD(model.params, lr=0.1), x, y, epochs=30, rng=0, penalty=penalty, progress=False)
        out.append(np.mean(np.abs(model.params[0]) < 1e-2))
        assert len(history.penalty) == 30 and history.penalty[-1] < history.penalty[0]
    assert sparse[0] > dense[0] + 0.3  # measured: 52% of first-layer weights under 1e-2 with L1, 2% with L2


def test_bad_input():
    with pytest.raises(ValueError, match="strength must be >= 0"):
        L2(-1.0)
    with pytest.raises(TypeError, match="include_biases must be True or False"):
        L1(0.1, include_biases="yes")
    with pytest.raises(ValueError, match=r"params\[0\] contains nan"):
        L2(0.1)([np.array([[np.nan]])])
    with pytest.raises(TypeError, match="float numpy array"):
        L1(0.1)([[1.0]])


def test_soft_threshold_gives_exact_zeros_and_shrinks_the_rest():
    from course_lib.regularization import soft_threshold

    w = np.array([-1.5, -0.2, 0.0, 0.05, 0.25, 2.0], dtype=np.float32)
    out = soft_threshold(w, 0.25)
    np.testing.assert_allclose(out, [-1.25, 0.0, 0.0, 0.0, 0.0, 1.75])
    assert out.dtype == np.float32 and np.sum(out == 0) == 4
    np.testing.assert_array_equal(soft_threshold(w, 0.0), w)
    with pytest.raises(ValueError, match="threshold"):
        soft_threshold(w, -0.1)
    with pytest.raises(TypeError, match="w must be"):
        soft_threshold([1.0, 2.0], 0.1)
